"""A second Docker engine of a test's own, on a TLS TCP port of 127.0.0.1.

It stands for a remote engine: the bridge reaches it only through
``tcp://127.0.0.1:PORT`` with client certificates, which openssl makes
here for the test (a CA, the engine's certificate for IP 127.0.0.1, the
bridge's client certificate). Everything the engine keeps is its own:
data root, exec root (and so its own containerd), pid file, unix socket,
an empty daemon.json, and a bridge interface this helper makes for it
(``pdk-<hex>``, removed at the end), with no iptables rule, forwarding
or masquerading (``--iptables=false --ip-forward=false
--ip-masq=false``); its functions run with no network anyway.

Not ``--bridge=none``: dockerd 20.10 then DELETES the host's docker0
interface as it starts (``removeDefaultBridgeInterface`` in
daemon_unix.go), cutting the shared engine's bridge network. Given a
bridge of its own it touches no other; :meth:`TLSDockerd.start` checks
that docker0 is still there all the same. :meth:`TLSDockerd.stop` stops
the engine (and its containerd) by pid; call it in a ``finally``.
"""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import docker
from oslo_config import cfg

from pratai_bridge.conf import runner as runner_conf
from pratai_bridge.runners.docker import _connect

__all__ = ['TLSDockerd']


def _openssl(*args: str) -> None:
    subprocess.run(['openssl', *args], check=True, capture_output=True,
                   timeout=60)


def make_certificates(directory: pathlib.Path) -> dict[str, pathlib.Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate,
    PEM files in ``directory``."""
    paths = {name: directory / f'{name}.pem' for name in (
        'ca', 'ca-key', 'server', 'server-key', 'client', 'client-key')}
    ec = ('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
          '-nodes')
    _openssl('req', '-x509', *ec, '-keyout', str(paths['ca-key']),
             '-out', str(paths['ca']), '-days', '1',
             '-subj', '/CN=pratai-test-ca')
    for name, extensions_text in (
            ('server', 'extendedKeyUsage=serverAuth\n'
                       'subjectAltName=IP:127.0.0.1\n'),
            ('client', 'extendedKeyUsage=clientAuth\n')):
        request = directory / f'{name}.csr'
        extensions = directory / f'{name}.ext'
        extensions.write_text(extensions_text)
        _openssl('req', *ec, '-keyout', str(paths[f'{name}-key']),
                 '-out', str(request), '-subj', f'/CN=pratai-test-{name}')
        _openssl('x509', '-req', '-in', str(request), '-CA', str(paths['ca']),
                 '-CAkey', str(paths['ca-key']), '-CAcreateserial',
                 '-out', str(paths[name]), '-days', '1',
                 '-extfile', str(extensions))
    return paths


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class TLSDockerd:
    """A private dockerd on ``url`` (tcp://127.0.0.1:PORT, TLS verified)."""

    def __init__(self) -> None:
        # Short and under /tmp: unix socket paths (containerd's sits in
        # the exec root) must stay under 108 bytes.
        self.root = pathlib.Path(tempfile.mkdtemp(prefix='pratai-dk-'))
        self.certs = make_certificates(self.root)
        self.port = _free_port()
        self.url = f'tcp://127.0.0.1:{self.port}'
        self.pidfile = self.root / 'docker.pid'
        self.log = self.root / 'dockerd.log'
        self.process: subprocess.Popen | None = None
        # At most 15 bytes, as every interface name.
        self.bridge = f'pdk-{uuid.uuid4().hex[:8]}'
        self._made_bridge = False

    def start(self, timeout: float = 60) -> None:
        (self.root / 'daemon.json').write_text('{}\n')
        had_docker0 = _link_exists('docker0')
        subprocess.run(['ip', 'link', 'add', self.bridge, 'type', 'bridge'],
                       check=True, capture_output=True, timeout=30)
        self._made_bridge = True
        command = [
            'dockerd', '--config-file', str(self.root / 'daemon.json'),
            '--data-root', str(self.root / 'data'),
            '--exec-root', str(self.root / 'exec'),
            '--pidfile', str(self.pidfile),
            '--host', f'unix://{self.root}/docker.sock',
            '--host', f'tcp://127.0.0.1:{self.port}',
            '--tlsverify', '--tlscacert', str(self.certs['ca']),
            '--tlscert', str(self.certs['server']),
            '--tlskey', str(self.certs['server-key']),
            '--bridge', self.bridge, '--iptables=false',
            '--ip6tables=false',
            '--ip-forward=false', '--ip-masq=false',
            '--userland-proxy=false', '--storage-driver', 'overlay2']
        with open(self.log, 'ab') as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client().close()  # made only when the engine answers
                break
            except docker.errors.DockerException:
                if self.process.poll() is not None or (
                        time.monotonic() > deadline):
                    raise AssertionError(
                        'the TLS dockerd did not start:\n'
                        + self.log.read_text()[-4000:]) from None
                time.sleep(0.2)
        if had_docker0 and not _link_exists('docker0'):
            raise AssertionError('docker0 vanished while the test dockerd '
                                 'started: the shared engine has lost its '
                                 'bridge (a dockerd run with --bridge=none '
                                 'deletes it)')

    def client(self) -> docker.DockerClient:
        """A client of this engine, made as the bridge makes its own."""
        conf = cfg.ConfigOpts()
        runner_conf.register_opts(conf)
        conf([], default_config_files=[])
        for name, value in (('docker_url', self.url),
                            ('docker_ca_file', str(self.certs['ca'])),
                            ('docker_cert_file', str(self.certs['client'])),
                            ('docker_key_file',
                             str(self.certs['client-key']))):
            conf.set_override(name, value, group='builder')
        return _connect.client(conf)

    def conf_lines(self) -> str:
        """The [builder] options a bridge reaches this engine with."""
        return (f'docker_url = {self.url}\n'
                f'docker_ca_file = {self.certs["ca"]}\n'
                f'docker_cert_file = {self.certs["client"]}\n'
                f'docker_key_file = {self.certs["client-key"]}\n')

    def load_image(self, source: docker.DockerClient, name: str) -> None:
        """Copy image ``name`` from the ``source`` engine (the engine
        cannot pull: no registry is reachable)."""
        data = b''.join(source.api.get_image(name))
        client = self.client()
        try:
            client.images.load(data)
        finally:
            client.close()

    def stop(self, timeout: float = 30) -> None:
        """Stop the engine, then its containerd, by pid; remove its root."""
        containerd = self.root / 'exec' / 'containerd' / 'containerd.pid'
        containerd_pid = (int(containerd.read_text())
                          if containerd.exists() else None)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if containerd_pid is not None:
            _kill_by_pid(containerd_pid, 'containerd', timeout)
        _unmount_under(self.root)
        shutil.rmtree(self.root, ignore_errors=True)
        if self._made_bridge:
            subprocess.run(['ip', 'link', 'del', self.bridge],
                           capture_output=True, timeout=30)
            self._made_bridge = False


def _link_exists(name: str) -> bool:
    return pathlib.Path(f'/sys/class/net/{name}').exists()


def _kill_by_pid(pid: int, name: str, timeout: float) -> None:
    """SIGTERM, then SIGKILL, the process ``pid`` if it is still ``name``."""
    try:
        if name not in pathlib.Path(f'/proc/{pid}/comm').read_text():
            return
        os.kill(pid, signal.SIGTERM)
    except (FileNotFoundError, ProcessLookupError):
        return
    deadline = time.monotonic() + timeout
    while pathlib.Path(f'/proc/{pid}').exists():
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


def _unmount_under(root: pathlib.Path) -> None:
    """What a stopped engine left mounted under its own root."""
    mounts = [line.split()[1] for line in
              pathlib.Path('/proc/mounts').read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(f'{root}/')),
                        key=len, reverse=True):
        subprocess.run(['umount', '-l', point], capture_output=True,
                       timeout=30)
