"""Fault tests of the execution lifecycle, on the real services: a bridge
SIGKILLed with a thousand notifications in flight, an unclean stop while
containers run, the Docker engine restarted mid-run (a private dockerd),
Swift unreachable while a zip is needed. Each asserts exact counts: every
match succeeded exactly once, and the interrupted ones show two attempts,
the first ``interrupted``.
"""

import sqlite3
import time
import uuid


HANDLER = 'def main(payload=None):\n    return payload["payload"]["n"]\n'


def _subscription(event_type: str, name: str = 'counted',
                  function: str = 'count', delivery: str = '') -> str:
    return (f'subscriptions:\n  - name: {name}\n    function: {function}\n'
            f'    filters:\n      - event_type: {event_type}\n'
            f'    delivery: {{max_attempts: 3{delivery}}}\n')


def _function(bridge, tmp_path, name: str = 'count',
              source: str = HANDLER, *options: str) -> None:
    directory = tmp_path / f'fn-{name}'
    directory.mkdir(exist_ok=True)
    (directory / 'handler.py').write_text(source)
    bridge.manage('function', 'create', name, '--zip', str(directory),
                  *options)


def _statuses(bridge, subscription: str = 'counted') -> dict[str, int]:
    """Executions per status, read straight from the journal (the CLI is
    too slow to poll with)."""
    with sqlite3.connect(bridge.root / 'journal.sqlite', timeout=30) as conn:
        return dict(conn.execute(
            'SELECT status, count(*) FROM executions WHERE subscription = ? '
            'GROUP BY status', (subscription,)).fetchall())


def _running_ids(bridge, subscription: str = 'counted') -> set[int]:
    with sqlite3.connect(bridge.root / 'journal.sqlite', timeout=30) as conn:
        return {row[0] for row in conn.execute(
            "SELECT id FROM executions WHERE subscription = ? AND status = "
            "'running'", (subscription,))}


def _wait(predicate, what: str, timeout: float, bridge=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            log = bridge.log_text()[-3000:] if bridge is not None else ''
            raise AssertionError(f'gave up waiting for {what}\n{log}')
        time.sleep(0.05)


def _publish(publisher, event_type: str, count: int) -> None:
    for number in range(count):
        publisher.publish('nova', 'notifications', 'info', 'compute.fault',
                          event_type, {'n': number})


def _check_exactly_once(executions: list[dict], count: int,
                        interrupted: set[int]) -> None:
    """Every one of ``count`` events ran to success once; those of
    ``interrupted`` had two attempts, the first cut short, the others
    one."""
    assert len(executions) == count
    assert sorted(e['result'] for e in executions) == list(range(count))
    assert {e['status'] for e in executions} == {'succeeded'}
    for execution in executions:
        history = execution['attempt_history']
        outcomes = [a['outcome'] for a in history]
        if execution['id'] in interrupted:
            assert outcomes == ['interrupted', 'succeeded'], execution
            assert history[0]['bridge'] != history[1]['bridge']
        else:
            assert outcomes == ['succeeded'], execution
        assert execution['attempts'] == len(history)


def test_sigkill_with_a_thousand_notifications_in_flight(make_bridge,
                                                         publisher,
                                                         tmp_path):
    count = 1000
    event_type = f'fault.{uuid.uuid4().hex[:8]}.kill'
    bridge = make_bridge('[runner]\ndriver = local\n'
                         '[dispatcher]\nworkers = 4\n')
    bridge.subscribe('10-kill.yaml',
                     _subscription(event_type, delivery=', concurrency: 4'))
    _function(bridge, tmp_path)
    bridge.start()
    _publish(publisher, event_type, count)
    # Killed mid-run: some succeeded, some running, the rest waiting.
    _wait(lambda: _statuses(bridge).get('succeeded', 0) >= 100
          and _running_ids(bridge), 'a hundred runs', 90, bridge)
    bridge.process.kill()
    bridge.process.wait()
    cut_short = _running_ids(bridge)
    at_kill = _statuses(bridge)
    assert cut_short and at_kill.get('succeeded', 0) < count
    bridge.start()
    _wait(lambda: _statuses(bridge).get('succeeded', 0) == count,
          'every execution', 180, bridge)
    executions = bridge.manage_json('executions', 'list', '--subscription',
                                    'counted')
    _check_exactly_once(executions, count, cut_short)
    assert f'Took back {len(cut_short)} executions left running' in (
        bridge.log_text())


SLOW = '''
import time
def main(payload=None):
    time.sleep(3)
    return payload["payload"]["n"]
'''


class _Watch:
    """Samples the engine's running containers of one function every
    0.1 s on a thread: the most containers seen at once for one
    execution."""

    def __init__(self, client, function: str) -> None:
        import threading
        self._client = client
        self._function = function
        self.most = 0
        self.executions: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def running(self) -> list[str]:
        """The execution label of each running container."""
        # The low-level listing: no inspect per container, which a
        # container removed meanwhile would fail.
        return [(c.get('Labels') or {}).get('pratai.execution', '?')
                for c in self._client.api.containers(filters={
                    'label': f'pratai.function={self._function}',
                    'status': 'running'})]

    def _loop(self) -> None:
        import collections
        while not self._stop.wait(0.1):
            labels = collections.Counter(self.running())
            self.executions.update(labels)
            self.most = max([self.most, *labels.values()])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _docker():
    import docker

    from tests.functional.unavailable import unavailable
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        unavailable(f'the Docker engine does not answer: {exc}')
    return client


def test_an_unclean_stop_while_containers_run(make_bridge, publisher,
                                              tmp_path):
    count = 6
    client = _docker()
    name = f'slow-{uuid.uuid4().hex[:8]}'
    event_type = f'fault.{name}'
    bridge = make_bridge('[runner]\ndriver = docker\n'
                         '[dispatcher]\nworkers = 3\nsweep_interval = 1\n')
    bridge.subscribe('10-slow.yaml', _subscription(
        event_type, function=name, delivery=', concurrency: 3, timeout: 30'))
    _function(bridge, tmp_path, name, SLOW, '--warm-pool-size', '0')
    watch = None
    try:
        bridge.start()
        watch = _Watch(client, name)
        _publish(publisher, event_type, count)
        _wait(lambda: len(watch.running()) == 3, 'three containers', 60,
              bridge)
        bridge.process.kill()
        bridge.process.wait()
        cut_short = _running_ids(bridge)
        assert len(cut_short) == 3
        bridge.start()
        _wait(lambda: _statuses(bridge).get('succeeded', 0) == count,
              'every execution', 90, bridge)
        watch.stop()
        # One container per execution at any time, and one execution
        # label per container (a single-use container carries it).
        assert watch.most == 1
        assert {int(label) for label in watch.executions} == {
            e['id'] for e in bridge.executions()}
        _check_exactly_once(bridge.manage_json('executions', 'list'),
                            count, cut_short)
        assert bridge.stop() == 0
        left = client.containers.list(all=True, filters={
            'label': f'pratai.function={name}'})
        assert left == []
    finally:
        if watch is not None:
            watch.stop()
        bridge.stop()
        for container in client.containers.list(all=True, filters={
                'label': f'pratai.function={name}'}):
            container.remove(force=True)
        bridge.manage('function', 'delete', name, check=False)


def test_swift_unreachable_while_a_zip_is_needed(make_bridge, publisher,
                                                 tmp_path):
    from swiftclient import client as swift_client

    from tests.functional.tcp_proxy import TcpProxy
    from tests.functional.test_end_to_end import _require
    from tests.functional.test_end_to_end import _swift
    from tests.functional.test_end_to_end import swift_through

    _require('Swift', lambda: _swift().head_account())
    count = 5
    run = uuid.uuid4().hex[:8]
    container = f'pratai-fault-{run}'
    event_type = f'fault.{run}.swift'
    with TcpProxy(8080) as proxy:
        url = f'http://127.0.0.1:{proxy.port}'
        bridge = make_bridge(swift_through(url, container) + """
[runner]
driver = local

[dispatcher]
retry_delay = 0.5
retry_max_delay = 2
""")
        bridge.subscribe('10-swift.yaml', _subscription(event_type).replace(
            'max_attempts: 3', 'max_attempts: 20'))
        _function(bridge, tmp_path)
        try:
            proxy.cut()  # before this host ever fetched the zip
            bridge.start()
            _publish(publisher, event_type, count)
            # Each fails on the store, is counted and waits its backoff.
            _wait(lambda: _statuses(bridge).get('pending', 0) == count
                  and all(len(e['attempt_history']) >= 2 for e in
                          bridge.manage_json('executions', 'list')),
                  'two failed attempts of each', 60, bridge)
            proxy.resume()
            _wait(lambda: _statuses(bridge).get('succeeded', 0) == count,
                  'every execution', 60, bridge)
            executions = bridge.manage_json('executions', 'list')
            assert sorted(e['result'] for e in executions) == list(
                range(count))
            for execution in executions:
                *failed, last = execution['attempt_history']
                assert last['outcome'] == 'succeeded'
                assert len(failed) >= 2 and {
                    (a['outcome'], a['error_code']) for a in failed} == {
                    ('error', 'store_unavailable')}
                # Backed off: the first retry waited at least half of
                # retry_delay after the first attempt ended.
                first, second = failed[:2]
                assert (_time(second['started_at'])
                        - _time(first['ended_at'])) >= 0.25
            assert bridge.stop() == 0
        finally:
            bridge.stop()
            swift = _swift()
            try:
                for obj in swift.get_container(container,
                                               full_listing=True)[1]:
                    swift.delete_object(container, obj['name'])
                swift.delete_container(container)
            except swift_client.ClientException:
                pass


def _time(text: str) -> float:
    import datetime
    return datetime.datetime.fromisoformat(text).timestamp()


def test_dockerd_restarted_mid_run(make_bridge, publisher, tmp_path):
    from tests.functional.private_dockerd import PrivateDockerd

    _docker()  # the shared engine, to copy the images from
    count = 6
    name = f'restart-{uuid.uuid4().hex[:8]}'
    event_type = f'fault.{name}'
    engine = PrivateDockerd()
    try:
        engine.start()
        engine.load_images('pratai/python-base:bookworm',
                           'pratai/python-runtime:latest')
        bridge = make_bridge(
            f'[runner]\ndriver = docker\n'
            f'[builder]\ndocker_url = {engine.url}\n'
            '[dispatcher]\nworkers = 3\nsweep_interval = 1\n'
            'retry_delay = 0.5\nretry_max_delay = 2\n')
        bridge.subscribe('10-restart.yaml', _subscription(
            event_type, function=name,
            delivery=', concurrency: 3, timeout: 30').replace(
                'max_attempts: 3', 'max_attempts: 10'))
        _function(bridge, tmp_path, name, SLOW, '--warm-pool-size', '0')
        client = engine.client()
        watch = _Watch(client, name)
        try:
            bridge.start()
            _publish(publisher, event_type, count)
            _wait(lambda: len(watch.running()) == 3, 'three containers', 60,
                  bridge)
            watch.stop()
            cut_short = _running_ids(bridge)
            engine.stop()  # it kills the containers
            time.sleep(1)  # the bridge finds the engine away meanwhile
            engine.start()
            _wait(lambda: _statuses(bridge).get('succeeded', 0) == count,
                  'every execution', 90, bridge)
            executions = bridge.manage_json('executions', 'list')
            assert sorted(e['result'] for e in executions) == list(
                range(count))
            for execution in executions:
                outcomes = [a['outcome'] for a in execution['attempt_history']]
                assert outcomes.count('succeeded') == 1
                assert outcomes[-1] == 'succeeded'
                if execution['id'] in cut_short:
                    assert len(outcomes) >= 2, execution
            # What the outage kept the runs from removing, a sweep does
            # (a minute after they exited).
            _wait(lambda: not client.api.containers(all=True, filters={
                'label': f'pratai.function={name}'}),
                  'no container left', 90, bridge)
            assert bridge.stop() == 0
        finally:
            watch.stop()
            bridge.stop()
            client.close()
            bridge.manage('function', 'delete', name, check=False)
    finally:
        engine.close()
