"""Subscriptions on the real daemon and CLI: the directory is watched and
reloaded without a signal, a broken file keeps the old set, and
``subscriptions match --explain`` says why, for files and journaled
events."""

import json

from tests.functional.test_daemon import SUBSCRIPTIONS
from tests.functional.test_daemon import _publish_sample
from tests.unit import samples

ALARM = 'aodh/alarm.update.threshold-alarm.json'


def test_a_changed_directory_is_reloaded_without_a_signal(make_bridge,
                                                          publisher):
    bridge = make_bridge()
    bridge.start()
    bridge.wait_for_log('Watching ')
    _publish_sample(publisher, ALARM, 'aodh', 'alarming')
    bridge.wait_for_log('Batch from')
    assert bridge.executions() == []

    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)  # no SIGHUP
    bridge.wait_for_log('Loaded 3 subscriptions')
    _publish_sample(publisher, ALARM, 'aodh', 'alarming')
    assert len(bridge.wait_for_executions(1)) == 1

    bridge.subscribe('20-broken.yaml', 'subscriptions:\n'
                                       '  - name: x\n'
                                       '    function: f\n'
                                       '    filters: [{evnt: a}]\n')
    bridge.wait_for_log('Subscription reload failed')
    log = bridge.log_text()
    assert '20-broken.yaml:4: subscription \'x\': unknown filter' in log
    _publish_sample(publisher, ALARM, 'aodh', 'alarming')
    assert len(bridge.wait_for_executions(2)) == 2  # the old set still

    (bridge.subscriptions / '20-broken.yaml').unlink()
    bridge.wait_for_log('Loaded 3 subscriptions', count=2)
    assert bridge.stop() == 0


def test_explain_a_file_and_a_journaled_event(make_bridge):
    bridge = make_bridge()
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS + """
  - name: on-big-alarm
    function: page
    filters:
      - any:
          - event_type: alarm.state_transition
          - all:
              - event_type: alarm.update
              - pattern: {details: {severity: [critical]}}
""")
    path = str(samples.path(ALARM))
    rows = bridge.manage_json('subscriptions', 'match', '--explain', path)
    by_name = {}
    for row in rows:
        by_name.setdefault(row['subscription'], []).append(row)
    assert set(by_name) == {'on-alarm', 'on-big-alarm'}
    assert by_name['on-alarm'] == [{
        'file': path, 'subscription': 'on-alarm', 'matched': True,
        'filter': '', 'field': '', 'found': '', 'condition': ''}]
    big = by_name['on-big-alarm']
    assert [r['matched'] for r in big] == [False, False]
    assert {r['filter'] for r in big} == {'filters[0] any'}
    assert [r['field'] for r in big] == ['event_type', 'details.severity']

    named = bridge.manage_json('subscriptions', 'match', '--explain',
                               '--subscription', 'on-object-upload', path)
    assert [(r['filter'], r['field'], r['found']) for r in named] == [
        ('filters[0] event_type', 'event_type', '"alarm.update"')]

    # The same explanation for the event once it is in the journal.
    bridge.manage('replay', path)
    message_id = json.loads(samples.path(ALARM).read_text())['message_id']
    journaled = bridge.manage_json('subscriptions', 'match',
                                   '--message-id', message_id, '--explain')
    assert [(r['subscription'], r['matched'], r['field'])
            for r in journaled] == [
        (r['subscription'], r['matched'], r['field']) for r in rows]
    missing = bridge.manage('subscriptions', 'match', '--message-id',
                            'nope', check=False)
    assert missing.returncode == 1
    assert 'no event with message id nope' in missing.stderr
