"""The daemon against the real RabbitMQ: publish as the sources do, read
what happened through ``pratai-bridge-manage``."""

import json
import signal

from pratai_bridge.events import decode
from pratai_bridge.journal import Journal
from tests.functional import rabbit
from tests.unit import samples

SUBSCRIPTIONS = """
subscriptions:
  - name: on-instance-create
    function: hello
    filters:
      - event_type: [compute.instance.create.end, instance.create.end]
  - name: on-object-upload
    function: thumbnail
    filters:
      - event_type: objectstore.http.request
      - pattern: {details: {method: [PUT], container: [backups]}}
  - name: on-alarm
    function: scale-up
    filters:
      - event_type: alarm.update
      - pattern: {details: {current: [alarm]}}
"""

# (sample file, exchange, topic): how each source really sends it
SOURCES = [
    ('nova-legacy/compute.instance.create.end.ceilometer-tests.json',
     'nova', 'notifications'),
    ('nova-versioned/instance-create-end.json',
     'nova', 'versioned_notifications'),
    ('swift-ceilometermiddleware/objectstore.http.request.PUT.json',
     'swift', 'notifications'),
    ('swift-ceilometermiddleware/objectstore.http.request.GET.json',
     'swift', 'notifications'),
    ('aodh/alarm.update.threshold-alarm.json', 'aodh', 'alarming'),
    ('aodh/alarm.creation.json', 'aodh', 'notifications'),
]


def _publish_sample(publisher, relative, exchange, topic):
    notification = decode.load_file(str(samples.path(relative)),
                                    exchange)
    publisher.publish(exchange, topic, notification.priority,
                      notification.publisher_id, notification.event_type,
                      notification.payload)
    return notification


def _journal(bridge) -> Journal:
    journal = Journal(f'sqlite:///{bridge.root}/journal.sqlite')
    journal.start()
    return journal


def test_each_source_is_matched_and_journaled(make_bridge, publisher):
    bridge = make_bridge()
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.start()
    for relative, exchange, topic in SOURCES:
        _publish_sample(publisher, relative, exchange, topic)

    found = bridge.wait_for_executions(4)
    # (No such functions are in the store: the dispatcher ends them as
    # errors; running them is test_end_to_end's business.)
    by_subscription = sorted((e['subscription'], e['function'],
                              e['event_type']) for e in found)
    assert by_subscription == [
        ('on-alarm', 'scale-up', 'alarm.update'),
        ('on-instance-create', 'hello', 'compute.instance.create.end'),
        ('on-instance-create', 'hello', 'instance.create.end'),
        ('on-object-upload', 'thumbnail', 'objectstore.http.request'),
    ]
    # Every notification is journaled, matched or not (the default).
    journal = _journal(bridge)
    try:
        bridge.wait_for_log('Batch from', count=1)
        assert journal.counts()['events'] >= len(SOURCES)
        upload = [e for e in found if e['subscription'] == 'on-object-upload']
        event = journal.get_event(upload[0]['message_id']).event
        assert event.source == 'swift'
        assert event.project_id == '8f0c0f4f5bd64ad2b4a5f3f6dbe6f0b2'
    finally:
        journal.stop()
    assert bridge.stop() == 0


def test_redelivered_wire_message_adds_nothing_twice(make_bridge, publisher):
    bridge = make_bridge()
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.start()
    body = samples.path(
        'wire/swift.objectstore.http.request.PUT.amqp-body.json').read_bytes()
    # The exact bytes ceilometermiddleware put on the wire, twice: what the
    # broker does when a consumer dies before its ack.
    for _ in range(2):
        rabbit.publish_raw('swift', 'notifications.info', body)
    _publish_sample(publisher, 'nova-versioned/instance-create-end.json',
                    'nova', 'versioned_notifications')
    found = bridge.wait_for_executions(2)
    bridge.wait_for_log('Batch from', count=2)
    assert bridge.stop() == 0
    wire = json.loads(json.loads(body)['oslo.message'])
    found = [e for e in bridge.executions(subscription='on-object-upload')
             if e['message_id'] == wire['message_id']]
    assert len(found) == 1


def test_sigterm_drains_and_loses_nothing(make_bridge, publisher):
    bridge = make_bridge()
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.start()
    notification = decode.load_file(str(samples.path(
        'nova-legacy/compute.instance.create.end.ceilometer-tests.json')))
    total = 600
    for _ in range(total):
        publisher.publish('nova', 'notifications', 'info',
                          notification.publisher_id,
                          notification.event_type, notification.payload)
    bridge.wait_for_log('Batch from')
    assert bridge.stop() == 0
    assert 'Signal 15: shutting down' in bridge.log_text()
    after_stop = len(bridge.executions())
    assert 0 < after_stop <= total
    # What the first process had not acked is still queued: a restart
    # picks it up, and nothing is journaled twice.
    bridge.start()
    found = bridge.wait_for_executions(total, timeout=60)
    assert len(found) == total
    assert len({e['message_id'] for e in found}) == total


def test_sighup_reloads_and_keeps_old_set_when_broken(make_bridge,
                                                      publisher):
    bridge = make_bridge()
    bridge.start()
    _publish_sample(publisher, 'aodh/alarm.update.threshold-alarm.json',
                    'aodh', 'alarming')
    bridge.wait_for_log('Batch from')
    assert bridge.executions() == []

    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.signal(signal.SIGHUP)
    bridge.wait_for_log('Loaded 3 subscriptions')
    _publish_sample(publisher, 'aodh/alarm.update.threshold-alarm.json',
                    'aodh', 'alarming')
    assert len(bridge.wait_for_executions(1)) == 1

    bridge.subscribe('20-broken.yaml', 'subscriptions:\n  - name: [\n')
    bridge.signal(signal.SIGHUP)
    bridge.wait_for_log('Subscription reload failed')
    assert '20-broken.yaml:' in bridge.log_text()
    _publish_sample(publisher, 'aodh/alarm.update.threshold-alarm.json',
                    'aodh', 'alarming')
    assert len(bridge.wait_for_executions(2)) == 2
    assert bridge.stop() == 0


def test_bad_notifications_are_parked_and_the_daemon_goes_on(make_bridge,
                                                              publisher):
    bridge = make_bridge()
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.start()
    # Not JSON at all: oslo.messaging itself cannot read it.
    rabbit.publish_raw('swift', 'notifications.info', b'{not json',
                       content_type='application/octet-stream')
    # Readable, but not a CADF event: normalization fails, it is parked.
    publisher.publish('swift', 'notifications', 'info',
                      'ceilometermiddleware', 'objectstore.http.request',
                      'this is not a payload')
    # A priority oslo does not know (oslo's own dispatcher drops it).
    rabbit.publish_raw('swift', 'notifications.info', json.dumps({
        'oslo.version': '2.0', 'oslo.message': json.dumps({
            'message_id': 'm-bogus-priority', 'publisher_id': 'swift',
            'event_type': 'objectstore.http.request', 'priority': 'BOGUS',
            'payload': {}, 'timestamp': '2026-11-28 03:02:20.653504'})
    }).encode())
    _publish_sample(publisher, 'nova-versioned/instance-create-end.json',
                    'nova', 'versioned_notifications')
    assert len(bridge.wait_for_executions(1)) == 1
    journal = _journal(bridge)
    try:
        rejected = journal.list_rejected()
    finally:
        journal.stop()
    bogus = [r for r in rejected if r.message_id == 'm-bogus-priority']
    assert len(bogus) == 1 and 'priority' in bogus[0].reason
    rejected = [r for r in rejected if r not in bogus]
    assert [r.event_type for r in rejected] == ['objectstore.http.request']
    assert rejected[0].exchange == 'swift'
    assert rejected[0].reason
    assert f'Parking notification {rejected[0].message_id}' in (
        bridge.log_text())
    assert bridge.process.poll() is None
    assert bridge.stop() == 0


def test_sighup_with_a_broken_config_file_keeps_running(make_bridge,
                                                        publisher):
    bridge = make_bridge()
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.start()
    good = bridge.conf.read_text()
    bridge.conf.write_text(good + '\n[broken\n')
    bridge.signal(signal.SIGHUP)
    bridge.wait_for_log('Configuration reload failed')
    bridge.conf.write_text(good)  # for the CLI below
    _publish_sample(publisher, 'aodh/alarm.update.threshold-alarm.json',
                    'aodh', 'alarming')
    assert len(bridge.wait_for_executions(1)) == 1
    assert bridge.stop() == 0
