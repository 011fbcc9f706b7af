"""The configuration the benchmarks run a bridge with."""

import pathlib

import oslo_messaging
from oslo_config import cfg

from pratai_bridge import conf as bridge_conf
from tests.functional import rabbit


def make(workdir: pathlib.Path, subscriptions: str, targets: list[str],
         pool: str) -> cfg.ConfigOpts:
    """A bridge on the test RabbitMQ with state and subscriptions in
    ``workdir``: the defaults an operator gets, but for these."""
    (workdir / 'subscriptions.d').mkdir(parents=True)
    (workdir / 'subscriptions.d' / 'bench.yaml').write_text(subscriptions)
    conf = cfg.ConfigOpts()
    bridge_conf.register_opts(conf)
    conf([], project='pratai-bridge', default_config_files=[])
    # Registers oslo.messaging's options, transport_url among them.
    oslo_messaging.get_notification_transport(conf, url=rabbit.URL)
    conf.set_override('transport_url', rabbit.URL)
    conf.set_override('state_path', str(workdir))
    conf.set_override('directory', str(workdir / 'subscriptions.d'),
                      group='subscriptions')
    conf.set_override('targets', targets, group='listener')
    conf.set_override('pool', pool, group='listener')
    return conf
