import pytest

from pratai_bridge.events import decode
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.swift import SwiftNormalizer
from tests.unit.events import fixtures

NORMALIZER = SwiftNormalizer()
PATH = f'v1/AUTH_{fixtures.PROJECT}/backups/a/b.tgz'


def _normalize(doc):
    return NORMALIZER.normalize(decode.from_document(doc))


def test_put():
    event = _normalize(fixtures.SWIFT)
    assert event.source == 'swift'
    assert event.exchange == 'swift'
    assert event.project_id == fixtures.PROJECT
    assert event.user_id == fixtures.USER
    assert event.resource_id == PATH
    assert event.timestamp == '2026-11-28T03:02:28.177383Z'
    assert dict(event.details) == {
        'path': PATH, 'container': 'backups', 'object': 'a/b.tgz',
        'method': 'PUT', 'action': 'update', 'outcome': 'success',
        'bytes_in': 4096, 'bytes_out': None}
    assert event.payload == fixtures.SWIFT['payload']


def test_account_prefix_is_stripped_and_initiator_is_the_fallback():
    doc = fixtures.fresh(fixtures.SWIFT)
    doc['payload']['target']['id'] = 'AUTH_abc'
    assert _normalize(doc).project_id == 'abc'
    del doc['payload']['target']['id']
    assert _normalize(doc).project_id == fixtures.PROJECT


def test_timestamp_falls_back_to_event_time():
    doc = fixtures.fresh(fixtures.SWIFT)
    del doc['timestamp']
    assert _normalize(doc).timestamp == '2026-11-28T03:02:28.176797Z'


def test_minimal_payload():
    doc = dict(fixtures.SWIFT, payload={'target': {}})
    event = _normalize(doc)
    assert (event.project_id, event.user_id, event.resource_id) == (
        None, None, None)
    assert set(event.details) == {
        'path', 'container', 'object', 'method', 'action', 'outcome',
        'bytes_in', 'bytes_out'}
    assert set(event.details.values()) == {None}


def test_unknown_measurements_are_ignored():
    doc = fixtures.fresh(fixtures.SWIFT)
    doc['payload']['measurements'] = [
        {'metric': 'odd', 'result': 1},
        {'metric': {'name': 'storage.objects.outgoing.bytes'},
         'result': 28}]
    assert _normalize(doc).details['bytes_out'] == 28


@pytest.mark.parametrize('change, reason', [
    ({'payload': []}, 'payload must be a JSON object'),
    ({'payload': {}}, 'payload.target must be a JSON object, not null'),
    ({'payload': {'target': 'x'}}, 'payload.target must be a JSON object'),
    ({'payload': {'target': {'metadata': [1]}}},
     'payload.target.metadata must be'),
    ({'payload': {'target': {'action': 5}}}, 'payload.target.action'),
    ({'payload': {'target': {'id': {}}}}, 'payload.target.id must be'),
    ({'payload': {'target': {}, 'initiator': 'me'}}, 'payload.initiator'),
    ({'payload': {'target': {}, 'initiator': {'id': []}}},
     'payload.initiator.id must be'),
    ({'payload': {'target': {'metadata': {'path': 1.0}}}},
     'payload.target.metadata.path'),
    ({'payload': {'target': {}, 'measurements': {}}},
     'payload.measurements must be a list'),
    ({'payload': {'target': {}, 'measurements': [1]}},
     'non-object item'),
])
def test_malformed(change, reason):
    with pytest.raises(NormalizationError, match=reason):
        _normalize(dict(fixtures.SWIFT, **change))
