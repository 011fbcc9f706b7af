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
                 help='Seconds an idle listener waits for a message before '
                      'it sends the acks of the batches finished meanwhile. '
                      'No notification waits for it: batches are taken '
                      'eagerly (everything that has arrived, up to '
                      'batch_size, as soon as a thread is free). Needs a '
                      'restart.'),
    cfg.IntOpt('threads',
               default=2,
               min=1,
               help='Threads handling batches, per exchange. RabbitMQ '
                    'hands each exchange\'s listener at most '
                    'batch_size * (threads + 1) unacked notifications (a '
                    'batch per thread and one arriving; an explicit '
                    '[oslo_messaging_rabbit] rabbit_qos_prefetch_count '
                    'wins), which bounds the memory a backlog can take. '
                    'Needs a restart.'),
    cfg.IntOpt('max_pending_executions',
               default=10000,
               min=0,
               help='While more executions than this are pending in the '
                    'journal, the listener takes no new batches (RabbitMQ '
                    'keeps the backlog) until the dispatcher catches up. '
                    '0: no bound. Needs a restart.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
