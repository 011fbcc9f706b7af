"""Journal on SQLite: idempotent batches, readers, threads."""

import datetime
import json
import sqlite3
import threading

import pytest

from pratai_bridge.events.model import Rejected
from pratai_bridge.journal import EXECUTION_STATUSES
from pratai_bridge.journal import Journal
from pratai_bridge.journal import RecordRefused
from pratai_bridge.subscriptions.model import Subscription

UTC = datetime.UTC


def _database(url):
    return url[len('sqlite:///'):]


def _matches(events, *subs):
    return [(event, sub) for event in events for sub in subs]


def test_constructor_does_not_touch_the_disk(tmp_path):
    path = tmp_path / 'later' / 'journal.sqlite'
    Journal(f'sqlite:///{path}')
    assert not path.parent.exists()


def test_start_creates_directory_and_uses_wal(journal_url, journal):
    with sqlite3.connect(_database(journal_url)) as conn:
        assert conn.execute('PRAGMA journal_mode').fetchone() == ('wal',)


def test_every_commit_is_synced_to_disk(journal):
    # synchronous=FULL (2) on the journal's own connections: a pragma of
    # the connection, so a fresh sqlite3 connection would not show it.
    with journal._engine.connect() as conn:
        assert conn.exec_driver_sql('PRAGMA synchronous').scalar() == 2


def test_other_databases_are_refused():
    with pytest.raises(ValueError, match='mysql'):
        Journal('mysql://user@localhost/db')


def test_statuses():
    assert EXECUTION_STATUSES == ('pending', 'running', 'succeeded', 'dead',
                                  'loop')


def test_empty_journal_counts_zero(journal):
    counts = journal.counts()
    assert counts == dict.fromkeys(
        ('events', 'rejected', 'executions') + EXECUTION_STATUSES, 0)


def test_record_nothing(journal):
    assert journal.record([], [], []) == 0


def test_redelivered_batch_adds_nothing(journal, make_event, subscriptions):
    events = [make_event(i) for i in range(10)]
    matches = _matches(events[:4], *subscriptions)
    rejected = [Rejected('bad-1', 'nova', None, 'not JSON', '{oops')]

    assert journal.record(events, matches, rejected) == 8
    first = journal.counts()
    executions = journal.list_executions()

    assert journal.record(events, matches, rejected) == 0
    assert journal.counts() == first
    assert journal.list_executions() == executions
    assert first['events'] == 10
    assert first['pending'] == first['executions'] == 8
    assert first['rejected'] == 1


def test_partly_redelivered_batch_counts_only_new(journal, make_event,
                                                  subscriptions):
    hello, audit = subscriptions
    events = [make_event(i) for i in range(4)]
    assert journal.record(events[:2], _matches(events[:2], hello), []) == 2
    assert journal.record(events, _matches(events, hello, audit), []) == 6
    assert journal.counts()['executions'] == 8
    assert journal.counts()['events'] == 4


def test_duplicates_inside_one_batch(journal, make_event, subscriptions):
    event = make_event(1)
    hello = subscriptions[0]
    assert journal.record([event, event], [(event, hello)] * 3, []) == 1
    assert journal.counts()['events'] == 1


def test_first_delivery_of_an_event_wins(journal, make_event):
    journal.record([make_event(1, payload={'v': 1})], [], [])
    journal.record([make_event(1, payload={'v': 2})], [], [])
    assert journal.get_event('msg-0001').event.payload == {'v': 1}


def test_matched_event_is_journaled_even_if_not_listed(journal, make_event,
                                                       subscriptions):
    # With record_unmatched_events off the listener may pass only matches.
    event = make_event(7)
    assert journal.record([], [(event, subscriptions[0])], []) == 1
    assert journal.get_event('msg-0007') is not None


def test_execution_rows(journal, make_event, subscriptions):
    before = datetime.datetime.now(UTC)
    event = make_event(1, event_type='instance.create.end', source='nova')
    journal.record([event], [(event, subscriptions[0])], [])
    (execution,) = journal.list_executions()

    assert execution == journal.get_execution(execution.id)
    assert (execution.message_id, execution.subscription, execution.function,
            execution.status, execution.event_type, execution.source,
            execution.attempts) == ('msg-0001', 'on-create', 'hello',
                                    'pending', 'instance.create.end',
                                    'nova', 0)
    assert execution.created_at == execution.updated_at
    assert execution.created_at.tzinfo is UTC
    assert before <= execution.created_at <= datetime.datetime.now(UTC)
    assert (execution.function_version, execution.started_at,
            execution.finished_at, execution.duration, execution.result,
            execution.error, execution.logs) == (None,) * 7


def test_get_missing(journal):
    assert journal.get_execution(12345) is None
    assert journal.get_event('nope') is None


def test_list_executions_filters(journal, make_event, subscriptions):
    hello, audit = subscriptions
    other = Subscription(name='other-hello', function='hello')
    events = [make_event(i) for i in range(3)]
    journal.record(events, _matches(events, hello, audit, other), [])

    def ids(**filters):
        return [e.id for e in journal.list_executions(**filters)]

    everything = ids()
    assert len(everything) == 9
    assert everything == sorted(everything, reverse=True)
    assert len(ids(function='hello')) == 6
    assert len(ids(subscription='audit')) == 3
    assert len(ids(function='hello', subscription='other-hello')) == 3
    assert len(ids(status='pending')) == 9
    assert ids(status='failed') == []
    assert ids(function='nobody') == []
    assert ids(limit=2) == everything[:2]
    assert {e.function for e in journal.list_executions(
        subscription='audit')} == {'auditor'}


def test_get_event_round_trip(journal, make_event):
    event = make_event(3, payload={'b': [1, 2], 'a': None},
                       details={'method': 'PUT'}, exchange='swift')
    journal.record([event], [], [])
    stored = journal.get_event('msg-0003')

    assert stored.event == event
    assert stored.document == event.as_document()
    assert (stored.event.payload, stored.event.details,
            stored.event.exchange) == (
        {'b': [1, 2], 'a': None}, {'method': 'PUT'}, 'swift')
    assert stored.received_at.tzinfo is UTC


def test_json_columns_are_sorted_text(journal_url, journal, make_event):
    event = make_event(1, payload={'z': 1, 'a': datetime.date(2026, 1, 2)})
    journal.record([event], [], [])
    with sqlite3.connect(_database(journal_url)) as conn:
        (text,) = conn.execute('SELECT document FROM events').fetchone()
    assert text == json.dumps(event.as_document(), sort_keys=True,
                              default=str)
    assert '"payload": {"a": "2026-01-02", "z": 1}' in text


def test_rejected(journal):
    rejected = [
        Rejected('r-2', 'swift', 'objectstore.http.request', 'no payload',
                 {'event_type': 'objectstore.http.request'}),
        Rejected('r-1', None, None, 'undecodable', b'\xff\xfe'),
    ]
    assert journal.record([], [], rejected) == 0
    journal.record([], [], rejected)

    stored = {r.message_id: r for r in journal.list_rejected()}
    assert journal.counts()['rejected'] == 2
    assert (stored['r-2'].exchange, stored['r-2'].event_type,
            stored['r-2'].reason, stored['r-2'].raw) == (
        'swift', 'objectstore.http.request', 'no payload',
        {'event_type': 'objectstore.http.request'})
    assert stored['r-1'].raw == str(b'\xff\xfe')
    assert stored['r-1'].received_at.tzinfo is UTC
    assert len(journal.list_rejected(limit=1)) == 1


def test_rejected_newest_first(journal):
    journal.record([], [], [Rejected('old', None, None, 'x', None)])
    journal.record([], [], [Rejected('new', None, None, 'x', None)])
    assert [r.message_id for r in journal.list_rejected()] == ['new', 'old']


def test_failed_batch_leaves_nothing(journal, make_event, subscriptions):
    event = make_event(1)
    broken = Rejected('r', None, None, None, None)  # reason is NOT NULL
    with pytest.raises(RecordRefused, match='NOT NULL'):
        journal.record([event], [(event, subscriptions[0])], [broken])
    assert journal.counts()['events'] == journal.counts()['executions'] == 0
    # And the journal is still usable: the lock was released.
    assert journal.record([event], [(event, subscriptions[0])], []) == 1


def test_data_survives_restart(journal_url, journal, make_event,
                               subscriptions):
    event = make_event(1)
    journal.record([event], [(event, subscriptions[0])], [])
    journal.stop()
    again = Journal(journal_url)
    again.start()
    assert again.counts()['pending'] == 1
    assert again.record([event], [(event, subscriptions[0])], []) == 0
    again.stop()


def _hammer(journal, batches, subscriptions, results, errors):
    try:
        for events in batches:
            results.append(journal.record(
                events, _matches(events, *subscriptions), []))
            journal.counts()
    except Exception as exc:  # reported by the test, in the main thread
        errors.append(exc)


@pytest.mark.parametrize('memory', [False, True], ids=['file', 'memory'])
def test_concurrent_record(journal_url, make_event, subscriptions, memory):
    journal = Journal('sqlite://' if memory else journal_url)
    journal.start()
    # Eight threads, every batch delivered by two of them: each execution
    # must be counted as new exactly once.
    batches = [[make_event(b * 10 + i) for i in range(10)]
               for b in range(16)]
    results, errors = [], []
    threads = [threading.Thread(
        target=_hammer,
        args=(journal, batches[(t % 4) * 4:(t % 4) * 4 + 4], subscriptions,
              results, errors)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 160 * 2
    counts = journal.counts()
    assert (counts['events'], counts['pending']) == (160, 320)
    journal.stop()


def test_writer_waits_for_another_process(journal_url, journal, make_event):
    # pratai-bridge-manage holding the write lock must delay, not fail, a
    # batch: the busy timeout makes record() wait.
    other = sqlite3.connect(_database(journal_url), isolation_level=None,
                            check_same_thread=False)
    other.execute('BEGIN IMMEDIATE')
    timer = threading.Timer(0.3, other.execute, ('COMMIT',))
    timer.start()
    try:
        assert journal.record([make_event(1)], [], []) == 0
    finally:
        timer.join()
        other.close()
    assert journal.counts()['events'] == 1


def test_secrets_are_never_stored(journal, make_event, subscriptions):
    token = 'gAAAAABsecret-token'
    journal.record([make_event(1, payload={'admin_password': 'p4ss',
                                           'state': 'active'})],
                   [], [Rejected('r-1', 'nova', None, 'no payload',
                                 {'_context_auth_token': token,
                                  'ctxt': {'auth_token': token}})])
    [rejected] = journal.list_rejected()
    assert rejected.raw == {'_context_auth_token': '***',
                            'ctxt': {'auth_token': '***'}}
    event = journal.get_event('msg-0001')
    assert event.document['payload'] == {'admin_password': '***',
                                         'state': 'active'}
