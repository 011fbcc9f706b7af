"""``pratai-bridge-manage`` as an operator runs it (no broker needed)."""

import pytest

from tests.functional.bridge import Bridge
from tests.functional.test_daemon import SUBSCRIPTIONS
from tests.unit import samples

LEGACY = 'nova-legacy/compute.instance.create.end.ceilometer-tests.json'
VERSIONED = 'nova-versioned/instance-create-end.json'
WATCHER = 'nova-legacy/compute.instance.create.end.watcher-tests.json'
SWIFT_C = 'swift-ceilometermiddleware/objectstore.http.request.GET.ceilometer-tests.json'  # noqa: E501
SWIFT_PUT = 'swift-ceilometermiddleware/objectstore.http.request.PUT.json'
ALARM = 'aodh/alarm.update.threshold-alarm.json'
WIRE = 'wire/swift.objectstore.http.request.PUT.amqp-body.json'


@pytest.fixture
def bridge(tmp_path):
    made = Bridge(tmp_path)
    made.subscribe('10-main.yaml', SUBSCRIPTIONS)
    return made


def _paths(*relative):
    return [str(samples.path(r)) for r in relative]


def test_validate_accepts_good_files(bridge, tmp_path):
    source = tmp_path / 'fn'
    source.mkdir()
    (source / 'handler.py').write_text('def main(payload=None):\n    pass\n')
    for name in ('hello', 'thumbnail', 'scale-up'):
        bridge.manage('function', 'create', name, '--zip', str(source))
    result = bridge.manage('subscriptions', 'validate')
    assert '3 subscriptions in 1 files: valid' in result.stdout


def test_validate_reports_functions_missing_from_the_store(bridge):
    result = bridge.manage('subscriptions', 'validate', check=False)
    assert result.returncode == 1
    main = str(bridge.subscriptions / '10-main.yaml')
    assert result.stderr.splitlines()[0] == (
        f"{main}:3: subscription 'on-instance-create': function 'hello' is "
        'not in the store (pratai-bridge-manage function create hello '
        '--zip ...)')


def test_validate_reports_file_and_line(bridge):
    bridge.subscribe('20-bad.yaml', (
        'subscriptions:\n'
        '  - name: on-instance-create\n'
        '    function: other\n'
        '    filters:\n'
        '      - evnt_type: compute.*\n'))
    result = bridge.manage('subscriptions', 'validate', check=False)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    bad = str(bridge.subscriptions / '20-bad.yaml')
    assert any(line.startswith(f'{bad}:5: ') and 'evnt_type' in line
               and 'event_type, pattern, project' in line for line in lines)
    assert any(line.startswith(f'{bad}:2: ') and 'on-instance-create' in line
               for line in lines)


def test_match_is_a_dry_run_over_every_form(bridge):
    rows = bridge.manage_json('subscriptions', 'match',
                              *_paths(LEGACY, VERSIONED, WATCHER, SWIFT_C,
                                      SWIFT_PUT, ALARM, WIRE))
    got = {row['file'].split('notification-samples/')[1]:
           (row['source'], row['subscriptions']) for row in rows}
    assert got == {
        LEGACY: ('nova', ['on-instance-create']),
        VERSIONED: ('nova', ['on-instance-create']),
        WATCHER: ('nova', ['on-instance-create']),
        SWIFT_C: ('swift', []),
        SWIFT_PUT: ('swift', ['on-object-upload']),
        ALARM: ('aodh', ['on-alarm']),
        WIRE: ('swift', ['on-object-upload']),
    }
    # Nothing was journaled: there is not even a journal (and a listing
    # does not make one).
    listed = bridge.manage('executions', 'list', check=False)
    assert (listed.returncode, listed.stderr.count('\n')) == (1, 1)
    assert 'no journal at ' in listed.stderr


def test_match_with_explicit_exchange(bridge):
    rows = bridge.manage_json('subscriptions', 'match', '--exchange', 'nova',
                              *_paths(VERSIONED))
    assert rows[0]['subscriptions'] == ['on-instance-create']


def test_replay_journals_once(bridge):
    first = bridge.manage_json('replay', *_paths(LEGACY, SWIFT_PUT, ALARM))
    assert [r['new_executions'] for r in first] == [1, 1, 1]
    again = bridge.manage_json('replay', *_paths(LEGACY, SWIFT_PUT, ALARM))
    assert [r['new_executions'] for r in again] == [0, 0, 0]
    executions = bridge.manage_json('executions', 'list')
    assert sorted(e['subscription'] for e in executions) == [
        'on-alarm', 'on-instance-create', 'on-object-upload']
    assert {e['status'] for e in executions} == {'pending'}
    only = bridge.manage_json('executions', 'list', '--function', 'hello')
    assert [e['function'] for e in only] == ['hello']
    table = bridge.manage('executions', 'list').stdout
    assert 'on-object-upload' in table and '+--' in table


def test_errors_are_one_line_on_stderr(bridge, tmp_path):
    missing = str(tmp_path / 'nope.json')
    result = bridge.manage('subscriptions', 'match', missing, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().count('\n') == 0
    assert 'nope.json' in result.stderr
    junk = tmp_path / 'junk.json'
    junk.write_text('[1, 2]')
    result = bridge.manage('replay', str(junk), check=False)
    assert result.returncode != 0
    assert 'junk.json' in result.stderr
    assert result.stderr.strip().count('\n') == 0


def test_unknown_command_and_driver_are_one_line_on_stderr(bridge, tmp_path):
    result = bridge.manage('nosuchcmd', check=False)
    assert (result.returncode, result.stdout) == (2, '')
    assert result.stderr.strip().count('\n') == 0
    assert 'nosuchcmd' in result.stderr
    with open(bridge.conf, 'a') as conf:
        conf.write('[store]\ndriver = nope\n')
    result = bridge.manage('function', 'list', check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "unknown [store] driver 'nope'; known drivers: local, swift")


def test_replay_since_rematches_the_journal(bridge):
    bridge.manage_json('replay', *_paths(LEGACY, SWIFT_C, SWIFT_PUT))
    # The unmatched Swift GET is journaled too (record_unmatched_events);
    # a subscription added later replays onto it.
    bridge.subscribe('20-gets.yaml', (
        'subscriptions:\n'
        '  - name: on-get\n'
        '    function: hello\n'
        '    filters:\n'
        '      - pattern: {details: {method: [GET]}}\n'))
    dry = bridge.manage_json('replay', '--since', '1h', '--subscription',
                             'on-get', '--dry-run')
    assert [(r['subscription'], r['execution']) for r in dry] == [
        ('on-get', None)]
    assert len(bridge.manage_json('executions', 'list')) == 2
    first = bridge.manage_json('replay', '--since', '1h', '--event-type',
                               'objectstore.*')
    assert sorted((r['subscription'], r['replay']) for r in first) == [
        ('on-get', 1), ('on-object-upload', 1)]
    again = bridge.manage_json('replay', '--since', '1h', '--subscription',
                               'on-object-upload')
    assert [r['replay'] for r in again] == [2]
    shown = bridge.manage_json('executions', 'show',
                               str(again[0]['execution']))
    upload = [e for e in bridge.manage_json('executions', 'list')
              if e['subscription'] == 'on-object-upload' and not e['replay']]
    assert (shown['replay'], shown['replay_of']) == (2, upload[0]['id'])
    # Ordinary redeliveries still add nothing.
    assert [r['new_executions'] for r in bridge.manage_json(
        'replay', *_paths(SWIFT_PUT))] == [0]
    assert bridge.manage_json('replay', '--since', '2999-01-01T00:00:00Z'
                              ) == []
    bad = bridge.manage('replay', '--since', '1h', '--subscription', 'nope',
                        check=False)
    assert (bad.returncode, bad.stderr.strip()) == (1, 'no subscription nope')


def test_retry_and_purge(bridge):
    bridge.manage_json('replay', *_paths(LEGACY, SWIFT_C))
    (execution,) = bridge.manage_json('executions', 'list')
    refused = bridge.manage('executions', 'retry', str(execution['id']),
                            check=False)
    assert refused.returncode == 1
    assert 'is pending, not finished' in refused.stderr
    dry = bridge.manage_json('journal', 'purge', '--older-than', '0s',
                             '--dry-run')
    # The GET matched nothing: it goes; the pending execution and its
    # event stay, whatever their age.
    assert dry == {'executions': 0, 'attempts': 0, 'events': 1,
                   'rejected': 0}
    assert bridge.manage_json('journal', 'purge') == dict.fromkeys(dry, 0)
    assert bridge.manage_json('journal', 'purge', '--older-than', '0s'
                              ) == dry
    assert bridge.manage_json('journal', 'purge', '--older-than', '0s'
                              ) == dict.fromkeys(dry, 0)
    bad = bridge.manage('journal', 'purge', '--older-than', 'soon',
                        check=False)
    assert bad.returncode == 1 and bad.stderr.startswith('--older-than: ')
