"""The docker runner and the builder on the real Docker engine.

Needs dockerd (``python3 tools/services.py start docker``): a missing
engine fails the run in CI and skips it elsewhere. When the base and
runtime images are missing, the first build makes them (mmdebstrap, about
half a minute). Requirements are downloaded by the host's pip, so the
requirement test needs the package index the host uses.
"""

import dataclasses
import datetime
import json
import logging
import pathlib
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from pratai_bridge.runners.docker import builder as builder_mod
from pratai_bridge.runners import base
from pratai_bridge.runners.docker import DEADLINE_LABEL
from pratai_bridge.runners.docker import LABEL
from pratai_bridge.runners.docker import DockerRunner
from tests.functional.unavailable import unavailable
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import make_conf
from tests.unit.runners.helpers import make_function

# In every function's source, so each run builds its own images.
NONCE = uuid.uuid4().hex[:8]

ECHO = f'''# {NONCE}
import sys
def main(payload=None):
    print("hello from the function")
    print("and its stderr", file=sys.stderr)
    return {{"echo": payload}}
'''
RAISE = f'''# {NONCE}
def deep():
    raise ValueError("boom")

def main(payload=None):
    deep()
'''
SLEEP = f'''# {NONCE}
import time
def main(payload=None):
    print("sleeping", flush=True)
    time.sleep(60)
'''
MEMORY = f'''# {NONCE}
def main(payload=None):
    data = b"x" * (200 * 1024 * 1024)
    return len(data)
'''
SIX = f'''# {NONCE}
import six
def main(payload=None):
    return {{"version": six.__version__, "file": six.__file__}}
'''
THREADS = f'''# {NONCE}
import threading, time
def main(payload=None):
    threads = [threading.Thread(target=time.sleep, args=(2,))
               for _ in range(100)]
    for thread in threads:
        thread.start()
'''
CHATTY = f'''# {NONCE}
import sys
def main(payload=None):
    for i in range(20000):
        print("line", i, file=sys.stderr)
    return "done"
'''
SANDBOX = f'''# {NONCE}
import os, socket
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return type(exc).__name__ + ": " + str(exc.strerror)

def connect(address):
    with socket.socket() as sock:
        sock.settimeout(2)
        sock.connect(address)

def write(path):
    with open(path, "w") as out:
        out.write("x")

def main(payload=None):
    status = dict(line.split(":\\t", 1) for line in
                  open("/proc/self/status").read().splitlines()
                  if ":\\t" in line)
    return {{
        "uid": os.getuid(), "gid": os.getgid(),
        "interfaces": sorted(name for _, name in socket.if_nameindex()),
        "connect_gateway": attempt(lambda: connect(("172.17.0.1", 5672))),
        "connect_outside": attempt(lambda: connect(("1.1.1.1", 53))),
        "write_root": attempt(lambda: write("/evil")),
        "write_function": attempt(lambda: write("/opt/function/evil")),
        "write_tmp": attempt(lambda: write("/tmp/fine")),
        "cap_eff": status["CapEff"].strip(),
        "cap_prm": status["CapPrm"].strip(),
        "no_new_privs": status["NoNewPrivs"].strip(),
        "environ": sorted(os.environ),
    }}
'''

SPIN = f'''# {NONCE}
import time
def main(payload=None):
    while True:
        print("spinning", flush=True)
        time.sleep(0.1)
'''
REPO = pathlib.Path(__file__).resolve().parents[2]
# A bridge in a process of its own: runs the function given as JSON.
BRIDGE = '''
import json, pathlib, sys
from pratai_bridge.functions.model import Function, FunctionSpec
from pratai_bridge.runners.docker import DockerRunner
from tests.unit.runners.helpers import limits, make_conf
given = json.loads(sys.argv[1])
function = Function(spec=FunctionSpec(**given.pop('spec')), **given)
runner = DockerRunner(make_conf(pathlib.Path(sys.argv[2])))
print(runner.run(function, {}, limits(timeout_s=float(sys.argv[3]))))
'''


@pytest.fixture(scope='module')
def engine():
    import docker

    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except docker.errors.DockerException as exc:
        message = (f'the Docker engine does not answer ({exc}): '
                   'python3 tools/services.py start docker')
        unavailable(message)
    yield client
    client.close()


@pytest.fixture(scope='module')
def runner(engine, tmp_path_factory):
    conf = make_conf(tmp_path_factory.mktemp('docker-runner'))
    made = DockerRunner(conf)
    prepared = []
    made.prepared = prepared
    yield made
    for function in prepared:
        made.forget(function)
    made.builder.close()


@pytest.fixture(autouse=True)
def no_leftover_containers(request):
    yield
    if 'engine' not in request.fixturenames:
        return
    engine = request.getfixturevalue('engine')
    ours = [c.name for c in engine.containers.list(
        all=True, filters={'label': LABEL})
        if c.labels.get(LABEL, '').startswith(f'ft-{NONCE}')]
    assert ours == [], 'containers left behind'


def _prepared(runner, what, files, **settings):
    function, data = make_function(files, name=f'ft-{NONCE}-{what}',
                                   **settings)
    runner.prepare(function, data)
    runner.prepared.append(function)
    return function


def test_an_image_is_built_once_and_reused(runner, engine, caplog):
    caplog.set_level(logging.INFO,
                     logger='pratai_bridge.runners.docker.builder')
    function, data = make_function({'handler.py': ECHO},
                                   name=f'ft-{NONCE}-once')
    runner.prepared.append(function)
    errors = []

    def prepare():
        try:
            runner.prepare(function, data)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=prepare) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    built = [r for r in caplog.records if r.getMessage().startswith(
        'Built image')]
    assert len(built) == 1
    tag = builder_mod.image_tag(function.sha256)
    image_id = engine.images.get(tag).id
    started = time.monotonic()
    runner.prepare(function, data)
    assert time.monotonic() - started < 1
    assert engine.images.get(tag).id == image_id


def test_success_returns_the_result_and_logs(runner):
    function = _prepared(runner, 'echo', {'handler.py': ECHO})
    outcome = runner.run(function, {'event_type': 'compute.x'}, limits())
    assert outcome.status == base.SUCCEEDED, outcome
    assert outcome.result == {'echo': {'event_type': 'compute.x'}}
    assert outcome.logs == 'hello from the function\nand its stderr\n'
    assert 0 < outcome.duration < 10


def test_a_requirement_is_installed_from_a_host_wheel(runner, engine):
    function = _prepared(runner, 'six', {'handler.py': SIX,
                                         'requirements.txt': 'six\n'})
    outcome = runner.run(function, {}, limits())
    assert outcome.status == base.SUCCEEDED, outcome
    assert outcome.result['file'].startswith('/opt/pratai/deps/six')
    # Forgetting it removes the requirements stage's image too.
    stage = {'label': f'pratai.deps-of={function.sha256}'}
    assert len(engine.images.list(filters=stage)) == 1
    runner.forget(function)
    assert engine.images.list(filters=stage) == []


def test_a_raising_function_fails_with_its_traceback(runner):
    function = _prepared(runner, 'raise', {'handler.py': RAISE})
    outcome = runner.run(function, {}, limits())
    assert outcome.status == base.FAILED
    assert outcome.error.startswith('Traceback (most recent call last)')
    assert 'File "/opt/function/handler.py"' in outcome.error
    assert outcome.error.rstrip().endswith('ValueError: boom')


def test_a_function_past_its_timeout_is_killed(runner):
    function = _prepared(runner, 'sleep', {'handler.py': SLEEP})
    started = time.monotonic()
    outcome = runner.run(function, {}, limits(timeout_s=2))
    assert time.monotonic() - started < 10
    assert (outcome.status, outcome.error) == (base.TIMEOUT,
                                               'timed out after 2 s; killed')
    assert outcome.logs == 'sleeping\n'


def test_a_function_over_its_memory_fails_out_of_memory(runner):
    function = _prepared(runner, 'memory', {'handler.py': MEMORY})
    outcome = runner.run(function, {}, limits(memory_mb=64))
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'out of memory (limit 64 MiB)')


def test_the_sandbox(runner):
    function = _prepared(runner, 'sandbox', {'handler.py': SANDBOX})
    outcome = runner.run(function, {}, limits())
    assert outcome.status == base.SUCCEEDED, outcome
    facts = outcome.result
    assert (facts['uid'], facts['gid']) == (10001, 10001)
    assert facts['interfaces'] == ['lo']
    assert facts['connect_gateway'].startswith('OSError: Network is '
                                               'unreachable')
    assert facts['connect_outside'].startswith('OSError: Network is '
                                               'unreachable')
    assert facts['write_root'] == 'OSError: Read-only file system'
    assert facts['write_function'] == 'OSError: Read-only file system'
    assert facts['write_tmp'] == 'ok'
    assert facts['cap_eff'] == facts['cap_prm'] == '0000000000000000'
    assert facts['no_new_privs'] == '1'
    # Only what the image sets, and Docker's HOSTNAME: nothing of ours.
    assert facts['environ'] == ['HOME', 'HOSTNAME', 'LANG', 'PATH']


def test_network_only_when_asked(runner):
    function = _prepared(runner, 'network', {'handler.py': SANDBOX})
    outcome = runner.run(function, {}, limits(network=True))
    assert outcome.status == base.SUCCEEDED, outcome
    assert 'eth0' in outcome.result['interfaces']


def test_the_pids_limit_holds(runner):
    function = _prepared(runner, 'threads', {'handler.py': THREADS})
    outcome = runner.run(function, {}, limits(pids=32))
    assert outcome.status == base.FAILED
    assert "can't start new thread" in outcome.error


def test_logs_keep_their_tail(runner):
    function = _prepared(runner, 'chatty', {'handler.py': CHATTY})
    outcome = runner.run(function, {}, limits())
    assert (outcome.status, outcome.result) == (base.SUCCEEDED, 'done')
    assert len(outcome.logs.encode()) <= 1024
    assert outcome.logs.startswith('[')
    assert outcome.logs.endswith('line 19999\n')


def test_forget_removes_the_image(runner, engine):
    import docker

    function = _prepared(runner, 'forget', {'handler.py': ECHO + '\n'})
    tag = builder_mod.image_tag(function.sha256)
    assert engine.images.get(tag)
    runner.forget(function)
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(tag)
    with pytest.raises(base.RunnerError, match='prepare'):
        runner.run(function, {}, limits())


def _containers_of(engine, function):
    return engine.containers.list(
        all=True, filters={'label': f'{LABEL}={function.name}'})


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f'{what} after {timeout} s')


def _output_seen(container, wanted, timeout):
    """Whether ``container`` prints ``wanted`` within ``timeout`` s."""
    stream = container.attach(stdout=True, stream=True, logs=False)
    seen = threading.Event()

    def read():
        received = b''
        for chunk in stream:
            received += chunk
            if wanted in received:
                seen.set()
                return

    threading.Thread(target=read, daemon=True).start()
    try:
        return seen.wait(timeout)
    finally:
        stream.close()


def _seconds(timestamp):
    return datetime.datetime.fromisoformat(timestamp).timestamp()


def test_a_killed_bridge_leaves_a_container_that_ends_itself(
        runner, engine, tmp_path):
    function = _prepared(runner, 'spin', {'handler.py': SPIN})
    bridge = subprocess.Popen(
        [sys.executable, '-c', BRIDGE,
         json.dumps(dataclasses.asdict(function)), str(tmp_path), '3'],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        [container] = _wait_for(
            lambda: [c for c in _containers_of(engine, function)
                     if c.status == 'running'], 60, 'no container running')
        assert _output_seen(container, b'spinning', 10)
        # The function runs its endless loop: kill its bridge.
        bridge.send_signal(signal.SIGKILL)
        bridge.communicate(timeout=10)
        started = _seconds(container.attrs['State']['StartedAt'])
        # Past the bridge's 3 s timeout: nobody killed it.
        time.sleep(max(0.0, started + 4 - time.time()))
        container.reload()
        assert container.status == 'running'
        # Its own timeout does, at 3 + 5 s.
        _wait_for(lambda: container.reload() or
                  container.status == 'exited', 15,
                  'the container did not end itself')
        state = container.attrs['State']
        assert (state['ExitCode'], state['OOMKilled']) == (137, False)
        assert 7.5 < _seconds(state['FinishedAt']) - started < 12
        # Just ended: it might be another bridge's, still reading it.
        runner.sweep()
        assert [c.id for c in _containers_of(engine, function)] == [
            container.id]
        # A minute later it is nobody's.
        assert runner.sweep(now=time.time() + 61) >= 1
        assert _containers_of(engine, function) == []
    finally:
        if bridge.poll() is None:
            bridge.kill()
            bridge.wait()
        for leftover in _containers_of(engine, function):
            leftover.remove(force=True)


def test_sweep_removes_only_containers_past_their_deadline(runner, engine):
    image = engine.images.get(runner.conf.builder.runtime_image)
    now = int(time.time())
    made = {}
    try:
        for what, deadline, start in (('live', now + 100, True),
                                      ('overdue', now - 1, True),
                                      ('unstarted', now - 1, False)):
            labels = {LABEL: f'ft-{NONCE}-sweep-{what}',
                      DEADLINE_LABEL: str(deadline)}
            container = engine.containers.create(
                image.id, entrypoint=['sleep', '300'], labels=labels)
            if start:
                container.start()
            made[what] = container
        assert runner.sweep() >= 2
        left = {c.labels[LABEL] for c in engine.containers.list(
            all=True, filters={'label': LABEL})}
        assert f'ft-{NONCE}-sweep-live' in left
        assert f'ft-{NONCE}-sweep-overdue' not in left
        assert f'ft-{NONCE}-sweep-unstarted' not in left
        made['live'].reload()
        assert made['live'].status == 'running'
    finally:
        for container in made.values():
            try:
                container.remove(force=True)
            except Exception:  # swept already  # noqa: S110
                pass
