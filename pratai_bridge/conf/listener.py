"""[listener] options: which notifications the bridge consumes, and how."""

from oslo_config import cfg

GROUP = 'listener'

DEFAULT_TARGETS = [
    'nova:notifications',             # legacy compute.instance.*
    'nova:versioned_notifications',   # instance.*, ...
    'swift:notifications',            # ceilometermiddleware objectstore.*
    'aodh:notifications',             # alarm.creation, state_transition...
    'aodh:alarming',                  # alarm.update (priority sample)
]

OPTS: list[cfg.Opt] = [
    cfg.ListOpt('targets',
                default=DEFAULT_TARGETS,
                help='Notification targets to consume, each '
                     '"exchange:topic". The bridge listens on every priority '
                     '(<topic>.info, <topic>.error, <topic>.sample...) of '
                     'each topic. Needs a restart.'),
    cfg.StrOpt('pool',
               default='pratai-bridge',
               help='Listener pool name. The bridge consumes from its own '
                    'queues, "<pool>.<exchange>" (pratai-bridge.nova...), '
                    'each getting a copy of every notification, so it never '
                    'takes messages meant for Ceilometer or another '
                    'consumer. Bridges sharing a pool share the work. Needs '
                    'a restart.'),
    cfg.IntOpt('batch_size',
               default=100,
               min=1,
               help='Notifications handled (normalized, matched and '
                    'journaled in one transaction) per batch. Larger '
                    'batches raise intake and the number of notifications '
                    'redelivered after a crash. Needs a restart.'),
    cfg.FloatOpt('batch_timeout',
                 default=0.05,
                 min=0.01,
                 help='Seconds to wait for a batch to fill before handling '
                      'what has arrived: the most latency batching adds to '
                      'a lone notification. Needs a restart.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
