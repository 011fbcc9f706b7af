"""The sandbox, tested by attack: hostile functions on the real engine.

One zip, built once by the project's builder, holds every attack; the
payload says which to try. Each test runs its attack in both modes: in a
container of its own (``cold``: the function's warm pool is 0) and in a
warm container that has served the same function before (``warm``), so
every limit is seen to hold for reused containers too. After each attack
another function runs (the runner goes on) and the autouse fixture of
docker_engine.py checks that no container is left.

Each attack either fails (the function raises ``Denied`` listing how
every try of it failed: the execution's error says why) or is stopped by
the sandbox (timeout, out of memory), or, for what cannot fail but must
show nothing (the environment), returns what it saw. With
``PRATAI_ATTACK_TABLE=FILE`` the outcomes are written to FILE as the
markdown table of docs/security.md.

Network traffic goes only to this machine's own addresses; nothing is
sent to the metadata address: its rule is read from iptables.
"""

import contextlib
import io
import ipaddress
import os
import re
import socket
import subprocess
import threading
import time
import zipfile

import pytest

from pratai_bridge.runners import base
from pratai_bridge.runners.docker import DockerRunner
from pratai_bridge.runners.docker import _network
from tests.functional import bridge as bridge_mod
from tests.functional.docker_engine import NONCE
from tests.functional.docker_engine import containers_of
from tests.functional.docker_engine import prepared
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import make_conf

ATTACKS = f'''# {NONCE}
import ctypes, os, resource, signal, socket, subprocess, sys, time

libc = ctypes.CDLL(None, use_errno=True)


class Denied(Exception):
    """Every try of the attack failed; the message says how each did."""


def tries(*attempts, facts=()):
    failed, done = [], []
    for what, action in attempts:
        try:
            action()
        except Exception as exc:
            failed.append(what + ": " + type(exc).__name__ + ": " + str(exc))
        else:
            done.append(what)
    if done:
        return {{"succeeded": done, "failed": failed}}
    raise Denied("; ".join(failed + list(facts)))


def write(path):
    with open(path, "w") as out:
        out.write("pwned")


def read(path):
    with open(path, "rb") as source:
        source.read()


def connect(host, port):
    def action():
        with socket.create_connection((host, port), timeout=1):
            pass
    return host + ":" + str(port), action


def unix(path):
    def action():
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(path)
    return path, action


def call(name, *args):
    def action():
        if getattr(libc, name)(*args) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number))
    return action


def run(*command):
    def action():
        done = subprocess.run(command, capture_output=True, text=True,
                              input="", timeout=5)
        if done.returncode != 0:
            raise PermissionError((done.stderr or done.stdout).strip())
    return action


def status(name):
    for line in open("/proc/self/status"):
        if line.startswith(name + ":"):
            return name + "=" + line.split(":", 1)[1].strip()


def write_root(payload):
    return tries(*[(path, lambda path=path: write(path)) for path in
                   ("/pwned", "/opt/function/handler.py", "/etc/passwd",
                    "/usr/bin/python3")])


def environment(payload):
    seen = {{}}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                seen[pid] = open("/proc/%s/environ" % pid).read()
            except OSError as exc:
                seen[pid] = str(exc)
    return {{"environ": dict(os.environ), "proc": seen}}


def read_files(payload):
    return tries(*[(path, lambda path=path: read(path))
                   for path in payload["paths"]])


def connections(payload):
    targets = [connect(host, port) for host, port in payload["targets"]]
    targets += [unix(path) for path in ("/var/run/docker.sock",
                                        "/run/docker.sock")]
    return tries(*targets)


def root(payload):
    return tries(
        ("setuid(0)", lambda: os.setuid(0)),
        ("setgid(0)", lambda: os.setgid(0)),
        ("su root (setuid binary)", run("su", "-c", "id", "root")),
        ("newgrp (setuid binary)", run("newgrp", "root")),
        ("unshare -r (user namespace)", run("unshare", "-r", "id")),
        ("unshare(CLONE_NEWUSER)", call("unshare", 0x10000000)),
        ("mount tmpfs", call("mount", b"tmpfs", b"/opt", b"tmpfs", 0, None)),
        ("raw socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                             socket.IPPROTO_ICMP)),
        ("packet socket", lambda: socket.socket(socket.AF_PACKET,
                                                socket.SOCK_RAW)),
        ("ptrace a host process", call("ptrace", 16, payload["host_pid"],
                                       0, 0)),
        ("raise RLIMIT_NPROC", lambda: resource.setrlimit(
            resource.RLIMIT_NPROC, (10 ** 6, 10 ** 6))),
        facts=[status("CapEff"), status("CapBnd"), status("NoNewPrivs"),
               "uid=%d" % os.getuid()])


def fork_bomb(payload):
    me, started = os.getpid(), time.monotonic()
    while True:
        try:
            os.fork()
        except OSError:
            if os.getpid() == me and time.monotonic() - started > 1:
                raise
            time.sleep(0.01)


def memory(payload):
    kept = []
    while True:
        kept.append(b"x" * (1024 * 1024))  # written: resident


def spin(payload):
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    while True:
        pass


def fill(path):
    def action():
        with open(path, "wb") as out:
            while True:
                out.write(b"x" * 1024 * 1024)
                out.flush()
    return action


def fill_tmp(payload):
    return tries(("/tmp", fill("/tmp/fill")),
                 ("/dev/shm", fill("/dev/shm/fill")))


def flood(payload):
    line = "x" * 8191 + "\\n"
    while True:
        sys.stdout.write(line)
        sys.stderr.write(line)
        os.write(1, line.encode())


def open_files(payload):
    kept = []
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
        raised = "raised"
    except ValueError as exc:
        raised = str(exc)
    try:
        while True:
            kept.append(open("/dev/null"))
    except OSError as exc:
        raise Denied("setrlimit(RLIMIT_NOFILE, 65536): %s; open: %s after "
                     "%d files" % (raised, exc, len(kept)))


def big_result(payload):
    return "x" * (8 * 1024 * 1024)


def noop(payload):
    return "ok"


def main(payload=None):
    # From a test: {{"attack": ...}}; from the daemon, the event document,
    # whose notification payload names the attack.
    asked = payload if "attack" in payload else payload["payload"]
    return globals()[asked["attack"]](asked)
'''

#: in the bridge's environment: never seen by a function
SECRET = f'pratai-attack-secret-{NONCE}'
#: (attack, mode) -> what happened, for the table
SEEN = {}
# What each attack is, for the table (in the order of the table).
ATTACK_NAMES = {
    'write_root': 'write to the root filesystem (/, /opt/function, /etc, '
                  '/usr/bin)',
    'environment': 'read /proc/*/environ and its environment',
    'read_files': 'read the bridge\'s config, journal, credentials, the '
                  'Docker socket and config',
    'connections': 'TCP to 127.0.0.1:5672, the host\'s addresses '
                   '(RabbitMQ, PostgreSQL, Keystone, Swift), the Docker '
                   'socket paths',
    'root': 'become root, gain capabilities: setuid, setuid binaries, user '
            'namespace, mount, raw and packet sockets, ptrace, raise '
            'RLIMIT_NPROC',
    'fork_bomb': 'fork bomb',
    'memory': 'allocate past the memory limit (64 MiB)',
    'spin': 'spin past the timeout (3 s), ignoring SIGTERM/SIGINT/SIGHUP',
    'fill_tmp': 'fill /tmp and /dev/shm',
    'flood': 'endless stream to stdout, stderr and fd 1',
    'open_files': 'raise RLIMIT_NOFILE, then open files without end',
    'big_result': 'return an 8 MiB result',
    'payload': 'an event of 2 MiB (over [runner] max_payload_kb)',
    'network': '--network bridge: TCP to a listener on every address of '
               'this host',
}
MODES = ['cold', 'warm']


@pytest.fixture(scope='module')
def attacker(runner):
    """The attacks under one name per mode, and a bystander: one image."""
    functions = {
        'cold': prepared(runner, 'attack-cold', {'handler.py': ATTACKS},
                         warm_pool_size=0),
        'warm': prepared(runner, 'attack-warm', {'handler.py': ATTACKS}),
        'bystander': prepared(runner, 'bystander', {'handler.py': ATTACKS}),
    }
    yield functions
    table = os.environ.get('PRATAI_ATTACK_TABLE')
    if table:
        with open(table, 'w') as out:
            out.write(_table())


@pytest.fixture(autouse=True)
def secret_in_the_bridge(monkeypatch):
    monkeypatch.setenv('PRATAI_TEST_SECRET', SECRET)


def _table():
    lines = ['| attack | cold container | warm container |',
             '|---|---|---|']
    for name, what in ATTACK_NAMES.items():
        cells = [SEEN.get((name, mode), 'not run') for mode in MODES]
        lines.append(f'| {what} | ' + ' | '.join(
            cell.replace('|', '\\|') for cell in cells) + ' |')
    return '\n'.join(lines) + '\n'


def _why(outcome):
    """The outcome as the table says it: status, and the error's last
    line (where a traceback says what was raised); a ``Denied`` as each
    error once, with the tries that got it."""
    if not outcome.error:
        return f'{outcome.status}: {outcome.result!r}'[:300]
    last = outcome.error.strip().splitlines()[-1]
    prefix = 'handler.Denied: '
    if not last.startswith(prefix):
        return f'{outcome.status}: {last}'
    tried, facts = {}, []
    for entry in last[len(prefix):].split('; '):
        what, colon, how = entry.partition(': ')
        if not colon:  # CapEff=...: a fact, not a try
            facts.append(entry)
            continue
        how = re.sub(r"^(\w+Error: )?(\[Errno \d+\] )?", '', how)
        how = re.sub(r": '[^']*'$", '', how)
        tried.setdefault(how, []).append(what)
    return f'{outcome.status}, every try: ' + '; '.join(
        [f'{how} ({", ".join(whats)})' for how, whats in tried.items()]
        + facts)


def _attack(runner, engine, attacker, mode, attack, payload=None,
            **overrides):
    """Run ``attack`` in ``mode``; check the runner goes on and nothing
    is left; the outcome."""
    function = attacker[mode]
    if mode == 'warm':
        first = runner.run(function, {'attack': 'noop'}, limits(**overrides))
        assert (first.status, first.warm) == (base.SUCCEEDED, False), first
    outcome = runner.run(function, dict(payload or {}, attack=attack),
                         limits(**overrides))
    assert outcome.warm is (mode == 'warm'), outcome
    # Whatever it did, the next function runs, and the runner is clean.
    after = runner.run(attacker['bystander'], {'attack': 'noop'}, limits())
    assert (after.status, after.result) == (base.SUCCEEDED, 'ok'), after
    if outcome.status != base.SUCCEEDED:
        assert containers_of(engine, function) == []
    for text in (repr(outcome.result), outcome.error or '', outcome.logs):
        assert SECRET not in text
    SEEN[(attack, mode)] = _why(outcome)
    return outcome


def _denied(outcome, *reasons):
    assert outcome.status == base.FAILED, outcome
    last = outcome.error.strip().splitlines()[-1]
    assert last.startswith('handler.Denied: '), outcome.error
    for reason in reasons:
        assert reason in last, (reason, last)
    return last


@pytest.mark.parametrize('mode', MODES)
def test_the_root_filesystem_is_read_only(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'write_root')
    last = _denied(outcome)
    assert last.count('Read-only file system') == 4


@pytest.mark.parametrize('mode', MODES)
def test_the_bridge_s_environment_is_not_there(runner, engine, attacker,
                                               mode):
    outcome = _attack(runner, engine, attacker, mode, 'environment')
    assert outcome.status == base.SUCCEEDED, outcome
    assert set(outcome.result['environ']) == {'HOME', 'HOSTNAME', 'LANG',
                                              'PATH'}
    # Only the container's processes (tini, timeout, the runtime, /proc
    # of the reader), each with the container's environment alone.
    assert len(outcome.result['proc']) <= 4
    for environ in outcome.result['proc'].values():
        names = {entry.split('=', 1)[0] for entry in environ.split('\0')
                 if entry}
        assert names <= {'HOME', 'HOSTNAME', 'LANG', 'PATH'}, environ
    SEEN[('environment', mode)] = (
        'succeeded: only the container\'s own HOME, HOSTNAME, LANG, PATH; '
        f'{len(outcome.result["proc"])} processes visible, all its own')


@pytest.mark.parametrize('mode', MODES)
def test_the_bridge_s_files_are_not_there(runner, engine, attacker, mode,
                                          tmp_path):
    paths = [str(runner.conf.config_file[0]),
             '/etc/pratai-bridge/pratai-bridge.conf',
             '/var/lib/pratai-bridge/journal.sqlite',
             '/root/.docker/config.json', '/var/run/docker.sock',
             '/etc/shadow']
    outcome = _attack(runner, engine, attacker, mode, 'read_files',
                      {'paths': paths})
    last = _denied(outcome)
    assert last.count('FileNotFoundError') == 5, last
    # The image's own /root is not the host's, and not the function's.
    assert '/root/.docker/config.json: PermissionError' in last


def _host_addresses():
    """This host's own IPv4 addresses, loopback included."""
    listed = subprocess.run(['ip', '-4', '-o', 'addr', 'show'],
                            capture_output=True, text=True, check=True)
    return sorted({line.split()[3].split('/')[0]
                   for line in listed.stdout.splitlines()},
                  key=ipaddress.IPv4Address)


@pytest.mark.parametrize('mode', MODES)
def test_the_host_s_services_are_out_of_reach(runner, engine, attacker,
                                              mode):
    services = (5672, 5432, 5000, 8080)
    targets = [[address, port] for address in _host_addresses()
               for port in services]
    outcome = _attack(runner, engine, attacker, mode, 'connections',
                      {'targets': targets})
    last = _denied(outcome)
    # 127.0.0.1 is the container's own loopback: nothing listens there.
    assert '127.0.0.1:5672: ConnectionRefusedError' in last
    others = [t for t in targets if t[0] != '127.0.0.1']
    assert last.count('Network is unreachable') == len(others), last
    assert last.count('FileNotFoundError') == 2  # the Docker socket paths


@pytest.mark.parametrize('mode', MODES)
def test_no_root_and_no_capabilities(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'root',
                      {'host_pid': os.getpid()})
    last = _denied(outcome, 'setuid(0): PermissionError',
                   'su root (setuid binary): PermissionError',
                   'unshare -r (user namespace): PermissionError',
                   'unshare(CLONE_NEWUSER): PermissionError: [Errno 1]',
                   'mount tmpfs: PermissionError: [Errno 1]',
                   'raw socket: PermissionError',
                   'packet socket: PermissionError',
                   'raise RLIMIT_NPROC: ValueError',
                   'CapEff=0000000000000000', 'CapBnd=0000000000000000',
                   'NoNewPrivs=1', 'uid=10001')
    # The bridge's process is not in the container's pid namespace.
    assert ('ptrace a host process: ProcessLookupError: [Errno 3] No such '
            'process') in last


@pytest.mark.parametrize('mode', MODES)
def test_a_fork_bomb_stops_at_the_pids_limit(runner, engine, attacker,
                                             mode):
    # Another function runs while the bomb goes off.
    during = []
    bystander = threading.Thread(target=lambda: during.append(runner.run(
        attacker['bystander'], {'attack': 'noop'}, limits())))
    bystander.start()
    outcome = _attack(runner, engine, attacker, mode, 'fork_bomb',
                      timeout_s=20)
    bystander.join(30)
    assert [o.status for o in during] == [base.SUCCEEDED]
    assert outcome.status == base.FAILED, outcome
    assert outcome.error.strip().endswith(
        'BlockingIOError: [Errno 11] Resource temporarily unavailable')


@pytest.mark.parametrize('mode', MODES)
def test_memory_past_the_limit_is_killed(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'memory', memory_mb=64)
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'out of memory (limit 64 MiB)')


@pytest.mark.parametrize('mode', MODES)
def test_a_spin_is_killed_at_the_timeout(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'spin', timeout_s=3)
    assert (outcome.status, outcome.error) == (
        base.TIMEOUT, 'timed out after 3 s; killed')


@pytest.mark.parametrize('mode', MODES)
def test_tmp_and_shm_fill_up_at_their_size(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'fill_tmp')
    last = _denied(outcome)
    assert last.count('No space left on device') == 2, last


@pytest.mark.parametrize('mode', MODES)
def test_an_endless_stream_is_cut(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'flood', timeout_s=3)
    assert (outcome.status, outcome.error) == (
        base.TIMEOUT, 'timed out after 3 s; killed')
    kept = runner.conf.dispatcher.log_tail_bytes
    assert len(outcome.logs.encode()) <= kept
    dropped = int(outcome.logs[1:].split(' ', 1)[0])
    assert outcome.logs.startswith(f'[{dropped} earlier bytes not kept]\n')
    assert dropped > 1024 * 1024  # it did write, and it was cut
    SEEN[('flood', mode)] = (f'{_why(outcome)}; logs cut to their last '
                             f'{kept} bytes, marked "[{dropped} earlier '
                             'bytes not kept]"')


@pytest.mark.parametrize('mode', MODES)
def test_open_files_stop_at_the_ulimit(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'open_files')
    last = _denied(outcome, 'not allowed to raise maximum limit',
                   'Too many open files')
    opened = int(last.rsplit(' after ', 1)[1].split()[0])
    assert opened < runner.conf.runner.nofile_limit


@pytest.mark.parametrize('mode', MODES)
def test_a_huge_result_is_not_kept(runner, engine, attacker, mode):
    outcome = _attack(runner, engine, attacker, mode, 'big_result')
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'the result is larger than 4194304 bytes ([runner] '
        'max_result_kb): not kept')


@pytest.mark.parametrize('mode', MODES)
def test_an_oversized_payload_is_never_handed_over(runner, engine, attacker,
                                                   mode):
    function = attacker[mode]
    if mode == 'warm':
        runner.run(function, {'attack': 'noop'}, limits())
    before = {c.id for c in containers_of(engine, function)}
    with pytest.raises(base.PayloadTooLarge) as raised:
        runner.run(function, {'attack': 'noop', 'x': 'y' * (2 << 20)},
                   limits())
    assert {c.id for c in containers_of(engine, function)} == before
    SEEN[('payload', mode)] = (f'refused before any container: '
                               f'payload_too_large ({raised.value})')


@contextlib.contextmanager
def _listener():
    """A TCP listener on every address of this host; the connections it
    accepted, counted."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('0.0.0.0', 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except OSError:
                continue
            accepted.append(peer)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        server.close()


def _network_runner(tmp_path, name, firewall):
    tmp_path.mkdir(exist_ok=True)
    conf = make_conf(tmp_path, f'[runner]\nfunction_network = {name}\n'
                               f'network_firewall = {firewall}\n')
    return DockerRunner(conf)


@pytest.mark.parametrize('mode', MODES)
def test_a_function_with_network_cannot_reach_this_host(
        runner, engine, attacker, mode, tmp_path):
    runner.network.ensure(runner.builder.api)  # its gateway is ours too
    with _listener() as (port, accepted):
        targets = [[address, port] for address in _host_addresses()
                   if not address.startswith('127.')]
        function = attacker[mode]
        if mode == 'warm':
            runner.run(function, {'attack': 'noop'}, limits(network=True))
        outcome = runner.run(function, {'attack': 'connections',
                                        'targets': targets},
                             limits(network=True))
        assert outcome.warm is (mode == 'warm')
        # The gateway of the function network is this host too.
        gateway = engine.api.inspect_network(runner.network.name)[
            'IPAM']['Config'][0]['Gateway']
        assert gateway in [t[0] for t in targets]
        last = _denied(outcome)
        assert last.count('TimeoutError') == len(targets), last  # dropped
        assert accepted == []
        # The same function, on a network without the rules, reaches it:
        # the test can see a connection when there is one.
        control = _network_runner(tmp_path, f'ft-{NONCE}-open', 'false')
        try:  # the image exists: no prepare
            reached = control.run(attacker['bystander'],
                                  {'attack': 'connections',
                                   'targets': targets},
                                  limits(network=True))
        finally:
            control.close()
            control.network.remove(control.builder.api)
            control.builder.close()
        assert reached.status == base.SUCCEEDED, reached
        assert len(accepted) == len(targets)
    SEEN[('network', mode)] = (
        f'{_why(outcome)}; the same function on a network without the '
        f'rules connected to all {len(targets)}')


LISTENER = (
    'import socket\n'
    'server = socket.socket()\n'
    'server.bind(("0.0.0.0", 8000))\n'
    'server.listen(8)\n'
    'while True:\n'
    '    server.accept()[0].close()\n')


def test_functions_cannot_reach_each_other(runner, engine, attacker):
    """Another container on the function network listens; a function
    there cannot connect to it: icc is off, and the network's addresses
    are in the default network_deny too."""
    runner.network.ensure(runner.builder.api)
    neighbour = engine.containers.run(
        'pratai/python-runtime:latest', ['-c', LISTENER],
        entrypoint='python3', user='10001:10001', network=runner.network.name,
        name=f'ft-{NONCE}-neighbour', labels={'pratai.test': NONCE},
        detach=True)
    try:
        neighbour.reload()
        address = neighbour.attrs['NetworkSettings']['Networks'][
            runner.network.name]['IPAddress']
        # It listens: it reaches itself.
        probe = ('import socket, sys\n'
                 f'socket.create_connection(("{address}", 8000), timeout=5)')
        for _ in range(50):
            if neighbour.exec_run(['python3', '-c', probe]).exit_code == 0:
                break
            time.sleep(0.2)
        else:
            pytest.fail('the neighbour does not listen')
        outcome = runner.run(attacker['bystander'],
                             {'attack': 'connections',
                              'targets': [[address, 8000]]},
                             limits(network=True))
    finally:
        neighbour.remove(force=True)
    last = _denied(outcome)
    assert f'{address}:8000: TimeoutError' in last, last


def _iptables(*words):
    return subprocess.run(['iptables', '-w', *words], capture_output=True,
                          text=True, check=False)


def test_the_function_network_s_rules_without_sending_a_packet(
        engine, tmp_path, attacker):
    name = f'ft-{NONCE}-fw'
    made = _network_runner(tmp_path, name, 'true')
    chain, iface = _network.chain(name), _network.interface(name)
    try:
        assert made.network.ensure(made.builder.api) == name
        network = engine.api.inspect_network(name)
        assert network['Options'] == {
            'com.docker.network.bridge.name': iface,
            'com.docker.network.bridge.enable_icc': 'false'}
        rules = _iptables('-S', chain).stdout.splitlines()
        # The metadata address first: no allow-list entry comes before it.
        assert rules[:2] == [f'-N {chain}',
                             f'-A {chain} -d 169.254.0.0/16 -j DROP']
        assert f'-A {chain} -d 10.0.0.0/8 -j DROP' in rules
        assert _iptables('-C', 'DOCKER-USER', '-i', iface, '-j',
                         chain).returncode == 0
        assert _iptables('-C', 'INPUT', '-i', iface, '-j',
                         'DROP').returncode == 0
        # Made again (a second bridge, a restart): no rule twice.
        again = _network_runner(tmp_path / 'again', name, 'true')
        again.network.ensure(again.builder.api)
        again.builder.close()
        listing = _iptables('-S').stdout
        assert listing.count(f'-i {iface} -j {chain}') == 1
        assert listing.count(f'-i {iface} -j DROP') == 1
    finally:
        made.network.remove(made.builder.api)
        made.builder.close()
    assert iface not in _iptables('-S').stdout
    assert _iptables('-S', chain).returncode != 0
    assert engine.networks.list(names=[name]) == []


#: attack -> the statuses and starts of the error the daemon may record
#: (a fork bomb among other attacks on a loaded machine may not see its
#: fork fail before its timeout: stopped either way)
DAEMON_ATTACKS = {
    'fork_bomb': {('failed', 'Traceback'),
                  ('timeout', 'timed out after 5 s; killed')},
    'memory': {('failed', 'out of memory (limit 64 MiB)')},
    'spin': {('timeout', 'timed out after 5 s; killed')},
    'flood': {('timeout', 'timed out after 5 s; killed')},
    # With no descriptor left, the runtime reports without a traceback.
    'open_files': {('failed', '(no traceback: '), ('failed', 'Traceback')},
    'big_result': {('failed', 'the result is larger than')},
}


def test_the_daemon_goes_on_through_every_attack(make_bridge, publisher,
                                                 engine, tmp_path):
    """The real daemon, its attacks published on RabbitMQ: each ends as
    it should, an oversized event is recorded payload_too_large, and the
    daemon runs the next event."""
    name = f'ft-{NONCE}-daemon'
    bridge = make_bridge('[store]\ndriver = local\n[runner]\n'
                         f'driver = docker\nfunction_network = ft-{NONCE}\n'
                         '[dispatcher]\nretry_delay = 0.2\n')
    attacks = [*DAEMON_ATTACKS, 'noop']
    bridge.subscribe('10-attacks.yaml', 'subscriptions:\n' + ''.join(
        f'  - name: attack-{attack}\n    function: {name}\n'
        '    filters:\n      - event_type: test.attack\n'
        f'      - pattern: {{payload: {{attack: [{attack}]}}}}\n'
        '    delivery: {max_attempts: 1}\n' for attack in attacks))
    package = io.BytesIO()
    with zipfile.ZipFile(package, 'w') as archive:
        archive.writestr('handler.py', ATTACKS)
    (tmp_path / 'attacks.zip').write_bytes(package.getvalue())
    bridge.manage('function', 'create', name, '--zip',
                  str(tmp_path / 'attacks.zip'), '--memory', '64',
                  '--timeout', '5')
    try:
        bridge.start()
        for attack in DAEMON_ATTACKS:
            publisher.publish('nova', 'notifications', 'info', 'compute.x',
                              'test.attack', {'attack': attack})
        publisher.publish('nova', 'notifications', 'info', 'compute.x',
                          'test.attack',
                          {'attack': 'noop', 'pad': 'x' * (2 << 20)})
        ended = _final(bridge, len(attacks))
        for attack, wanted in DAEMON_ATTACKS.items():
            [shown] = ended[f'attack-{attack}']
            assert shown['status'] == 'dead', shown  # not retried
            assert any((shown['outcome'], shown['error'][:len(error)])
                       == (status, error) for status, error in wanted), (
                attack, shown['outcome'], shown['error'][-400:])
        [oversized] = ended['attack-noop']
        assert (oversized['status'], oversized['outcome'],
                oversized['error_code']) == ('dead', 'error',
                                             'payload_too_large')
        assert oversized['error'].startswith('payload_too_large: ')
        assert oversized['attempts'] == 1  # never retried
        # The daemon goes on: the next event runs.
        publisher.publish('nova', 'notifications', 'info', 'compute.x',
                          'test.attack', {'attack': 'noop'})
        again = _final(bridge, len(attacks) + 1)['attack-noop']
        assert sorted(e['outcome'] for e in again) == ['error', 'succeeded']
        assert bridge.process.poll() is None
        # What failed was retired: at most the warm noop is left.
        left = [c.labels.get('pratai.warm') for c in engine.containers.list(
            all=True, filters={'label': f'pratai.function={name}'})]
        assert left in ([], ['1'])
    finally:
        bridge.stop()
        bridge.manage('function', 'delete', name)


def _final(bridge, count, timeout=180):
    """subscription -> its final executions, once ``count`` are."""
    deadline = time.monotonic() + timeout
    while True:
        done = [e for e in bridge.executions()
                if e['status'] in ('succeeded', 'dead')]
        if len(done) >= count:
            break
        assert time.monotonic() < deadline, (done, bridge.log_text()[-3000:])
        time.sleep(0.5)
    by_subscription = {}
    for execution in done:
        shown = bridge.manage_json('executions', 'show', str(execution['id']))
        by_subscription.setdefault(shown['subscription'], []).append(shown)
    return by_subscription


def test_an_oci_runtime_the_engine_lacks_stops_the_start(make_bridge,
                                                         engine):
    """A runtime (gVisor, Kata) the operator asked for but the engine
    does not know: the daemon refuses to start, in one line, and config
    check says the same."""
    bridge = make_bridge('[store]\ndriver = local\n[runner]\n'
                         'driver = docker\n'
                         f'oci_runtime = ft-{NONCE}-runsc\n')
    started = subprocess.run(
        [str(bridge_mod.BIN / 'pratai-bridge'), '--config-file',
         str(bridge.conf)], capture_output=True, text=True, timeout=120)
    assert started.returncode == 1
    known = ', '.join(sorted(engine.info()['Runtimes']))
    line = (f'[runner] oci_runtime ft-{NONCE}-runsc: the Docker engine does '
            f'not know it (it knows {known}); install it and add it to the '
            'engine\'s "runtimes" (daemon.json), or unset the option')
    assert started.stderr.splitlines() == [
        f'CRITICAL pratai-bridge not started: {line} (see {bridge.log})'
    ], started.stderr
    checked = bridge.manage('config', 'check', check=False)
    assert checked.returncode == 1
    assert line in checked.stdout + checked.stderr
