"""A private Docker engine for tests that stop and restart one.

Never the shared dockerd: this one has its own socket, data root, exec
root (so its own containerd), pid file and containerd namespace, a bridge
interface of its own (``pdk-<hex>``, removed when it closes) and no
iptables rules, all under a short directory of its own, which is removed
when it stops. Not ``--bridge=none``: dockerd 20.10 then deletes the
host's docker0 as it starts, cutting the shared engine's bridge network.
Stopped by its pid, always (:meth:`PrivateDockerd.close`, in the
caller's ``finally``).
"""

import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

from tests.functional.unavailable import unavailable


class PrivateDockerd:
    """One dockerd of the test's own; :meth:`start` it, :meth:`close` it."""

    def __init__(self) -> None:
        if shutil.which('dockerd') is None:
            unavailable('dockerd is not installed')
        # Short: a unix socket path is at most 107 bytes.
        self.root = pathlib.Path(tempfile.mkdtemp(prefix='pdk-',
                                                  dir='/tmp'))
        self.socket = self.root / 'docker.sock'
        self.url = f'unix://{self.socket}'
        self.namespace = f'pratai-test-{uuid.uuid4().hex[:8]}'
        # At most 15 bytes, as every interface name.
        self.bridge = f'pdk-{uuid.uuid4().hex[:8]}'
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        """Start (or start again, on the same data) and wait until it
        answers."""
        import docker
        if not pathlib.Path(f'/sys/class/net/{self.bridge}').exists():
            subprocess.run(['ip', 'link', 'add', self.bridge, 'type',
                            'bridge'], check=True, capture_output=True,
                           timeout=30)
        log = open(self.root / 'dockerd.log', 'ab')  # noqa: SIM115
        self.process = subprocess.Popen(
            ['dockerd', '--host', self.url,
             '--data-root', str(self.root / 'data'),
             '--exec-root', str(self.root / 'exec'),
             '--pidfile', str(self.root / 'docker.pid'),
             '--containerd-namespace', self.namespace,
             '--containerd-plugins-namespace', f'{self.namespace}-plugins',
             '--bridge', self.bridge, '--iptables=false', '--ip-masq=false',
             '--ip-forward=false'],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                client = docker.DockerClient(base_url=self.url, timeout=10)
                client.ping()
                client.close()
                return
            except Exception:  # not up yet
                if (self.process.poll() is not None
                        or time.monotonic() > deadline):
                    raise AssertionError(
                        'the private dockerd did not start:\n'
                        + (self.root / 'dockerd.log').read_text()[-3000:]
                    ) from None
                time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (it kills its containers), then SIGKILL past
        ``timeout``; by pid."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def client(self):
        import docker
        return docker.DockerClient(base_url=self.url, timeout=60)

    def load_images(self, *names: str) -> None:
        """Copy images from the shared engine (no registry here)."""
        saver = subprocess.Popen(['docker', 'save', *names],
                                 stdout=subprocess.PIPE)
        loaded = subprocess.run(['docker', '--host', self.url, 'load'],
                                stdin=saver.stdout, capture_output=True,
                                timeout=120)
        saver.stdout.close()
        assert saver.wait(60) == 0 and loaded.returncode == 0, loaded.stderr

    def close(self) -> None:
        """Stop it and remove everything it had."""
        try:
            self.stop()
        finally:
            for mount in reversed(_mounts_under(self.root)):
                subprocess.run(['umount', '-l', mount], check=False,
                               capture_output=True)
            shutil.rmtree(self.root, ignore_errors=True)
            subprocess.run(['ip', 'link', 'del', self.bridge], check=False,
                           capture_output=True, timeout=30)


def _mounts_under(root: pathlib.Path) -> list[str]:
    with open('/proc/mounts') as mounts:
        return [line.split()[1] for line in mounts
                if line.split()[1].startswith(str(root))]
