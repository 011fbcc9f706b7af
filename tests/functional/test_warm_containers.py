"""Warm containers on the real Docker engine: reuse, retirement, isolation.

One function, built once, under several names (and so several pools: a
container never serves another function, even one of the same zip); its
answer says which container ran it (the hostname is the container's id),
how many times its module was called, and what /tmp held.
"""

import dataclasses
import threading
import time

from pratai_bridge.runners import base
from tests.functional.docker_engine import NONCE
from tests.functional.docker_engine import containers_of
from tests.functional.docker_engine import prepared
from tests.functional.docker_engine import wait_for
from tests.functional.test_docker_runner import SANDBOX
from tests.unit.runners.helpers import limits

STATEFUL = f'''# {NONCE}
import os, socket, time
calls = 0
kept = []
def main(payload=None):
    global calls
    calls += 1
    action = (payload or {{}}).get("do")
    if action == "sleep":
        time.sleep(60)
    if action == "crash":
        os._exit(5)
    if action == "raise":
        raise ValueError("asked to")
    if action == "hog":
        kept.append(b"x" * (30 * 1024 * 1024))
    if action == "pause":
        time.sleep(0.5)
    seen = sorted(os.listdir("/tmp"))
    with open("/tmp/left-by-%d" % calls, "w") as out:
        out.write("x")
    print("call", calls)
    before = os.environ.get("PRATAI_TEST_CALLS")
    os.environ["PRATAI_TEST_CALLS"] = str(calls)
    return {{"calls": calls, "host": socket.gethostname(), "tmp": seen,
             "cwd": os.getcwd(), "environ": before}}
'''


def _stateful(runner, what, **settings):
    return prepared(runner, what, {'handler.py': STATEFUL}, **settings)


def _run(runner, function, payload=None, **overrides):
    return runner.run(function, payload or {}, limits(**overrides))


def _hosts(outcomes):
    return [o.result['host'] for o in outcomes]


def test_warm_runs_keep_module_state_and_get_an_empty_tmp(runner, engine):
    function = _stateful(runner, 'state')
    outcomes = [_run(runner, function) for _ in range(3)]
    assert [o.status for o in outcomes] == [base.SUCCEEDED] * 3
    assert [o.warm for o in outcomes] == [False, True, True]
    # One container, one module: its globals live on, /tmp does not.
    assert len(set(_hosts(outcomes))) == 1
    assert [o.result['calls'] for o in outcomes] == [1, 2, 3]
    assert [o.result['tmp'] for o in outcomes] == [[], [], []]
    assert {o.result['cwd'] for o in outcomes} == {'/opt/function'}
    assert [o.result['environ'] for o in outcomes] == [None, '1', '2']
    assert [o.logs for o in outcomes] == ['call 1\n', 'call 2\n',
                                          'call 3\n']
    [container] = containers_of(engine, function)
    assert container.status == 'running'
    assert container.labels.get('pratai.warm') == '1'
    assert 'pratai.execution' not in container.labels
    # The same zip under another name: a container of its own.
    twin = dataclasses.replace(function, spec=dataclasses.replace(
        function.spec, name=f'{function.name}-twin'))
    runner.prepared.append(twin)
    first = _run(runner, twin)
    assert (first.warm, first.result['calls']) == (False, 1)
    assert first.result['host'] != outcomes[0].result['host']


def _retired_after(runner, engine, function, payload, **overrides):
    """Warm a container, run ``payload`` in it; the outcome, once the
    container it ran in is gone, and the outcome of the next run."""
    warm = _run(runner, function)
    failing = _run(runner, function, payload, **overrides)
    assert failing.warm is True
    ids = {c.id[:12] for c in containers_of(engine, function)}
    assert warm.result['host'] not in ids
    following = _run(runner, function)
    assert (following.warm, following.result['calls']) == (False, 1)
    assert following.result['host'] != warm.result['host']
    return failing


def test_a_timed_out_invocation_retires_its_container(runner, engine):
    function = _stateful(runner, 'timeout')
    started = time.monotonic()
    outcome = _retired_after(runner, engine, function, {'do': 'sleep'},
                             timeout_s=2)
    assert (outcome.status, outcome.error) == (base.TIMEOUT,
                                               'timed out after 2 s; killed')
    assert time.monotonic() - started < 20


def test_a_crash_retires_its_container(runner, engine):
    function = _stateful(runner, 'crash')
    outcome = _retired_after(runner, engine, function, {'do': 'crash'})
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'the function ended without a result (exit 5)')


def test_a_failure_retires_its_container(runner, engine):
    function = _stateful(runner, 'raise')
    outcome = _retired_after(runner, engine, function, {'do': 'raise'})
    assert outcome.status == base.FAILED
    assert outcome.error.rstrip().endswith('ValueError: asked to')


def test_the_memory_limit_holds_across_warm_invocations(runner, engine):
    # 30 MiB kept per call: the second call is over 64 MiB.
    function = _stateful(runner, 'hog')
    first = _run(runner, function, {'do': 'hog'}, memory_mb=64)
    assert (first.status, first.warm) == (base.SUCCEEDED, False)
    second = _run(runner, function, {'do': 'hog'}, memory_mb=64)
    assert (second.status, second.error, second.warm) == (
        base.FAILED, 'out of memory (limit 64 MiB)', True)
    third = _run(runner, function, memory_mb=64)
    assert (third.warm, third.result['calls']) == (False, 1)


def test_a_container_is_retired_after_its_maximum_uses(runner, engine):
    function = _stateful(runner, 'uses', warm_max_uses=2)
    outcomes = [_run(runner, function) for _ in range(4)]
    assert [o.warm for o in outcomes] == [False, True, False, True]
    hosts = _hosts(outcomes)
    assert hosts[0] == hosts[1] != hosts[2] == hosts[3]
    assert [o.result['calls'] for o in outcomes] == [1, 2, 1, 2]


def test_an_idle_container_is_retired_after_its_idle_time(runner, engine):
    function = _stateful(runner, 'idle', warm_idle_time=1)
    assert _run(runner, function).status == base.SUCCEEDED
    assert len(containers_of(engine, function)) == 1
    wait_for(lambda: not containers_of(engine, function), 10,
             'the idle container was not retired')
    assert _run(runner, function).warm is False


def test_no_reuse_when_the_pool_size_is_0(runner, engine):
    function = _stateful(runner, 'cold', warm_pool_size=0)
    outcomes = [_run(runner, function) for _ in range(2)]
    assert [o.warm for o in outcomes] == [False, False]
    assert [o.result['calls'] for o in outcomes] == [1, 1]
    assert containers_of(engine, function) == []


def test_runs_at_once_get_containers_of_their_own(runner, engine):
    # Three at once, a pool of two: two stay warm.
    function = _stateful(runner, 'together')
    outcomes = []
    threads = [threading.Thread(
        target=lambda: outcomes.append(
            _run(runner, function, {'do': 'pause'})))
        for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [o.status for o in outcomes] == [base.SUCCEEDED] * 3
    assert len(set(_hosts(outcomes))) == 3
    assert len(containers_of(engine, function)) == 2
    again = [_run(runner, function) for _ in range(2)]
    assert [o.warm for o in again] == [True, True]


def test_the_sandbox_holds_in_a_warm_container(runner, engine):
    function = prepared(runner, 'sandbox', {'handler.py': SANDBOX})
    cold, warm = (_run(runner, function) for _ in range(2))
    assert (cold.status, cold.warm, warm.status, warm.warm) == (
        base.SUCCEEDED, False, base.SUCCEEDED, True)
    assert warm.result == cold.result
    facts = warm.result
    assert (facts['uid'], facts['gid']) == (10001, 10001)
    assert facts['interfaces'] == ['lo']
    assert facts['write_root'] == 'OSError: Read-only file system'
    assert facts['cap_eff'] == '0000000000000000'
    assert facts['no_new_privs'] == '1'
    [container] = containers_of(engine, function)
    host_config = container.attrs['HostConfig']
    assert (host_config['ReadonlyRootfs'], host_config['NetworkMode'],
            host_config['Memory'], host_config['PidsLimit']) == (
        True, 'none', 128 * 1024 * 1024, 64)
    assert container.attrs['Config']['User'] == '10001:10001'
