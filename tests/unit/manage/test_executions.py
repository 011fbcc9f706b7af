"""``executions show`` and ``list``, run as cliff runs them."""

import dataclasses
import io
import json
import types

import pytest

from pratai_bridge.events.model import Event
from pratai_bridge.journal import Execution
from pratai_bridge.journal import Journal
from pratai_bridge.manage import _common
from pratai_bridge.manage import executions
from pratai_bridge.outcome import Outcome
from pratai_bridge.subscriptions.model import Subscription

EVENT = Event(message_id='msg-1', source='nova', event_type='x.create.end',
              publisher_id=None, priority='info',
              timestamp='2026-11-28T03:02:28Z', project_id=None,
              user_id=None, resource_id=None, payload={})


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    journal = Journal(url)
    journal.start()
    journal.record([EVENT], [(EVENT, Subscription('on-create', 'hello'))],
                   [])
    (execution,) = journal.claim(1)
    journal.finish(execution.id, Outcome(
        'failed', result={'partial': [1, 2]}, error='ValueError: no',
        logs='line 1\nline 2\n', started_at=5.0, finished_at=7.25), 4)
    journal.stop()
    conf = types.SimpleNamespace(
        journal=types.SimpleNamespace(connection=url),
        dispatcher=types.SimpleNamespace(max_chain_depth=4))
    return types.SimpleNamespace(conf=conf, stdout=io.StringIO(),
                                 stderr=io.StringIO(), options=None)


def _run(app, command, *argv):
    cmd = command(app, None)
    parsed = cmd.get_parser('pratai-bridge-manage').parse_args(list(argv))
    assert cmd.run(parsed) == 0
    return app.stdout.getvalue()


def test_show_columns_are_every_execution_field():
    # ...and the loop guard's chain, read beside the execution.
    assert sorted(executions.SHOW_COLUMNS) == sorted(
        [f.name for f in dataclasses.fields(Execution)]
        + ['chain', 'caused'])


def test_show_json(app):
    shown = json.loads(_run(app, executions.Show, '1', '-f', 'json'))
    assert list(shown) == list(executions.SHOW_COLUMNS)
    assert {key: shown[key] for key in (
        'id', 'status', 'function', 'function_version', 'subscription',
        'message_id', 'attempts', 'duration', 'error', 'result', 'logs',
        'next_attempt_at')} == {
        'id': 1, 'status': 'failed', 'function': 'hello',
        'function_version': 4, 'subscription': 'on-create',
        'message_id': 'msg-1', 'attempts': 1, 'duration': 2.25,
        'error': 'ValueError: no', 'result': {'partial': [1, 2]},
        'logs': 'line 1\nline 2\n', 'next_attempt_at': None}
    assert shown['finished_at'].endswith('+00:00')
    assert shown['owner']


def test_show_table_prints_result_as_json(app):
    out = _run(app, executions.Show, '1')
    assert '{"partial": [1, 2]}' in out
    assert 'ValueError: no' in out


def test_show_unknown_id(app):
    cmd = executions.Show(app, None)
    parsed = cmd.get_parser('show').parse_args(['99'])
    with pytest.raises(_common.CommandError, match='^no execution 99$'):
        cmd.take_action(parsed)


def test_list_still_works(app):
    (row,) = json.loads(_run(app, executions.List, '-f', 'json',
                             '--status', 'failed'))
    assert (row['id'], row['function'], row['status']) == (1, 'hello',
                                                           'failed')
