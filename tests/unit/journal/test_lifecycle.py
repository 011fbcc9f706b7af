"""An execution's life: claim, retry, finish, recover (SQLite)."""

import datetime
import os
import socket
import sqlite3
import subprocess
import sys
import threading

import pytest

from pratai_bridge.journal import _lifecycle
from pratai_bridge.journal import Journal
from pratai_bridge.outcome import Outcome
from pratai_bridge.subscriptions.model import Subscription

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)


def _pending(journal, make_event, count, *subscriptions):
    events = [make_event(n) for n in range(count)]
    journal.record(events, [(e, s) for e in events for s in subscriptions],
                   [])
    return sorted(e.id for e in journal.list_executions())


def _set_owner(url, owner):
    with sqlite3.connect(url[len('sqlite:///'):]) as conn:
        conn.execute('UPDATE executions SET owner = ? WHERE status = ?',
                     (owner, 'running'))


def _dead_pid():
    child = subprocess.Popen([sys.executable, '-c', 'pass'])
    child.wait()
    return child.pid


def test_claim_moves_oldest_pending_to_running(journal, make_event,
                                               subscriptions):
    ids = _pending(journal, make_event, 3, subscriptions[0])
    before = datetime.datetime.now(UTC)
    claimed = journal.claim(2)

    assert [e.id for e in claimed] == ids[:2]
    for execution in claimed:
        assert execution == journal.get_execution(execution.id)
        assert (execution.status, execution.attempts) == ('running', 1)
        assert execution.started_at >= before
        host, pid, token = execution.owner.rsplit(':', 2)
        assert (host, pid) == (socket.gethostname(), str(os.getpid()))
        assert len(token) == 8 and execution.owner == journal.owner()
        assert execution.lease_until > execution.started_at
    assert [e.id for e in journal.claim(5)] == ids[2:]
    assert journal.claim(5) == []
    assert journal.counts()['running'] == 3


def test_claim_nothing(journal, make_event, subscriptions):
    _pending(journal, make_event, 1, subscriptions[0])
    assert journal.claim(0) == []
    assert journal.counts()['pending'] == 1


def test_claim_excludes_subscriptions(journal, make_event, subscriptions):
    hello, audit = subscriptions
    _pending(journal, make_event, 2, hello, audit)
    claimed = journal.claim(10, exclude_subscriptions={'on-create'})
    assert {e.subscription for e in claimed} == {'audit'}
    assert len(claimed) == 2
    assert journal.counts()['pending'] == 2


def test_retry_waits_until_due(journal, make_event, subscriptions):
    (execution_id,) = _pending(journal, make_event, 1, subscriptions[0])
    journal.claim(1)
    due = datetime.datetime.now(UTC) + HOUR
    journal.retry(execution_id, due, 'it broke')

    execution = journal.get_execution(execution_id)
    assert (execution.status, execution.error, execution.next_attempt_at,
            execution.attempts) == ('pending', 'it broke', due, 1)
    assert journal.claim(1) == []
    assert journal.claim(1, now=due - datetime.timedelta(seconds=1)) == []
    (again,) = journal.claim(1, now=due)
    assert (again.attempts, again.next_attempt_at, again.started_at) == (
        2, None, due)


def test_finish(journal, make_event, subscriptions):
    (execution_id,) = _pending(journal, make_event, 1, subscriptions[0])
    journal.claim(1)
    outcome = Outcome('succeeded', result={'answer': [42]}, logs='a' * 5000,
                      started_at=100.0, finished_at=101.5)
    journal.finish(execution_id, outcome, function_version=7)

    execution = journal.get_execution(execution_id)
    assert (execution.status, execution.result, execution.function_version,
            execution.duration, execution.error) == (
        'succeeded', {'answer': [42]}, 7, 1.5, None)
    assert execution.logs == 'a' * 1024
    assert execution.started_at <= execution.finished_at
    assert execution.next_attempt_at is None


def test_finish_without_runner_times_uses_wall_time(journal, make_event,
                                                    subscriptions):
    (execution_id,) = _pending(journal, make_event, 1, subscriptions[0])
    journal.claim(1)
    journal.finish(execution_id, Outcome('error', error='no function'),
                   None, log_tail_bytes=10)
    execution = journal.get_execution(execution_id)
    assert (execution.status, execution.outcome, execution.error,
            execution.logs, execution.function_version) == (
        'dead', 'error', 'no function', '', None)
    assert execution.duration == pytest.approx(
        (execution.finished_at - execution.started_at).total_seconds())


def test_finish_refuses_other_statuses(journal):
    with pytest.raises(ValueError, match='pending'):
        journal.finish(1, Outcome('pending'), None)


def test_finish_and_retry_leave_other_states_alone(journal, make_event,
                                                   subscriptions, caplog):
    (execution_id,) = _pending(journal, make_event, 1, subscriptions[0])
    journal.finish(execution_id, Outcome('failed', error='x'), 1)
    journal.retry(execution_id, datetime.datetime.now(UTC), 'x')
    execution = journal.get_execution(execution_id)
    assert (execution.status, execution.error) == ('pending', None)
    assert caplog.text.count(f'Execution {execution_id} is not running') == 2


@pytest.mark.parametrize('text, limit, expected', [
    ('hello', 10, 'hello'),
    ('hello', 3, 'llo'),
    ('hello', 0, ''),
    ('h\u00e9llo', 4, 'llo'),       # the cut through \u00e9 drops it whole
    ('h\u00e9llo', 5, '\u00e9llo'),
])
def test_tail(text, limit, expected):
    assert _lifecycle.tail(text, limit) == expected


def test_recover_running_after_a_crash(journal_url, journal, make_event,
                                       subscriptions):
    ids = _pending(journal, make_event, 2, subscriptions[0])
    journal.claim(1)
    journal.stop()
    # A new process of the same bridge, on the same host.
    again = Journal(journal_url)
    again.start()
    _set_owner(journal_url, f'{socket.gethostname()}:{_dead_pid()}')
    assert again.recover_running() == 1
    recovered = again.get_execution(ids[0])
    assert (recovered.status, recovered.attempts, recovered.next_attempt_at
            ) == ('pending', 1, None)
    assert 'interrupted' in recovered.error
    assert again.recover_running() == 0
    assert [e.attempts for e in again.claim(2)] == [2, 1]
    again.stop()


@pytest.mark.parametrize('owner, recovered', [
    (None, 1),
    ('{host}:{pid}', 1),            # this process: nothing of ours runs yet
    ('{host}:{parent}', 0),         # a live process of this host
    ('elsewhere:{pid}', 0),         # another host: cannot tell
    ('{host}:garbage', 0),
])
def test_recover_running_owners(journal_url, journal, make_event,
                                subscriptions, owner, recovered):
    _pending(journal, make_event, 1, subscriptions[0])
    journal.claim(1)
    if owner is not None:
        owner = owner.format(host=socket.gethostname(), pid=os.getpid(),
                             parent=os.getppid())
    _set_owner(journal_url, owner)
    assert journal.recover_running() == recovered
    assert journal.counts()['running'] == 1 - recovered


@pytest.mark.parametrize('memory', [False, True], ids=['file', 'memory'])
def test_concurrent_claims_are_disjoint(journal_url, make_event, memory):
    journal = Journal('sqlite://' if memory else journal_url)
    journal.start()
    subs = [Subscription(name=f's{n}', function='f') for n in range(4)]
    _pending(journal, make_event, 50, *subs)
    claimed, errors = [], []

    def take():
        try:
            while batch := journal.claim(3):
                claimed.extend(e.id for e in batch)
        except Exception as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(claimed) == len(set(claimed)) == 200
    assert journal.counts()['running'] == 200
    journal.stop()


def test_an_expired_lease_of_its_own_is_not_taken_back(journal, make_event,
                                                      subscriptions):
    _pending(journal, make_event, 1, subscriptions[0])
    journal.claim(1, lease=0.0)  # its renewals failed for a whole lease
    assert journal.stale_owners() == {}
    assert journal.recover_running() == 0
