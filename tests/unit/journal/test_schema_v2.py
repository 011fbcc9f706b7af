"""The shipped migration step: a version 1 journal, with data, to version 2.

The version 1 database is made from the DDL version 1 of pratai-bridge
created (frozen here, as SQLite printed it), not from today's models.
"""

import datetime
import sqlite3

import pytest

from pratai_bridge.journal import Journal
from pratai_bridge.journal import migrations
from pratai_bridge.outcome import Outcome

UTC = datetime.UTC

V1_SCHEMA = '''
CREATE TABLE schema_version (
    version INTEGER NOT NULL,
    PRIMARY KEY (version)
);
CREATE TABLE events (
    message_id VARCHAR(255) NOT NULL,
    source VARCHAR(64) NOT NULL,
    event_type VARCHAR(255) NOT NULL,
    publisher_id VARCHAR(255),
    priority VARCHAR(32) NOT NULL,
    timestamp VARCHAR(64) NOT NULL,
    project_id VARCHAR(255),
    user_id VARCHAR(255),
    resource_id VARCHAR(255),
    exchange VARCHAR(255),
    document TEXT NOT NULL,
    received_at DATETIME NOT NULL,
    PRIMARY KEY (message_id)
);
CREATE INDEX ix_events_event_type ON events (event_type);
CREATE TABLE rejected (
    message_id VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    exchange VARCHAR(255),
    event_type VARCHAR(255),
    reason TEXT NOT NULL,
    raw TEXT,
    received_at DATETIME NOT NULL,
    PRIMARY KEY (message_id)
);
CREATE TABLE executions (
    id INTEGER NOT NULL,
    message_id VARCHAR(255) NOT NULL,
    subscription VARCHAR(255) NOT NULL,
    function VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    event_type VARCHAR(255) NOT NULL,
    source VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    attempts INTEGER NOT NULL,
    function_version VARCHAR(255),
    started_at DATETIME,
    finished_at DATETIME,
    duration FLOAT,
    result TEXT,
    error TEXT,
    logs TEXT,
    PRIMARY KEY (id),
    CONSTRAINT uq_executions_message_id_subscription
        UNIQUE (message_id, subscription),
    FOREIGN KEY(message_id) REFERENCES events (message_id)
);
CREATE INDEX ix_executions_function ON executions (function);
CREATE INDEX ix_executions_status ON executions (status);
INSERT INTO schema_version VALUES (1);
'''

T0 = '2026-11-28 03:02:28.000000'
DOCUMENT = ('{"details": {}, "event_type": "compute.instance.create.end", '
            '"message_id": "m-1", "payload": {"state": "active"}, '
            '"priority": "info", "project_id": "p", "publisher_id": null, '
            '"resource_id": "r", "source": "nova", '
            '"timestamp": "2026-11-28T03:02:28Z", "user_id": "u"}')
V1_DATA = f'''
INSERT INTO events VALUES ('m-1', 'nova', 'compute.instance.create.end',
    NULL, 'info', '2026-11-28T03:02:28Z', 'p', 'u', 'r', 'nova',
    '{DOCUMENT}', '{T0}');
INSERT INTO rejected VALUES ('bad-1', 'rejected', 'nova', NULL, 'not JSON',
    '"{{oops"', '{T0}');
INSERT INTO executions (id, message_id, subscription, function, status,
    event_type, source, created_at, updated_at, attempts) VALUES
    (1, 'm-1', 'on-create', 'hello', 'pending',
     'compute.instance.create.end', 'nova', '{T0}', '{T0}', 0),
    (2, 'm-1', 'audit', 'auditor', 'running',
     'compute.instance.create.end', 'nova', '{T0}', '{T0}', 1);
INSERT INTO executions VALUES (3, 'm-1', 'old', 'hello', 'succeeded',
    'compute.instance.create.end', 'nova', '{T0}', '{T0}', 1, '3',
    '{T0}', '{T0}', 0.25, '{{"ok": true}}', NULL, 'hi');
'''


def _path(url):
    return url[len('sqlite:///'):]


def _columns(path):
    """(name, type) of the executions table; VARCHAR(n) and TEXT are one
    type to SQLite (version 3 only widens them on PostgreSQL)."""
    with sqlite3.connect(path) as conn:
        return [(name, 'TEXT' if kind.startswith('VARCHAR') else kind)
                for name, kind in (row[1:3] for row in conn.execute(
                    'PRAGMA table_info(executions)'))]


@pytest.fixture
def v1_url(tmp_path):
    path = tmp_path / 'v1.sqlite'
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA + V1_DATA)
    return f'sqlite:///{path}'


@pytest.fixture
def upgraded(v1_url):
    journal = Journal(v1_url)
    journal.start()
    yield journal
    journal.stop()


def test_version_2_is_shipped():
    assert [version for version, _ in migrations.STEPS][:1] == [2]


def test_upgrade_stamps_the_latest_version(v1_url, upgraded):
    with sqlite3.connect(_path(v1_url)) as conn:
        assert conn.execute('SELECT version FROM schema_version'
                            ).fetchall() == [(migrations.latest(),)]


def test_upgraded_table_is_the_one_a_new_journal_gets(v1_url, upgraded,
                                                      journal_url, journal):
    assert _columns(_path(v1_url)) == _columns(_path(journal_url))
    columns = _columns(_path(v1_url))
    at = columns.index(('next_attempt_at', 'DATETIME'))
    assert columns[at:at + 2] == [('next_attempt_at', 'DATETIME'),
                                  ('owner', 'TEXT')]


def test_data_survives(upgraded):
    t0 = datetime.datetime(2026, 11, 28, 3, 2, 28, tzinfo=UTC)
    pending, running, done = sorted(upgraded.list_executions(),
                                    key=lambda e: e.id)
    assert (pending.status, pending.attempts, pending.created_at,
            pending.next_attempt_at, pending.owner) == (
        'pending', 0, t0, None, None)
    assert (running.status, running.subscription) == ('running', 'audit')
    assert (done.function_version, done.result, done.duration,
            done.logs, done.finished_at) == (3, {'ok': True}, 0.25, 'hi', t0)
    event = upgraded.get_event('m-1')
    assert event.event.payload == {'state': 'active'}
    assert event.event.as_document() == event.document
    assert upgraded.list_rejected()[0].raw == '{oops'
    assert upgraded.counts()['executions'] == 3


def test_upgraded_journal_runs_the_lifecycle(upgraded):
    # The v1 bridge's running execution has no owner: it is recovered.
    assert upgraded.recover_running() == 1
    claimed = upgraded.claim(10)
    assert [(e.id, e.attempts) for e in claimed] == [(1, 1), (2, 2)]
    assert all(e.owner for e in claimed)
    due = datetime.datetime.now(UTC) + datetime.timedelta(hours=1)
    upgraded.retry(1, due, 'boom')
    upgraded.finish(2, Outcome('succeeded', result=[1]), 4)
    assert upgraded.get_execution(1).next_attempt_at == due
    assert upgraded.get_execution(2).function_version == 4
    assert upgraded.claim(10) == []
