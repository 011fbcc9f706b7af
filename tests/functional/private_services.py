"""Private RabbitMQ and PostgreSQL servers, for the tests that break them.

The shared services are never stopped, restarted or disconnected: other
sessions use them. A fault test starts its own server here, on its own
free port, data directory and (RabbitMQ) node name, all on 127.0.0.1, breaks
that one, and stops it by pid when it is done, even when it fails::

    with PrivateRabbit() as broker:
        broker.ctl('close_all_connections', 'fault test')
    with PrivatePostgres() as pg:
        pg.stop(); ...; pg.start()

Each skips (or fails under CI, see :func:`unavailable`) when the server's
programs are not installed.
"""

import glob
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from tests.functional.unavailable import unavailable



def _free_port() -> int:
    """A port nothing listens on now: sessions of other worktrees run
    fault tests at the same time, so no fixed port is safe."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(('127.0.0.1', port)) == 0


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f'{what} after {timeout} s')
        time.sleep(0.1)


def _kill_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """End a server we started (its own session) and what it spawned."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    except ProcessLookupError:
        pass


class PrivateRabbit:
    """A RabbitMQ node of our own: ``pratai-fault-XXXX@localhost``."""

    def __init__(self, port: int | None = None) -> None:
        if shutil.which('rabbitmq-server') is None:
            unavailable('rabbitmq-server is not installed')
        self.root = _private_dir('rabbit')
        self.port = port or _free_port()
        self.dist_port = _free_port()
        self.node = f'pratai-fault-{uuid.uuid4().hex[:6]}@localhost'
        self.url = f'rabbit://guest:guest@127.0.0.1:{self.port}/'
        self._process: subprocess.Popen | None = None

    def _env(self) -> dict[str, str]:
        plugins = self.root / 'enabled_plugins'
        plugins.write_text('[].\n')  # no management listener to clash
        return dict(
            os.environ, RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS='127.0.0.1',
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            ERL_EPMD_ADDRESS='127.0.0.1',
            RABBITMQ_MNESIA_BASE=str(self.root / 'mnesia'),
            RABBITMQ_LOG_BASE=str(self.root / 'log'),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(plugins),
            RABBITMQ_CONFIG_FILE=str(self.root / 'none'),
            RABBITMQ_PID_FILE=str(self.root / 'rabbit.pid'))

    def __enter__(self) -> 'PrivateRabbit':
        if _port_open(self.port):
            raise AssertionError(f'port {self.port} is taken: is another '
                                 'fault test running?')
        env = self._env()
        if os.geteuid() == 0:
            # Debian's rabbitmq-server runs the node as rabbitmq.
            for path in (self.root, *self.root.iterdir()):
                shutil.chown(path, 'rabbitmq', 'rabbitmq')
        with open(self.root / 'server.log', 'ab') as log:
            # cwd: an Erlang crash dump lands there, not in the checkout.
            self._process = subprocess.Popen(
                ['rabbitmq-server'], env=env, stdout=log, cwd=self.root,
                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.await_startup()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def await_startup(self, timeout: float = 60) -> None:
        """Until the node runs its app and takes AMQP connections."""
        deadline = time.monotonic() + timeout
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise AssertionError(
                    'rabbitmq-server exited: ' +
                    (self.root / 'server.log').read_text()[-2000:])
            try:
                # Fails at once until the node has registered with epmd.
                self.ctl('await_startup', timeout=max(deadline -
                                                      time.monotonic(), 1))
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        _wait(lambda: _port_open(self.port), 30, 'no AMQP port')

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """``rabbitmqctl -n NODE ARGS``, on this node only."""
        result = subprocess.run(
            ['rabbitmqctl', '-n', self.node, *args], env=self._env(),
            capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f'rabbitmqctl {" ".join(args)}: '
                                 f'{result.stdout}{result.stderr}')
        return result.stdout

    def queue_depth(self, name: str) -> tuple[int, int]:
        """(ready, unacknowledged) messages of queue ``name`` here."""
        return queue_depth(name, self.ctl)

    def __exit__(self, *exc_info) -> None:
        if self._process is None:
            return
        try:
            self.ctl('stop', timeout=60)
        except Exception:
            pass
        _kill_group(self._process)
        self._process = None
        shutil.rmtree(self.root, ignore_errors=True)


def _private_dir(kind: str) -> pathlib.Path:
    """A directory of our own, removed by the server's ``__exit__``.

    Not the test's tmp_path: the server runs as its own user (rabbitmq,
    postgres) when the tests run as root, and pytest's directories are
    closed to other users.
    """
    path = pathlib.Path(tempfile.mkdtemp(prefix=f'pratai-fault-{kind}-'))
    os.chmod(path, 0o755)
    return path


def _shared_ctl(*args: str) -> str:
    return subprocess.run(['rabbitmqctl', *args], capture_output=True,
                          text=True, timeout=60, check=True).stdout


def queue_depth(name: str, ctl=_shared_ctl) -> tuple[int, int]:
    """(ready, unacknowledged) messages of queue ``name``; by default on
    the shared broker (a read: listing queues changes nothing)."""
    for line in ctl('list_queues', '--quiet', '--no-table-headers', 'name',
                    'messages_ready',
                    'messages_unacknowledged').splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return int(fields[1]), int(fields[2])
    raise AssertionError(f'no queue {name}')


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f'/usr/lib/postgresql/*/bin/{name}'))
    if not found:
        unavailable(f'PostgreSQL\'s {name} is not installed')
    return found[-1]


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary directory).

    PostgreSQL refuses to run as root: when the tests run as root the
    cluster belongs to the ``postgres`` user, and so does its directory.
    """

    def __init__(self, port: int | None = None) -> None:
        self.root = _private_dir('postgres')
        self.port = port or _free_port()
        self.data = self.root / 'data'
        self.url = (f'postgresql+psycopg2://postgres@127.0.0.1:{self.port}/'
                    'postgres')
        self._user = 'postgres' if os.geteuid() == 0 else None
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> 'PrivatePostgres':
        if _port_open(self.port):
            raise AssertionError(f'port {self.port} is taken: is another '
                                 'fault test running?')
        if self._user:
            shutil.chown(self.root, self._user, self._user)
        subprocess.run(
            [_postgres_bin('initdb'), '-D', str(self.data), '-U',
             'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
            check=True, capture_output=True, timeout=120, user=self._user)
        try:
            self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def start(self) -> None:
        """Start (again) on the same data directory; waits for the port."""
        assert self._process is None or self._process.poll() is not None
        with open(self.root / 'server.log', 'ab') as log:
            self._process = subprocess.Popen(
                [_postgres_bin('postgres'), '-D', str(self.data), '-p',
                 str(self.port), '-c', 'listen_addresses=127.0.0.1', '-c',
                 f'unix_socket_directories={self.root}'],
                stdout=log, stderr=subprocess.STDOUT, user=self._user,
                start_new_session=True)
        _wait(lambda: _port_open(self.port), 30, 'PostgreSQL not up')

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster, by its pid)."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            _kill_group(process)

    def __exit__(self, *exc_info) -> None:
        if self._process is not None:
            self.stop()
            _kill_group(self._process)
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)
