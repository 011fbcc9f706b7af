import json

import pytest

from pratai_bridge.events import decode
from pratai_bridge.events.aodh import AodhNormalizer
from pratai_bridge.events.base import NormalizationError
from tests.unit.events import fixtures

NORMALIZER = AodhNormalizer()


def _normalize(doc):
    return NORMALIZER.normalize(decode.from_document(doc))


def test_evaluator_transition_detail_string_is_parsed():
    event = _normalize(fixtures.AODH_TRANSITION)
    assert event.source == 'aodh'
    assert event.project_id == fixtures.PROJECT
    assert event.user_id == fixtures.USER
    assert event.resource_id == fixtures.ALARM
    assert dict(event.details) == {
        'type': 'state transition', 'severity': 'low', 'state': 'alarm',
        'detail': {'state': 'alarm', 'transition_reason': 'too hot'}}
    # the payload keeps the string as sent
    assert event.payload['detail'] == fixtures.AODH_TRANSITION[
        'payload']['detail']
    assert isinstance(event.payload['detail'], str)


def test_api_detail_dict():
    doc = fixtures.fresh(fixtures.AODH_TRANSITION)
    doc['payload']['detail'] = {'state': 'ok', 'previous': 'alarm'}
    doc['publisher_id'] = 'aodh.api'
    event = _normalize(doc)
    assert event.details['detail'] == {'state': 'ok', 'previous': 'alarm'}
    assert (event.details['state'], event.details['previous']) == (
        'ok', 'alarm')
    # details holds a copy: changing it leaves the payload alone
    event.details['detail']['state'] = 'x'
    assert event.payload['detail']['state'] == 'ok'


def test_rule_change_without_state():
    doc = fixtures.fresh(fixtures.AODH_TRANSITION)
    doc['event_type'] = 'alarm.rule_change'
    doc['payload'].update(type='rule change', severity=None,
                          detail={'description': 'new'})
    details = _normalize(doc).details
    assert 'state' not in details
    assert details['severity'] is None


def test_detail_may_be_absent():
    doc = fixtures.fresh(fixtures.AODH_TRANSITION)
    del doc['payload']['detail']
    assert _normalize(doc).details['detail'] == {}


def test_timestamp_falls_back_to_payload():
    doc = fixtures.fresh(fixtures.AODH_TRANSITION)
    del doc['timestamp']
    assert _normalize(doc).timestamp == '2026-11-28T03:02:27.505318Z'


def test_alarm_update():
    event = _normalize(fixtures.AODH_UPDATE)
    assert event.priority == 'sample'
    assert (event.project_id, event.user_id) == (None, None)
    assert event.resource_id == fixtures.ALARM
    assert dict(event.details) == {
        'alarm_name': 'cpu_hi', 'previous': 'ok', 'current': 'alarm',
        'state': 'alarm', 'severity': 'low', 'reason': 'too hot',
        'reason_data': {'type': 'threshold', 'count': 3}}


@pytest.mark.parametrize('doc, change, reason', [
    (fixtures.AODH_TRANSITION, {'detail': '{"state": '},
     'payload.detail is not valid JSON'),
    (fixtures.AODH_TRANSITION, {'detail': json.dumps(['a'])},
     r'payload.detail \(parsed\) must be a JSON object, not a list'),
    (fixtures.AODH_TRANSITION, {'detail': 12},
     'payload.detail must be a JSON object'),
    (fixtures.AODH_TRANSITION, {'project_id': ['p']},
     'payload.project_id must be a string'),
    (fixtures.AODH_TRANSITION, {'alarm_id': {}},
     'payload.alarm_id must be a string'),
    (fixtures.AODH_UPDATE, {'alarm_id': 1.0},
     'payload.alarm_id must be a string'),
    (fixtures.AODH_TRANSITION, {'detail': '[' * 100000},
     'payload.detail is not valid JSON'),
])
def test_malformed(doc, change, reason):
    doc = fixtures.fresh(doc)
    doc['payload'].update(change)
    with pytest.raises(NormalizationError, match=reason):
        _normalize(doc)


@pytest.mark.parametrize('doc', [fixtures.AODH_TRANSITION,
                                 fixtures.AODH_UPDATE])
def test_payload_not_an_object(doc):
    with pytest.raises(NormalizationError, match='payload must be'):
        _normalize(dict(doc, payload='alarm!'))
