"""Tables and the two portable column types."""

import datetime
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from pratai_bridge.journal import models

UTC = datetime.UTC
PARIS = datetime.timezone(datetime.timedelta(hours=1))


def _indexes(table):
    return {index.name: [c.name for c in index.columns]
            for index in table.indexes}


def test_tables():
    assert set(models.METADATA.tables) == {'schema_version', 'events',
                                           'rejected', 'executions',
                                           'attempts'}


def test_indexes():
    assert _indexes(models.ExecutionRow.__table__) == {
        'ix_executions_status': ['status'],
        'ix_executions_function': ['function'],
        'ix_executions_order': ['subscription', 'resource_id', 'status'],
        'ix_executions_created_at': ['created_at'],
        'ix_executions_request_id': ['request_id'],
        'ix_executions_cause': ['cause']}

    assert _indexes(models.EventRow.__table__) == {
        'ix_events_event_type': ['event_type'],
        'ix_events_received_at': ['received_at']}


def test_keys():
    executions = models.ExecutionRow.__table__
    (unique,) = [c for c in executions.constraints
                 if isinstance(c, sa.UniqueConstraint)]
    assert [c.name for c in unique.columns] == ['message_id', 'subscription',
                                                'replay']
    assert [c.name for c in models.EventRow.__table__.primary_key] == [
        'message_id']
    assert [c.name for c in models.RejectedRow.__table__.primary_key] == [
        'message_id']


def test_runner_columns_are_nullable():
    columns = models.ExecutionRow.__table__.c
    for name in ('function_version', 'started_at', 'finished_at',
                 'duration', 'result', 'error', 'logs', 'next_attempt_at',
                 'owner'):
        assert columns[name].nullable, name
    for name in ('message_id', 'subscription', 'function', 'status',
                 'created_at', 'attempts'):
        assert not columns[name].nullable, name


@pytest.mark.parametrize('dialect', [sqlite.dialect(), postgresql.dialect()],
                         ids=['sqlite', 'postgresql'])
def test_utc_datetime_bind(dialect):
    kind = models.UTCDateTime()
    paris = datetime.datetime(2026, 1, 1, 13, 0, tzinfo=PARIS)
    bound = kind.process_bind_param(paris, dialect)
    assert bound.replace(tzinfo=UTC) == paris
    assert (bound.tzinfo is None) == (dialect.name == 'sqlite')
    assert kind.process_bind_param(None, dialect) is None
    with pytest.raises(ValueError, match='naive'):
        kind.process_bind_param(datetime.datetime(2026, 1, 1), dialect)


def test_utc_datetime_result():
    kind = models.UTCDateTime()
    naive = datetime.datetime(2026, 1, 1, 12, 0)
    assert kind.process_result_value(naive, sqlite.dialect()) == \
        naive.replace(tzinfo=UTC)
    paris = datetime.datetime(2026, 1, 1, 13, 0, tzinfo=PARIS)
    back = kind.process_result_value(paris, postgresql.dialect())
    assert back.tzinfo is UTC and back.hour == 12


def test_json_text():
    kind = models.JSONText()
    value = {'b': 1, 'a': datetime.date(2026, 1, 2)}
    text = kind.process_bind_param(value, sqlite.dialect())
    assert text == '{"a": "2026-01-02", "b": 1}'
    assert kind.process_result_value(text, sqlite.dialect()) == json.loads(
        text)
    assert kind.process_bind_param(None, sqlite.dialect()) is None
    assert kind.process_result_value(None, sqlite.dialect()) is None


def test_integer_text():
    kind = models.IntegerText()
    assert kind.process_bind_param(12, sqlite.dialect()) == '12'
    assert kind.process_result_value('12', postgresql.dialect()) == 12
    assert kind.process_bind_param(None, sqlite.dialect()) is None
    assert kind.process_result_value(None, sqlite.dialect()) is None
    # Still a text column: version 1 declared it so.
    column = models.ExecutionRow.__table__.c.function_version
    assert str(column.type.compile(dialect=sqlite.dialect())) == \
        'VARCHAR(255)'
