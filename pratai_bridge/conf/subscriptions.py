"""[subscriptions] options: where the subscription files are."""

from oslo_config import cfg

GROUP = 'subscriptions'

OPTS: list[cfg.Opt] = [
    cfg.StrOpt('directory',
               default='/etc/pratai-bridge/subscriptions.d',
               help='Directory of subscription files (*.yaml, *.yml), read '
                    'in name order. A missing or empty directory means no '
                    'subscriptions. Reloaded on SIGHUP; a reload that finds '
                    'a problem keeps the previous subscriptions.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
