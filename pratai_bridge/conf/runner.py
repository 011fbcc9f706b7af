"""[runner] and [builder] options: how functions are built and run.

``[runner] driver`` picks the plugin (namespace ``pratai_bridge.runners``):
``docker`` runs executions in containers of the function's image, which
``[builder]`` makes, and keeps some warm for the next executions of the
same function (``warm_*``); ``local`` runs each as a subprocess of a
per-function virtualenv, for development only (it is not a sandbox).

How much of a function's output is kept is ``[dispatcher]
log_tail_bytes``: runners return that many bytes from the end, the
journal keeps them.
"""

from oslo_config import cfg

GROUP = 'runner'
BUILDER_GROUP = 'builder'

OPTS = [
    cfg.StrOpt('driver',
               default='docker',
               help='How functions run: "docker" (a container per '
                    'execution, the sandbox) or "local" (a subprocess in a '
                    'per-function virtualenv, for development on machines '
                    'without Docker: NOT a sandbox); any plugin of the '
                    'pratai_bridge.runners entry point namespace. Needs a '
                    'restart.'),
    cfg.IntOpt('pids_limit',
               default=64,
               min=1,
               mutable=True,
               help='Most processes and threads one execution may have at '
                    'once (the docker runner\'s pids limit; a fork bomb '
                    'stops there).'),
    cfg.FloatOpt('cpus',
                 default=1.0,
                 min=0.01,
                 mutable=True,
                 help='CPUs one execution may use, as a fraction of the '
                      'machine\'s (docker runner; 0.5 is half of one CPU).'),
    cfg.IntOpt('warm_pool_size',
               default=2,
               min=0,
               max=64,
               mutable=True,
               help='Idle containers the docker runner keeps running per '
                    'function version (and set of limits), each ready to '
                    'serve the next execution at once: a warm start. 0 '
                    'disables reuse: every execution gets a container of '
                    'its own. A function\'s own warm_pool_size, set at '
                    '"function create", applies instead.'),
    cfg.IntOpt('warm_idle_time',
               default=300,
               min=0,
               mutable=True,
               help='Seconds an idle warm container waits for its next '
                    'execution before it is retired (killed and removed). '
                    '0 disables reuse. A function\'s own warm_idle_time '
                    'applies instead.'),
    cfg.IntOpt('warm_max_uses',
               default=100,
               min=0,
               mutable=True,
               help='Executions one warm container serves before it is '
                    'retired; 0 (or 1) disables reuse. A function\'s own '
                    'warm_max_uses applies instead. Whatever these say, a '
                    'container is retired after any execution that did not '
                    'succeed.'),
    cfg.IntOpt('warm_lifetime',
               default=900,
               min=1,
               mutable=True,
               help='Seconds a warm container lives at most, busy or '
                    'idle (at least the timeout of the execution it was '
                    'made for): it takes no execution that could outlast '
                    'it, and kills itself a few seconds after it if its '
                    'bridge is gone and nothing else ended it.'),
    cfg.StrOpt('local_directory',
               default='$state_path/local-runner',
               help='Directory of the local runner: one virtualenv and '
                    'unpacked function per zip, named by its sha256. Needs '
                    'a restart.'),
]

BUILDER_OPTS = [
    cfg.StrOpt('base_image',
               default='pratai/python-base:bookworm',
               help='Image the runtime image is built from. When it is '
                    'missing, a name under "pratai/" is made on this '
                    'machine from Debian packages (mmdebstrap, as root; the '
                    'tag is the Debian suite), any other name (such as '
                    'python:3.11-slim, where a registry is reachable) is '
                    'pulled. Needs a restart.'),
    cfg.StrOpt('runtime_image',
               default='pratai/python-runtime:latest',
               help='Image function images are built from: base_image '
                    'plus the pratai runtime (runtime_directory). Built '
                    'when missing, or ahead of time with '
                    '"pratai-bridge-manage runtime build". Needs a '
                    'restart.'),
    cfg.StrOpt('runtime_directory',
               help='Directory holding the runtime\'s Dockerfile and '
                    'pratai_runtime.py. Default: the first that exists of '
                    'share/pratai-bridge/runtimes/python under the prefix '
                    'pip installed the bridge in (sys.prefix, or the data '
                    'path of its scheme, /usr/local on Debian) and '
                    'runtimes/python of the source checkout the package '
                    'runs from. Needs a restart.'),
    cfg.StrOpt('docker_url',
               help='Docker engine the docker runner and the builder use '
                    '(unix:///var/run/docker.sock, tcp://HOST:2376). '
                    'Default: the DOCKER_HOST environment, else the local '
                    'socket. Needs a restart.'),
    cfg.StrOpt('docker_ca_file',
               help='PEM file of the CA that signed a remote engine\'s '
                    'certificate (the engine\'s --tlscacert). Setting it, '
                    'or docker_cert_file, makes the bridge speak TLS to a '
                    'tcp:// docker_url. Needs a restart.'),
    cfg.StrOpt('docker_cert_file',
               help='PEM client certificate the bridge presents to an '
                    'engine run with --tlsverify; with docker_key_file. '
                    'Needs a restart.'),
    cfg.StrOpt('docker_key_file',
               help='PEM private key of docker_cert_file. Needs a '
                    'restart.'),
    cfg.BoolOpt('docker_tls_verify',
                default=True,
                help='Verify the engine\'s certificate (against '
                     'docker_ca_file, else the system\'s CAs) and its '
                     'name against docker_url\'s host. Turn off only to '
                     'try a setup out: anyone on the path could then pose '
                     'as the engine. Needs a restart.'),
    cfg.IntOpt('build_workers',
               default=2,
               min=1,
               help='Function images the bridge builds at once, on threads '
                    'of their own: an execution whose image is missing '
                    'waits in "pending" (its attempt not counted) while '
                    'the workers of [dispatcher] run the executions that '
                    'are ready. Needs a restart.'),
    cfg.IntOpt('build_timeout',
               default=900,
               min=10,
               mutable=True,
               help='Seconds one function image may take to build, the '
                    'download of its requirements\' wheels included; past '
                    'it the build fails (build_failed, not retried) and '
                    'the executions waiting for it end with that error. '
                    'Build time never counts against a function\'s '
                    'timeout.'),
    cfg.IntOpt('docker_timeout',
               default=120,
               min=1,
               help='Seconds one Docker API call may go without an answer '
                    '(a build streams its progress, so a long build is '
                    'fine). Needs a restart.'),
    cfg.StrOpt('debian_mirror',
               help='Debian mirror mmdebstrap uses to make a local base '
                    'image (http://deb.debian.org/debian). Default: '
                    'Debian\'s own, as apt would use.'),
    cfg.StrOpt('pip_index_url',
               # May hold a user and password: never logged.
               secret=True,
               help='Package index the host downloads functions\' '
                    'requirements from (pip --index-url). Default: pip\'s '
                    'own, PyPI. pip runs with an environment built from '
                    'nothing (PATH, a scratch HOME) and reads no pip '
                    'configuration file, so this is the only index it '
                    'uses. Containers never reach an index: the host '
                    'downloads wheels and the image build installs them '
                    'offline.'),
    cfg.StrOpt('python_version',
               default='3.11',
               help='Python version of the runtime image; requirement '
                    'wheels are downloaded for it (pip download '
                    '--python-version).'),
    cfg.StrOpt('wheel_platform',
               default='manylinux_2_36_x86_64',
               help='Newest wheel platform tag the runtime image accepts '
                    '(glibc 2.36 on x86_64 for Debian bookworm and '
                    'python:3.11-slim); older manylinux tags and pure '
                    'Python wheels are accepted too. Requirements with no '
                    'such wheel fail the build: source distributions are '
                    'never built.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
    conf.register_opts(BUILDER_OPTS, group=BUILDER_GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS), (BUILDER_GROUP, BUILDER_OPTS)]
