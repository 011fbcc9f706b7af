"""Run the real ``pratai-bridge`` daemon and ``pratai-bridge-manage``.

Each test gets its own state directory, subscription directory and listener
pool (so its own queues), all removed afterwards.
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from tests.functional import rabbit

BIN = pathlib.Path(sys.executable).parent
EXCHANGES = ('nova', 'swift', 'aodh')


class Bridge:
    """A configured bridge: its files, its daemon, its admin CLI."""

    def __init__(self, root: pathlib.Path, extra_conf: str = '',
                 transport_url: str = rabbit.URL,
                 pool: str | None = None) -> None:
        """``transport_url``: another broker (a private one, see
        :mod:`tests.functional.private_services`); ``pool``: consume
        through another bridge's pool (competing consumers) rather than
        a pool of this bridge's own."""
        self.root = root
        #: environment variables the daemon and CLI get on top of ours
        self.env: dict[str, str] = {}
        self.pool = pool or rabbit.new_pool()
        self.subscriptions = root / 'subscriptions.d'
        self.subscriptions.mkdir(parents=True, exist_ok=True)
        self.log = root / 'bridge.log'
        self.conf = root / 'pratai-bridge.conf'
        self.conf.write_text(f"""[DEFAULT]
transport_url = {transport_url}
state_path = {root}
log_file = {self.log}
debug = true

[listener]
pool = {self.pool}
batch_timeout = 0.05

[subscriptions]
directory = {self.subscriptions}

{extra_conf}
""")
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def queues(self) -> list[str]:
        return [f'{self.pool}.{exchange}' for exchange in EXCHANGES]

    def subscribe(self, name: str, text: str) -> None:
        (self.subscriptions / name).write_text(text)

    def start(self, timeout: float = 30) -> None:
        # stderr to a file: a pipe nobody reads would block the daemon.
        with open(self.root / 'stderr.log', 'ab') as stderr:
            self.process = subprocess.Popen(
                [str(BIN / 'pratai-bridge'), '--config-file',
                 str(self.conf)],
                stdout=subprocess.DEVNULL, stderr=stderr,
                env=dict(os.environ, **self.env))
        # A restart appends to the same log: wait for one more start.
        self.starts += 1
        self.wait_for_log('pratai-bridge started', timeout, self.starts)

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ''

    def wait_for_log(self, text: str, timeout: float = 30,
                     count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log_text().count(text) >= count:
                return
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f'pratai-bridge exited {self.process.returncode}:\n'
                    f'{(self.root / "stderr.log").read_text()}\n'
                    f'{self.log_text()[-4000:]}')
            time.sleep(0.05)
        raise AssertionError(f'no {text!r} in the log after {timeout}s:\n'
                             f'{self.log_text()[-4000:]}')

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait; returns the exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f'pratai-bridge ignored SIGTERM for {timeout}s') from None

    def manage(self, *args: str, check: bool = True
               ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(BIN / 'pratai-bridge-manage'), '--config-file',
             str(self.conf), *args],
            capture_output=True, text=True, timeout=120,
            env=dict(os.environ, **self.env))
        if check and result.returncode != 0:
            raise AssertionError(
                f'pratai-bridge-manage {" ".join(args)} exited '
                f'{result.returncode}:\n{result.stderr}')
        return result

    def manage_json(self, *args: str):
        return json.loads(self.manage(*args, '-f', 'json').stdout)

    def executions(self, **filters: str) -> list[dict]:
        args = ['executions', 'list']
        for key, value in filters.items():
            args += [f'--{key}', value]
        return self.manage_json(*args)

    def wait_for_executions(self, count: int, timeout: float = 30,
                            **filters: str) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.executions(**filters)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            rabbit.delete_queues(self.queues)
