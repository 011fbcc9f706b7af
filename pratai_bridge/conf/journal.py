"""[journal] options: the database of events and executions."""

from oslo_config import cfg

import datetime

from pratai_bridge._durations import DURATION_PATTERN
from pratai_bridge._durations import parse_duration

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
                     'GET: they are kept only unmatched_events_max_age.'),
    cfg.StrOpt('finished_executions_max_age',
               default='30d',
               regex=DURATION_PATTERN,
               mutable=True,
               help='How long succeeded and dead executions (and their '
                    'attempts) are kept after they finished: a number and '
                    's, m, h, d or w (30d); 0 keeps them forever.'),
    cfg.StrOpt('matched_events_max_age',
               default='30d',
               regex=DURATION_PATTERN,
               mutable=True,
               help='How long events that matched a subscription, and '
                    'rejected notifications, are kept after they came in '
                    '(an event stays while any execution of it does); 0 '
                    'keeps them forever.'),
    cfg.StrOpt('unmatched_events_max_age',
               default='1h',
               regex=DURATION_PATTERN,
               mutable=True,
               help='How long events that matched no subscription are '
                    'kept after they came in (they serve replay --since to '
                    'a subscription added later, and explanations); 0 '
                    'keeps them forever.'),
    cfg.FloatOpt('purge_interval',
                 default=300.0,
                 min=0.0,
                 mutable=True,
                 help='Seconds between two purges of what the max_age '
                      'options no longer keep, by the daemon; 0 purges '
                      'only on pratai-bridge-manage journal purge.'),
]


def cutoffs(conf: cfg.ConfigOpts, now: datetime.datetime | None = None
            ) -> tuple[datetime.datetime | None, ...]:
    """What the *_max_age options keep, as of ``now``: the times before
    which (finished executions, matched events, unmatched events) go;
    None for an age of 0, kept forever."""
    now = now or datetime.datetime.now(datetime.UTC)
    options = conf[GROUP]
    ages = (parse_duration(value) for value in (
        options.finished_executions_max_age,
        options.matched_events_max_age, options.unmatched_events_max_age))
    return tuple(now - age if age else None for age in ages)


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
