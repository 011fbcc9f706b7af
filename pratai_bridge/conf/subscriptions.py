"""[subscriptions] options: where the subscription files are; watching."""

from oslo_config import cfg

GROUP = 'subscriptions'

OPTS: list[cfg.Opt] = [
    cfg.StrOpt('directory',
               default='/etc/pratai-bridge/subscriptions.d',
               help='Directory of subscription files (*.yaml, *.yml), read '
                    'in name order. A missing or empty directory means no '
                    'subscriptions. Reloaded on SIGHUP, and on any change '
                    'when watch is set; a reload that finds a problem keeps '
                    'the previous subscriptions. Changing it needs a '
                    'restart.'),
    cfg.BoolOpt('watch',
                default=True,
                help='Reload the subscriptions when a file in the directory '
                     'changes (inotify), once changes have settled for '
                     'watch_debounce seconds; SIGHUP reloads either way. '
                     'Changing it needs a restart.'),
    cfg.FloatOpt('watch_debounce',
                 default=1.0, min=0.05, max=60.0,
                 help='Seconds without further changes in the subscription '
                      'directory before a watched change is reloaded, so a '
                      'burst of writes reloads once. Changing it needs a '
                      'restart.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
