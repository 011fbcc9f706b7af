"""Version 5 on a journal with data: dead letters, replays, attempts."""

import sqlite3

from pratai_bridge.journal import Journal
from pratai_bridge.subscriptions.model import Subscription
from tests.unit.journal import test_schema_v2 as v2

T0 = v2.T0
FAILED = f'''
INSERT INTO executions VALUES (4, 'm-1', 'broken', 'hello', 'failed',
    'compute.instance.create.end', 'nova', '{T0}', '{T0}', 3, '3',
    '{T0}', '{T0}', 0.5, NULL, 'ValueError: no', NULL);
INSERT INTO executions VALUES (5, 'm-1', 'slow', 'hello', 'timeout',
    'compute.instance.create.end', 'nova', '{T0}', '{T0}', 3, '3',
    '{T0}', '{T0}', 30.0, NULL, 'timed out', NULL);
'''


def _upgraded(tmp_path):
    path = tmp_path / 'v1.sqlite'
    with sqlite3.connect(path) as conn:
        conn.executescript(v2.V1_SCHEMA + v2.V1_DATA + FAILED)
    journal = Journal(f'sqlite:///{path}')
    journal.start()
    return journal


def test_final_failures_become_dead_keeping_their_outcome(tmp_path):
    journal = _upgraded(tmp_path)
    by_id = {e.id: e for e in journal.list_executions()}
    assert [(by_id[n].status, by_id[n].outcome, by_id[n].error_code,
             by_id[n].error) for n in (3, 4, 5)] == [
        ('succeeded', 'succeeded', None, None),
        ('dead', 'failed', 'function_failed', 'ValueError: no'),
        ('dead', 'timeout', 'timed_out', 'timed out')]
    # The event's resource is copied for ordering; it had matched.
    assert {e.resource_id for e in by_id.values()} == {'r'}
    assert journal.counts()['dead'] == 2
    journal.stop()


def test_an_upgraded_journal_takes_replays_and_keeps_attempts(tmp_path):
    journal = _upgraded(tmp_path)
    event = journal.get_event('m-1').event
    (replay,) = journal.replay([(event, Subscription('broken', 'hello'))])
    assert (replay.replay, replay.replay_of, replay.status) == (1, 4,
                                                               'pending')
    # A redelivery still adds nothing.
    assert journal.record([event], [(event, Subscription('broken', 'hello'))],
                          []) == 0
    assert journal.recover_running() == 1  # the v1 bridge's, no owner
    claimed = journal.claim(10)
    history = journal.attempts([e.id for e in claimed])
    assert all(len(history[e.id]) == 1 and history[e.id][0].bridge
               == journal.owner() for e in claimed)
    assert journal.attempts([4]) == {4: []}  # before v5: no history
    journal.stop()


def test_a_new_journal_has_the_same_executions_table(tmp_path, journal_url,
                                                      journal):
    upgraded = _upgraded(tmp_path)
    assert v2._columns(str(tmp_path / 'v1.sqlite')) == v2._columns(
        v2._path(journal_url))
    upgraded.stop()


def test_received_at_is_indexed_after_the_upgrade(tmp_path):
    _upgraded(tmp_path).stop()
    with sqlite3.connect(tmp_path / 'v1.sqlite') as conn:
        names = {row[1] for row in conn.execute(
            "SELECT * FROM sqlite_master WHERE type = 'index'")}
    assert {'ix_events_received_at', 'ix_rejected_received_at',
            'ix_executions_order', 'ix_executions_status'} <= names
