"""The journal on a real PostgreSQL, as bridges sharing one journal use it.

Each run works in a fresh schema of the database named by
``PRATAI_TEST_POSTGRESQL`` (default: ``postgresql+psycopg2://postgres@
127.0.0.1:5432/test``) and drops it afterwards. Without a reachable server
the tests skip, except under CI (``CI`` set) where they fail: CI provides
the server, so its absence is a broken setup, not a reason to pass.
"""

import dataclasses
import datetime
import os
import threading
import uuid

import pytest
import sqlalchemy as sa

from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Rejected
from pratai_bridge.journal import Journal
from pratai_bridge.journal import migrations
from pratai_bridge.journal import SchemaVersionError
from pratai_bridge.outcome import Outcome
from pratai_bridge.subscriptions.model import Subscription
from tests.functional.unavailable import unavailable

UTC = datetime.UTC
DEFAULT_URL = 'postgresql+psycopg2://postgres@127.0.0.1:5432/test'
HELLO = Subscription(name='on-create', function='hello')
AUDIT = Subscription(name='audit', function='auditor')


def _unavailable(reason):
    unavailable(f'PostgreSQL not available: {reason}')


@pytest.fixture(scope='module')
def admin():
    url = os.environ.get('PRATAI_TEST_POSTGRESQL', DEFAULT_URL)
    try:
        engine = sa.create_engine(url, connect_args={'connect_timeout': 5})
        with engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
    except ImportError as exc:
        _unavailable(f'no driver ({exc})')
    except sa.exc.OperationalError as exc:
        shown = sa.make_url(url).render_as_string(hide_password=True)
        _unavailable(f'{shown} unreachable ({str(exc).splitlines()[0]})')
    yield engine
    engine.dispose()


@pytest.fixture
def url(admin):
    """A URL whose tables land in a schema of their own, dropped after."""
    schema = f'pratai_test_{uuid.uuid4().hex}'
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA {schema}'))
    yield admin.url.update_query_dict(
        {'options': f'-csearch_path={schema}'}).render_as_string(
            hide_password=False)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA {schema} CASCADE'))


@pytest.fixture
def journal(url):
    journal = Journal(url)
    journal.start()
    yield journal
    journal.stop()


def _events(first, count):
    return [Event(message_id=f'msg-{n:05d}', source='nova',
                  event_type='compute.instance.create.end',
                  publisher_id='compute.host-1', priority='info',
                  timestamp='2026-11-28T03:02:28.177383Z',
                  project_id='p', user_id='u', resource_id=f'r-{n}',
                  payload={'n': n, 'nested': {'b': 1, 'a': [1, 2]}},
                  details={'k': 'v'}, exchange='nova')
            for n in range(first, first + count)]


def _version(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return migrations.current(conn)
    finally:
        engine.dispose()


def test_schema_is_created_once(url, journal):
    assert _version(url) == migrations.latest()
    journal.stop()
    journal.start()
    assert _version(url) == migrations.latest()


def test_redelivery_is_idempotent(journal):
    events = _events(0, 50)
    matches = [(e, s) for e in events for s in (HELLO, AUDIT)]
    rejected = [Rejected('bad', 'nova', None, 'unreadable', {'x': 1})]
    assert journal.record(events, matches, rejected) == 100
    counts = journal.counts()
    assert journal.record(events, matches, rejected) == 0
    assert journal.counts() == counts
    assert (counts['events'], counts['pending'], counts['rejected']) == (
        50, 100, 1)


def test_rows_read_back(journal):
    (event,) = _events(7, 1)
    journal.record([event], [(event, HELLO)], [
        Rejected('bad', None, None, 'unreadable', b'\x00')])
    stored = journal.get_event(event.message_id)
    assert stored.event == event
    assert stored.received_at.tzinfo is datetime.UTC
    (execution,) = journal.list_executions(function='hello',
                                           status='pending')
    assert journal.get_execution(execution.id) == execution
    assert execution.created_at.tzinfo is datetime.UTC
    assert journal.list_executions(subscription='audit') == []
    (rejected,) = journal.list_rejected()
    assert (rejected.reason, rejected.raw) == ('unreadable', "b'\\x00'")


def test_bridges_sharing_a_journal(url, journal):
    # Three bridges (own Journal each), two threads each, all delivered the
    # same overlapping batches: every execution is new exactly once.
    others = [Journal(url) for _ in range(2)]
    for other in others:
        other.start()
    batches = [_events(n * 20, 40) for n in range(10)]
    results, errors = [], []

    def deliver(target):
        try:
            for events in batches:
                results.append(target.record(
                    events, [(e, HELLO) for e in events], []))
        except Exception as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(target,))
               for target in [journal] + others for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.stop()
    assert errors == []
    assert sum(results) == 220
    counts = journal.counts()
    assert (counts['events'], counts['executions']) == (220, 220)


def test_newer_schema_is_refused(url, journal):
    journal.stop()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text('UPDATE schema_version SET version = 42'))
    engine.dispose()
    with pytest.raises(SchemaVersionError, match='42'):
        Journal(url).start()


def test_older_schema_is_migrated(url, journal, monkeypatch):
    journal.stop()

    def add_note(connection):
        connection.execute(sa.text(
            'ALTER TABLE executions ADD COLUMN note TEXT'))

    nxt = migrations.latest() + 1
    monkeypatch.setattr(migrations, 'STEPS',
                        migrations.STEPS + ((nxt, add_note),))
    upgraded = Journal(url)
    upgraded.start()
    upgraded.stop()
    assert _version(url) == nxt
    engine = sa.create_engine(url)
    columns = {c['name'] for c in sa.inspect(engine).get_columns(
        'executions')}
    engine.dispose()
    assert 'note' in columns


def test_sender_chosen_fields_have_no_length_limit(journal):
    # A Swift object path may be ~1 KiB; VARCHAR(255) refused it (v3).
    (event,) = _events(9, 1)
    long_path = 'v1/AUTH_p/c/' + 'o' * 1500
    event = dataclasses.replace(event, resource_id=long_path,
                                event_type='x.' * 200, publisher_id='p' * 300)
    journal.record([event], [(event, HELLO)],
                   [Rejected('bad-long', 'swift', 'y' * 600, 'r', None)])
    assert journal.get_event(event.message_id).event.resource_id == long_path
    (execution,) = journal.list_executions(function='hello')
    assert execution.event_type == event.event_type


def test_a_version_1_journal_upgrades_to_the_latest(url, admin):
    """Every step on PostgreSQL, from the DDL version 1 wrote, with data:
    the dead letter, replays, ordered claims, attempts and purges then
    work on the upgraded tables."""
    from tests.unit.journal import test_schema_v2 as v2
    from tests.unit.journal import test_schema_v5 as v5

    # As SQLAlchemy wrote it for PostgreSQL: timestamptz, a serial id
    # (its sequence past the rows inserted with their ids).
    ddl = v2.V1_SCHEMA.replace('DATETIME', 'TIMESTAMP WITH TIME ZONE').replace(
        '    id INTEGER NOT NULL,', '    id SERIAL NOT NULL,')
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in (ddl + v2.V1_DATA + v5.FAILED).split(';'):
                if statement.strip():
                    conn.exec_driver_sql(statement.replace('%', '%%'))
            conn.exec_driver_sql(
                "SELECT setval('executions_id_seq', 5)")
    finally:
        engine.dispose()
    journal = Journal(url)
    journal.start()
    try:
        assert _version(url) == migrations.latest()
        by_id = {e.id: e for e in journal.list_executions()}
        assert [(by_id[n].status, by_id[n].outcome, by_id[n].error_code)
                for n in (3, 4, 5)] == [
            ('succeeded', 'succeeded', None),
            ('dead', 'failed', 'function_failed'),
            ('dead', 'timeout', 'timed_out')]
        event = journal.get_event('m-1').event
        sub = Subscription('broken', 'hello')
        (replay,) = journal.replay([(event, sub)])
        assert (replay.replay, replay.replay_of) == (1, 4)
        assert journal.record([event], [(event, sub)], []) == 0
        assert journal.recover_running() == 1
        claimed = journal.claim(10, ordered=['on-create', 'broken'])
        # on-create's pending one, the recovered audit, and the replay.
        assert sorted(e.id for e in claimed) == [1, 2, replay.id]
        history = journal.attempts([e.id for e in claimed])
        assert all(len(h) == 1 for h in history.values())
        for execution in claimed:
            journal.finish(execution.id, Outcome('succeeded'), 1)
        assert journal.requeue(subscription='broken', status='dead') == [4]
        later = datetime.datetime.now(UTC) + datetime.timedelta(seconds=1)
        purged = journal.purge(later, later, later)
        assert (purged['executions'], purged['attempts']) == (5, 3)
        assert journal.counts()['executions'] == 1  # the requeued one
    finally:
        journal.stop()
