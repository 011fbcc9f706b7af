"""The docker runner and the builder on the real Docker engine.

Needs dockerd (``python3 tools/services.py start docker``): a missing
engine fails the run in CI and skips it elsewhere. When the base and
runtime images are missing, the first build makes them (mmdebstrap, about
half a minute). Requirements are downloaded by the host's pip, so the
requirement test needs the package index the host uses.
"""

import contextlib
import dataclasses
import json
import logging
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

from pratai_bridge.runners import base
from pratai_bridge.runners.docker import DEADLINE_LABEL
from pratai_bridge.runners.docker import LABEL
from pratai_bridge.runners.docker import builder as builder_mod
from tests.functional.docker_engine import NONCE
from tests.functional.docker_engine import containers_of
from tests.functional.docker_engine import prepared
from tests.functional.docker_engine import seconds
from tests.functional.docker_engine import wait_for
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import make_function


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
TINY = f'''# {NONCE}
import pratai_tiny
def main(payload=None):
    return {{"value": pratai_tiny.VALUE, "file": pratai_tiny.__file__}}
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
# A bridge in a process of its own: runs the function given as JSON with
# the configuration given, then waits to be killed.
BRIDGE = '''
import json, pathlib, sys, time
from pratai_bridge.functions.model import Function, FunctionSpec
from pratai_bridge.runners.docker import DockerRunner
from tests.unit.runners.helpers import limits, make_conf
given = json.loads(sys.argv[1])
function = Function(spec=FunctionSpec(**given.pop('spec')), **given)
runner = DockerRunner(make_conf(pathlib.Path(sys.argv[2]), sys.argv[4]))
print(runner.run(function, {}, limits(timeout_s=float(sys.argv[3]))),
      flush=True)
time.sleep(120)  # its warm container idles until the test kills it
'''
# A function that disarms the runtime's watchdog (it ends the process
# with os._exit) and runs for ever.
DISARMS = f'''# {NONCE}
import os, time
def main(payload=None):
    os._exit = lambda code: None
    print("disarmed", flush=True)
    while True:
        time.sleep(0.1)
'''


@contextlib.contextmanager
def _bridge(engine, function, tmp_path, timeout, conf=''):
    """A bridge process running ``function``; killed, and what it left
    removed, at the end."""
    bridge = subprocess.Popen(
        [sys.executable, '-c', BRIDGE,
         json.dumps(dataclasses.asdict(function)), str(tmp_path),
         str(timeout), conf],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield bridge
    finally:
        if bridge.poll() is None:
            bridge.kill()
            bridge.wait()
        for leftover in containers_of(engine, function):
            leftover.remove(force=True)


def _kill(bridge):
    bridge.send_signal(signal.SIGKILL)
    bridge.communicate(timeout=10)


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
    function = prepared(runner, 'echo', {'handler.py': ECHO})
    outcome = runner.run(function, {'event_type': 'compute.x'}, limits())
    assert outcome.status == base.SUCCEEDED, outcome
    assert outcome.result == {'echo': {'event_type': 'compute.x'}}
    assert outcome.logs == 'hello from the function\nand its stderr\n'
    assert 0 < outcome.duration < 10


def test_a_requirement_is_installed_from_a_host_wheel(runner, engine):
    function = prepared(runner, 'tiny', {'handler.py': TINY,
                                          'requirements.txt': 'pratai-tiny\n'})
    outcome = runner.run(function, {}, limits())
    assert outcome.status == base.SUCCEEDED, outcome
    assert outcome.result['value'] == 42
    assert outcome.result['file'].startswith('/opt/pratai/deps/pratai_tiny')
    # Forgetting it removes the requirements stage's image too.
    stage = {'label': f'pratai.deps-of={function.sha256}'}
    assert len(engine.images.list(filters=stage)) == 1
    runner.forget(function)
    assert engine.images.list(filters=stage) == []


def test_a_raising_function_fails_with_its_traceback(runner):
    function = prepared(runner, 'raise', {'handler.py': RAISE})
    outcome = runner.run(function, {}, limits())
    assert outcome.status == base.FAILED
    assert outcome.error.startswith('Traceback (most recent call last)')
    assert 'File "/opt/function/handler.py"' in outcome.error
    assert outcome.error.rstrip().endswith('ValueError: boom')


def test_a_function_past_its_timeout_is_killed(runner):
    function = prepared(runner, 'sleep', {'handler.py': SLEEP})
    started = time.monotonic()
    outcome = runner.run(function, {}, limits(timeout_s=2))
    assert time.monotonic() - started < 10
    assert (outcome.status, outcome.error) == (base.TIMEOUT,
                                               'timed out after 2 s; killed')
    assert outcome.logs == 'sleeping\n'


def test_a_function_over_its_memory_fails_out_of_memory(runner):
    function = prepared(runner, 'memory', {'handler.py': MEMORY})
    outcome = runner.run(function, {}, limits(memory_mb=64))
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'out of memory (limit 64 MiB)')


def test_the_sandbox(runner):
    function = prepared(runner, 'sandbox', {'handler.py': SANDBOX})
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
    function = prepared(runner, 'network', {'handler.py': SANDBOX})
    outcome = runner.run(function, {}, limits(network=True))
    assert outcome.status == base.SUCCEEDED, outcome
    assert 'eth0' in outcome.result['interfaces']


def test_the_pids_limit_holds(runner):
    function = prepared(runner, 'threads', {'handler.py': THREADS})
    outcome = runner.run(function, {}, limits(pids=32))
    assert outcome.status == base.FAILED
    assert "can't start new thread" in outcome.error


def test_logs_keep_their_tail(runner):
    function = prepared(runner, 'chatty', {'handler.py': CHATTY})
    outcome = runner.run(function, {}, limits())
    assert (outcome.status, outcome.result) == (base.SUCCEEDED, 'done')
    assert len(outcome.logs.encode()) <= 1024
    assert outcome.logs.startswith('[')
    assert outcome.logs.endswith('line 19999\n')


def test_forget_removes_the_image(runner, engine):
    import docker

    function = prepared(runner, 'forget', {'handler.py': ECHO + '\n'})
    tag = builder_mod.image_tag(function.sha256)
    assert engine.images.get(tag)
    runner.forget(function)
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(tag)
    with pytest.raises(base.NotPrepared, match='no image'):
        runner.run(function, {}, limits())


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


def _running(engine, function):
    [container] = wait_for(
        lambda: [c for c in containers_of(engine, function)
                 if c.status == 'running'], 60, 'no container running')
    return container


def _ended(container, timeout):
    wait_for(lambda: container.reload() or container.status == 'exited',
             timeout, 'the container did not end itself')
    state = container.attrs['State']
    return (state['ExitCode'], state['OOMKilled'],
            seconds(state['FinishedAt']))


def test_a_killed_bridge_s_busy_container_ends_itself(runner, engine,
                                                      tmp_path):
    function = prepared(runner, 'spin', {'handler.py': SPIN})
    with _bridge(engine, function, tmp_path, 30) as bridge:
        container = _running(engine, function)
        assert _output_seen(container, b'spinning', 10)
        # The function runs its endless loop: kill its bridge. The
        # runtime sees its stdin hang up and ends at once.
        _kill(bridge)
        killed = time.time()
        exit_code, oom, finished = _ended(container, 10)
        assert (exit_code, oom) == (2, False)
        assert finished - killed < 5
        # Just ended: it might be another bridge's, still reading it.
        runner.sweep()
        assert [c.id for c in containers_of(engine, function)] == [
            container.id]
        # A minute later it is nobody's.
        assert runner.sweep(now=time.time() + 61) >= 1
        assert containers_of(engine, function) == []


def test_a_killed_bridge_s_idle_warm_container_ends_itself(runner, engine,
                                                           tmp_path):
    function = prepared(runner, 'idle', {'handler.py': ECHO + '\n#idle\n'})
    # One run, then the container idles in the dead bridge's pool.
    with _bridge(engine, function, tmp_path, 30) as bridge:
        assert b'succeeded' in bridge.stdout.readline()
        container = _running(engine, function)
        assert container.labels.get('pratai.warm') == '1'
        _kill(bridge)
        killed = time.time()
        exit_code, _, finished = _ended(container, 10)
        assert exit_code == 0 and finished - killed < 5


def test_a_container_its_runtime_cannot_end_ends_at_its_lifetime(
        runner, engine, tmp_path):
    # Its watchdog disarmed, the runtime cannot end itself: the timeout
    # command it runs under (another process) kills it at 3 + 5 s.
    function = prepared(runner, 'disarms', {'handler.py': DISARMS})
    with _bridge(engine, function, tmp_path, 3,
                 '[runner]\nwarm_pool_size = 0') as bridge:
        container = _running(engine, function)
        assert _output_seen(container, b'disarmed', 10)
        _kill(bridge)
        started = seconds(container.attrs['State']['StartedAt'])
        exit_code, oom, finished = _ended(container, 15)
        assert (exit_code, oom) == (137, False)
        assert 7.5 < finished - started < 12


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
                image.id, entrypoint=['sleep', '300'], labels=labels,
                network_mode='none')
            made[what] = container
            if start:
                container.start()
        # Other bridges sharing the engine sweep too, and may remove them
        # first: what counts is what is left.
        runner.sweep()
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
