"""[DEFAULT] options for where the bridge keeps its state."""

from oslo_config import cfg

GROUP = 'DEFAULT'

OPTS: list[cfg.Opt] = [
    cfg.StrOpt('state_path',
               default='/var/lib/pratai-bridge',
               help='Directory where the bridge keeps its state: the journal '
                    'database (by default) and, with the local store, '
                    'function packages. Other paths may refer to it as '
                    '$state_path. Needs a restart.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
