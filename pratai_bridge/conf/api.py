"""[api] options: the bridge's HTTP server (ingress, health, metrics).

Off by default. When enabled, one server on ``host:port`` answers:

* ``POST /v1/aodh``: Aodh alarm actions (``http://`` and
  ``trust+http://``), turned into ``aodh`` events;
* ``POST /v1/events``: an oslo notification as JSON, for systems that
  cannot publish to RabbitMQ;
* ``GET /healthz``: 200, or 503 naming what is down;
* ``GET /metrics``: Prometheus metrics.

The two POST routes are guarded by ``auth_strategy``: ``token`` (a
shared secret, ``[api] token``, sent as ``Authorization: Bearer TOKEN``
or as the password of HTTP basic auth, which is how an Aodh ``http://``
action URL can carry it: ``http://pratai:TOKEN@bridge:9797/v1/aodh``),
``keystone`` (a Keystone token in ``X-Auth-Token``, checked by
keystonemiddleware's auth_token with the options of
``[keystone_authtoken]``; Aodh's ``trust+http://`` actions send one), or
``noauth`` (for a trusted network only). /healthz and /metrics are not
guarded, as load balancers and Prometheus expect. With ``cert_file`` and
``key_file`` the server speaks HTTPS (Aodh's ``https://`` and
``trust+https://`` actions).
"""

from oslo_config import cfg

GROUP = 'api'

OPTS = [
    cfg.BoolOpt('enabled',
                default=False,
                help='Run the HTTP server (Aodh webhooks, POST /v1/events, '
                     '/healthz, /metrics). Needs a restart.'),
    cfg.HostAddressOpt('host',
                       default='127.0.0.1',
                       help='Address the HTTP server listens on. Needs a '
                            'restart.'),
    cfg.PortOpt('port',
                default=9797,
                help='Port the HTTP server listens on. Needs a restart.'),
    cfg.StrOpt('auth_strategy',
               default='token',
               choices=[('token', 'a shared secret, [api] token'),
                        ('keystone', 'a Keystone token, checked by '
                                     'keystonemiddleware ([keystone_'
                                     'authtoken])'),
                        ('noauth', 'no check: a trusted network only')],
               help='How POST requests are authenticated. Needs a '
                    'restart.'),
    cfg.StrOpt('token',
               secret=True,
               help='The shared secret of auth_strategy = token: sent as '
                    '"Authorization: Bearer TOKEN" or as the password of '
                    'HTTP basic auth (any user name). Required with that '
                    'strategy. Needs a restart.'),
    cfg.ListOpt('aodh_roles',
                default=['admin', 'member'],
                help='With auth_strategy = keystone: roles of which the '
                     'token of a POST /v1/aodh must have one (a trust '
                     'token has the roles its trust delegates); an empty '
                     'list lets any valid token in. The token\'s project '
                     'and user become the event\'s. Needs a restart.'),
    cfg.ListOpt('events_roles',
                default=['admin'],
                help='With auth_strategy = keystone: roles of which the '
                     'token of a POST /v1/events must have one (whoever '
                     'may post a notification may claim any project in '
                     'it). Needs a restart.'),
    cfg.IntOpt('max_request_bytes',
               default=1048576,
               min=1024,
               help='Largest request body accepted; bigger ones are '
                    'answered 413 unread. Needs a restart.'),
    cfg.StrOpt('cert_file',
               help='PEM certificate (chain) to serve HTTPS with; with '
                    'key_file. Unset: plain HTTP (keep host on loopback or '
                    'a trusted network then). Needs a restart.'),
    cfg.StrOpt('key_file',
               help='PEM private key of cert_file. Needs a restart.'),
    cfg.IntOpt('threads',
               default=8,
               min=1,
               help='Requests served at once (the server\'s thread '
                    'pool). Needs a restart.'),
    cfg.FloatOpt('health_cache_seconds',
                 default=2.0,
                 min=0,
                 help='Seconds a /healthz answer is reused, so that '
                      'frequent probes do not load the journal or the '
                      'broker. Needs a restart.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
