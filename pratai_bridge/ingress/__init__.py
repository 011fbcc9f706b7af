"""The bridge's HTTP server: Aodh webhooks, POST /v1/events, health, metrics.

:func:`build` makes the server from ``[api]`` for a pipeline, metrics and
health checks; nothing listens before :meth:`ApiServer.start`.
"""

from oslo_config import cfg

from pratai_bridge import metrics as metrics_mod
from pratai_bridge.ingress.app import Handler
from pratai_bridge.ingress.app import make_app
from pratai_bridge.ingress.health import Check
from pratai_bridge.ingress.health import Health
from pratai_bridge.ingress.health import transport_check
from pratai_bridge.ingress.server import ApiServer
from pratai_bridge.ingress.server import ServerError

__all__ = ['ApiServer', 'Check', 'Health', 'ServerError', 'build',
           'transport_check']


def build(conf: cfg.ConfigOpts, pipeline: Handler,
          metrics: metrics_mod.Metrics, checks: dict[str, Check]
          ) -> ApiServer:
    """The server ``[api]`` describes; raises cfg.Error when misset."""
    options = conf.api
    if bool(options.cert_file) != bool(options.key_file):
        missing = 'key_file' if options.cert_file else 'cert_file'
        raise cfg.RequiredOptError(missing, cfg.OptGroup('api'))
    tls = (options.cert_file, options.key_file) if options.cert_file else None
    health = Health(checks, cache_seconds=options.health_cache_seconds)
    app = make_app(conf, pipeline, metrics, health)
    try:
        return ApiServer(app, options.host, options.port, options.threads,
                         options.max_request_bytes, tls=tls)
    except (OSError, ValueError) as exc:
        raise ServerError(f'[api] cert_file, key_file: {exc}') from exc
