"""[DEFAULT] options for how strictly configuration files are checked."""

from oslo_config import cfg

GROUP = 'DEFAULT'

OPTS: list[cfg.Opt] = [
    cfg.BoolOpt('allow_unknown_options',
                default=False,
                help='Accept options and sections the bridge does not know, '
                     'reporting them as warnings. By default each one is an '
                     'error that stops the bridge from starting, so a '
                     'misspelt option (say "pol" for [listener] pool) '
                     'cannot silently leave its default in place. Set it '
                     'when the file is shared with other services.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
