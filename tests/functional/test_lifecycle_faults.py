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
          'every execution', 110, bridge)
    executions = bridge.manage_json('executions', 'list', '--subscription',
                                    'counted')
    _check_exactly_once(executions, count, cut_short)
    assert f'Took back {len(cut_short)} executions left running' in (
        bridge.log_text())
