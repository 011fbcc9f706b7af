from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.ingress import aodh
from tests.unit import samples

BODY = samples.load_json('aodh/http-webhook.threshold-alarm.body.json')


def test_the_webhook_normalizes_as_alarm_update():
    notification = aodh.notification(BODY, 'req-1', {})
    event = Normalizers().normalize(notification)
    assert (event.source, event.event_type, event.priority) == (
        'aodh', 'alarm.update', 'sample')
    assert event.details['state'] == 'alarm'
    assert event.details['previous'] == 'ok'
    assert event.resource_id == BODY['alarm_id']
    assert event.project_id is None
    assert event.payload == BODY


def test_the_message_id_follows_the_request_id():
    first = aodh.notification(BODY, 'req-1', {}).message_id
    assert aodh.notification(BODY, 'req-1', {}).message_id == first
    assert aodh.notification(BODY, 'req-2', {}).message_id != first
    other_alarm = dict(BODY, alarm_id='another')
    assert aodh.notification(other_alarm, 'req-1', {}).message_id != first
    assert (aodh.notification(BODY, None, {}).message_id
            != aodh.notification(BODY, None, {}).message_id)


def test_a_checked_identity_becomes_the_events():
    notification = aodh.notification(
        BODY, 'req-1', {'project_id': 'p1', 'user_id': 'u1',
                        'trust_id': None})
    assert notification.ctxt == {'project_id': 'p1', 'user_id': 'u1',
                                 'request_id': 'req-1'}
    event = Normalizers().normalize(notification)
    assert (event.project_id, event.user_id) == ('p1', 'u1')
