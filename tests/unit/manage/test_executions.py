"""``executions show`` and ``list``, run as cliff runs them."""

import dataclasses
import io
import json
import types

import pytest

from pratai_bridge.events.model import Event
from pratai_bridge.journal import EXECUTION_STATUSES
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
        + ['attempt_history'])


def test_statuses_are_the_journals():
    assert executions.STATUSES == EXECUTION_STATUSES


def test_show_json(app):
    shown = json.loads(_run(app, executions.Show, '1', '-f', 'json'))
    assert list(shown) == list(executions.SHOW_COLUMNS
                               + executions.CHAIN_COLUMNS)
    # A root of no chain: itself alone, and nothing it caused.
    assert [link['id'] for link in shown['chain']] == [1]
    assert shown['caused'] == []
    assert {key: shown[key] for key in (
        'id', 'status', 'function', 'function_version', 'subscription',
        'message_id', 'attempts', 'duration', 'error', 'result', 'logs',
        'next_attempt_at', 'outcome')} == {
        'id': 1, 'status': 'dead', 'outcome': 'failed', 'function': 'hello',
        'function_version': 4, 'subscription': 'on-create',
        'message_id': 'msg-1', 'attempts': 1, 'duration': 2.25,
        'error': 'ValueError: no', 'result': {'partial': [1, 2]},
        'logs': 'line 1\nline 2\n', 'next_attempt_at': None}
    assert shown['finished_at'].endswith('+00:00')
    assert shown['owner']
    (attempt,) = shown['attempt_history']
    assert (attempt['number'], attempt['outcome'], attempt['bridge'],
            attempt['error'], attempt['details']) == (
        1, 'failed', shown['owner'], 'ValueError: no',
        {'duration': 2.25, 'function_version': 4})


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
                             '--status', 'dead'))
    assert (row['id'], row['function'], row['status']) == (1, 'hello',
                                                           'dead')


def test_list_json_has_the_fields_of_show(app):
    (listed,) = json.loads(_run(app, executions.List, '-f', 'json'))
    app.stdout = io.StringIO()
    shown = json.loads(_run(app, executions.Show, '1', '-f', 'json'))
    for column in executions.CHAIN_COLUMNS:  # show's alone
        del shown[column]
    assert listed == shown


def test_list_long(app):
    out = _run(app, executions.List, '--long')
    header = out.splitlines()[1]
    for column in ('outcome', 'error_code', 'error', 'result', 'attempts',
                   'duration'):
        assert f' {column} ' in header
    assert '| failed ' in out and 'function_failed' not in out  # no code
    assert '{"partial": [1, 2]}' in out and '2.25' in out


def test_list_since(app):
    assert json.loads(_run(app, executions.List, '-f', 'json', '--since',
                           '1h'))[0]['id'] == 1
    app.stdout = io.StringIO()
    assert json.loads(_run(app, executions.List, '-f', 'json', '--since',
                           '2999-01-01T00:00:00Z')) == []


def test_list_since_refuses_what_is_not_a_time(app):
    cmd = executions.List(app, None)
    parsed = cmd.get_parser('list').parse_args(['--since', 'yesterday'])
    with pytest.raises(_common.CommandError, match='^--since: .yesterday. '
                       'is neither an ISO 8601 time'):
        cmd.take_action(parsed)


def test_retry_by_id(app):
    assert _run(app, executions.Retry, '1') == '1\n'
    journal = Journal(app.conf.journal.connection)
    journal.start()
    execution = journal.get_execution(1)
    assert (execution.status, execution.attempts, execution.attempts_base,
            execution.budget_used) == ('pending', 1, 1, 0)
    assert execution.retried_at is not None
    journal.stop()
    cmd = executions.Retry(app, None)
    parsed = cmd.get_parser('retry').parse_args(['1', '7'])
    with pytest.raises(_common.CommandError, match='^execution 1 is '
                       'pending, not finished; no execution 7$'):
        cmd.take_action(parsed)


def test_retry_by_subscription(app):
    assert _run(app, executions.Retry, '--subscription', 'other') == ''
    assert _run(app, executions.Retry, '--subscription', 'on-create',
                '--status', 'dead') == '1\n'


def test_retry_needs_a_selection(app):
    cmd = executions.Retry(app, None)
    parsed = cmd.get_parser('retry').parse_args([])
    with pytest.raises(_common.CommandError, match='name the executions'):
        cmd.take_action(parsed)
