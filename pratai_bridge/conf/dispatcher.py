"""[dispatcher] options: how pending executions are run and retried."""

from oslo_config import cfg

GROUP = 'dispatcher'

OPTS = [
    cfg.IntOpt('workers',
               default=4,
               min=1,
               help='Executions run at once by this bridge, all '
                    'subscriptions together (each subscription is also '
                    'bounded by its own delivery.concurrency). They run on '
                    'their own threads, so a slow function never stalls '
                    'intake. Needs a restart.'),
    cfg.FloatOpt('poll_interval',
                 default=1.0,
                 min=0.01,
                 mutable=True,
                 help='Seconds between looks at the journal for executions '
                      'that are due: retries coming due, and work recorded '
                      'by another bridge sharing the journal. New matches '
                      'of this bridge start at once, without waiting.'),
    cfg.FloatOpt('retry_delay',
                 default=2.0,
                 min=0.0,
                 mutable=True,
                 help='Seconds before the first retry of a failed '
                      'execution; the delay doubles with each attempt, up to '
                      'retry_max_delay, and is jittered (between half and '
                      'all of it) so executions failing together do not '
                      'retry together.'),
    cfg.FloatOpt('retry_max_delay',
                 default=300.0,
                 min=0.0,
                 mutable=True,
                 help='The longest delay between two attempts, in seconds.'),
    cfg.IntOpt('log_tail_bytes',
               default=1024,
               min=0,
               mutable=True,
               help='Bytes of a function\'s output (stdout and stderr) '
                    'kept in the journal, from the end.'),
    cfg.FloatOpt('stop_timeout',
                 default=0.0,
                 min=0.0,
                 mutable=True,
                 help='Seconds SIGTERM waits for running executions before '
                      'the bridge exits; 0 waits for all of them (each is '
                      'bounded by its own timeout). Executions cut short '
                      'stay "running" in the journal and run again at the '
                      'next start.'),
    cfg.FloatOpt('lease_time',
                 default=60.0,
                 min=5.0,
                 mutable=True,
                 help='Seconds a running execution stays this bridge\'s '
                      'without a renewal. The bridge renews the leases of '
                      'its running executions every sweep_interval; when a '
                      'bridge stops renewing (killed, cut off from the '
                      'journal) for this long, any bridge sharing the '
                      'journal kills its containers where it can reach '
                      'the engine and runs the executions again. Keep it '
                      'several times sweep_interval.'),
    cfg.FloatOpt('sweep_interval',
                 default=15.0,
                 min=0.5,
                 mutable=True,
                 help='Seconds between two renewals of this bridge\'s '
                      'leases, two looks for executions whose lease '
                      'expired, and two sweeps of what stopped runs left '
                      'behind (containers past their deadline, or a '
                      'minute after they exited: an engine outage may '
                      'keep a run from removing its own).'),
    cfg.IntOpt('max_chain_depth',
               default=4,
               min=0,
               help='The loop guard: the most executions a causal chain may '
                    'hold before the next. An execution gets a request id '
                    '(req-<uuid>) that its function\'s calls send as '
                    'X-OpenStack-Request-ID; an event whose notification '
                    'carries it as its global request id was caused by '
                    'that execution, and so on. An event caused by a chain '
                    'longer than this is recorded with status "loop" and '
                    'not run. Needs a restart.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
