"""[journal] options: the database of events and executions."""

from oslo_config import cfg

GROUP = 'journal'

OPTS: list[cfg.Opt] = [
    cfg.StrOpt('connection',
               default='sqlite:///$state_path/journal.sqlite',
               secret=True,
               help='SQLAlchemy URL of the journal database. SQLite suits '
                    'one bridge; several bridges sharing one journal need '
                    'PostgreSQL (postgresql+psycopg2://user:pass@host/db). '
                    'The schema is created or upgraded on start. Needs a '
                    'restart.'),
    cfg.BoolOpt('record_unmatched_events',
                default=True,
                help='Record every event received, even those no '
                     'subscription matched. Turn off to keep only events '
                     'that ran something (and those that could not be '
                     'read, which are always kept) when the bridge sees '
                     'much traffic it has no use for, such as every Swift '
                     'GET.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
