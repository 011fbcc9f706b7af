"""[runner] options of the sandbox: limits a function cannot lift.

In group ``[runner]`` with the runner's other options, but in a module of
their own: they are the security settings an operator reviews
(docs/security.md), and they change for other reasons than the warm pool
or the driver do. The docker runner applies all of them, to cold and warm
containers alike (pratai_bridge/runners/docker/_sandbox.py); the local
runner, which is no sandbox, only the payload and output bounds.
"""

from oslo_config import cfg

GROUP = 'runner'

#: where a function with --network bridge may never send a packet, unless
#: network_allow makes an exception: this host's loopback and private
#: networks (RFC 1918, shared address space, multicast, reserved)
DEFAULT_DENY = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8',
                '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16',
                '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4']

OPTS = [
    cfg.IntOpt('tmp_size_mb',
               default=16,
               min=1,
               max=4096,
               mutable=True,
               help='Size (MiB) of the tmpfs mounted on /tmp, the only '
                    'writable place of a function container (docker '
                    'runner). A write past it fails with "No space left on '
                    'device". Its pages count against the function\'s '
                    'memory limit.'),
    cfg.IntOpt('nofile_limit',
               default=256,
               min=16,
               max=65536,
               mutable=True,
               help='Most files (and sockets) one process of a function '
                    'may have open at once: the container\'s "nofile" '
                    'ulimit, soft and hard, which a process without '
                    'capabilities cannot raise (docker runner).'),
    cfg.IntOpt('nproc_limit',
               default=1024,
               min=16,
               mutable=True,
               help='The "nproc" ulimit of function containers, soft and '
                    'hard (docker runner). The kernel counts it per user '
                    'across the host: every process and thread of uid '
                    '10001, in all function containers together; a bound '
                    'on them all, where pids_limit bounds one execution. '
                    'Keep it above pids_limit times the executions that '
                    'run at once.'),
    cfg.StrOpt('oci_runtime',
               help='OCI runtime of function containers (docker run '
                    '--runtime): "runsc" (gVisor) or "kata" (Kata '
                    'Containers) put a kernel of their own between a '
                    'function and the host\'s, against kernel exploits; it '
                    'must be installed and known to the engine ("docker '
                    'info" lists the runtimes), or the bridge refuses to '
                    'start. Default: the engine\'s default runtime (runc). '
                    'Needs a restart.'),
    cfg.IntOpt('max_payload_kb',
               default=1024,
               min=1,
               mutable=True,
               help='Largest payload (KiB of JSON, the event document) '
                    'handed to a function. A larger one is never handed '
                    'over: its execution ends at once with the error '
                    'payload_too_large, and is not retried.'),
    cfg.IntOpt('max_result_kb',
               default=4096,
               min=1,
               max=65536,
               mutable=True,
               help='Largest result (KiB of JSON, what main returns) a '
                    'runner reads; a larger one fails the execution ("the '
                    'result is larger than ..."), it never fills the '
                    'bridge\'s memory. What a function prints is kept only '
                    'up to [dispatcher] log_tail_bytes from its end, and '
                    'marked as cut ("[N earlier bytes not kept]").'),
    cfg.StrOpt('function_network',
               default='pratai-functions',
               help='Docker network of the functions created with '
                    '--network bridge (never docker0): the docker runner '
                    'creates it when missing, with no traffic between its '
                    'containers, and, with network_firewall, the host\'s '
                    'rules for it. Needs a restart.'),
    cfg.BoolOpt('network_firewall',
                default=True,
                help='Whether the docker runner installs (with iptables, '
                     'as root, on this host) the rules that keep functions '
                     'of function_network from this host\'s own addresses '
                     '(chain INPUT), from the link-local and metadata '
                     'addresses 169.254.0.0/16 and from network_deny '
                     '(chain DOCKER-USER). If it cannot, functions with '
                     'network do not run. Set false only when the engine '
                     'runs on another host or the operator installs '
                     'equivalent rules: the bridge then checks nothing. '
                     'Needs a restart.'),
    cfg.ListOpt('network_allow',
                default=[],
                help='Networks (CIDRs) functions with --network bridge may '
                     'reach although network_deny covers them: an API of '
                     'the cloud on a private network, say. Never this '
                     'host\'s own addresses, nor 169.254.0.0/16. Needs a '
                     'restart.'),
    cfg.ListOpt('network_deny',
                default=DEFAULT_DENY,
                help='Networks (CIDRs) functions with --network bridge may '
                     'not reach, beside this host and 169.254.0.0/16 '
                     'which they never reach. The default is the private, '
                     'loopback and reserved ranges: functions reach the '
                     'internet only. 0.0.0.0/0 with network_allow makes an '
                     'egress allow-list. Needs a restart.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
