import pytest

from pratai_bridge.events import decode
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.nova_versioned import NovaVersionedNormalizer
from pratai_bridge.events.nova_versioned import unwrap
from tests.unit.events import fixtures

NORMALIZER = NovaVersionedNormalizer()


def _payload(name, data):
    return {'nova_object.name': name, 'nova_object.namespace': 'nova',
            'nova_object.version': '1.0', 'nova_object.data': data}


def _normalize(payload, event_type='instance.update'):
    doc = dict(fixtures.NOVA_VERSIONED, payload=payload,
               event_type=event_type)
    return NORMALIZER.normalize(decode.from_document(doc))


def test_instance_update():
    event = NORMALIZER.normalize(
        decode.from_document(fixtures.NOVA_VERSIONED))
    assert event.source == 'nova'
    assert event.project_id == fixtures.PROJECT
    assert event.user_id == 'fake'
    assert event.resource_id == fixtures.INSTANCE
    assert dict(event.details) == {
        'object_name': 'InstanceUpdatePayload', 'object_version': '1.10',
        'state': 'active', 'host': 'compute', 'node': 'fake-mini',
        'display_name': 'some-server', 'old_state': 'building'}
    # the original payload, wrapped as sent
    assert event.payload is not None
    assert event.payload == fixtures.NOVA_VERSIONED['payload']


@pytest.mark.parametrize('name, data, ids', [
    ('AggregatePayload',
     {'uuid': 'agg-uuid', 'id': 1, 'name': 'agg', 'hosts': []},
     (None, None, 'agg-uuid')),
    ('AggregatePayload', {'id': 7, 'name': 'agg'}, (None, None, '7')),
    ('FlavorPayload', {'flavorid': 'f-1', 'name': 'm1.tiny'},
     (None, None, 'f-1')),
    ('KeypairPayload', {'user_id': 'u', 'name': 'my-key'},
     (None, 'u', 'my-key')),
    ('ServiceStatusPayload', {'uuid': 's-1', 'host': 'h'},
     (None, None, 's-1')),
    ('VolumeUsagePayload',
     {'volume_id': 'v-1', 'instance_uuid': 'i-1', 'project_id': 'p',
      'user_id': 'u'}, ('p', 'u', 'v-1')),
    ('ServerGroupPayload', {'uuid': 'g-1', 'project_id': 'p'},
     ('p', None, 'g-1')),
    ('ComputeTaskPayload',
     {'instance_uuid': 'i-1', 'state': 'error',
      'request_spec': _payload('RequestSpecPayload',
                               {'project_id': 'p', 'user_id': 'u'})},
     ('p', 'u', 'i-1')),
    ('MetricsPayload', {'host': 'h', 'nodename': 'n'}, (None, None, 'n')),
    ('ExceptionPayload', {'exception': 'Boom'}, (None, None, None)),
])
def test_objects(name, data, ids):
    event = _normalize(_payload(name, data))
    assert (event.project_id, event.user_id, event.resource_id) == ids
    assert event.details['object_name'] == name


def test_exceptions_are_in_details():
    fault = _payload('ExceptionPayload', {
        'exception': 'FlavorDiskTooSmall', 'exception_message': 'small',
        'traceback': '...'})
    event = _normalize(_payload('InstanceCreatePayload', {
        'uuid': 'i', 'tenant_id': 'p', 'state': 'error', 'fault': fault}))
    assert event.details['exception'] == 'FlavorDiskTooSmall'
    assert event.details['exception_message'] == 'small'
    assert 'traceback' not in event.details
    event = _normalize(_payload('LibvirtErrorPayload',
                                {'ip': '10.0.0.1', 'reason': fault}))
    assert event.details['exception'] == 'FlavorDiskTooSmall'
    event = _normalize(_payload('ExceptionPayload',
                                {'exception': 'AggregateNameExists'}))
    assert event.details['exception'] == 'AggregateNameExists'


def test_accepts_only_versioned_payloads():
    assert NORMALIZER.accepts(decode.from_document(fixtures.NOVA_VERSIONED))
    assert not NORMALIZER.accepts(decode.from_document(fixtures.NOVA_LEGACY))


def test_unwrap():
    assert unwrap(_payload('X', {'a': 1})) == {'a': 1}
    assert unwrap({'nova_object.data': 'x'}) is None
    assert unwrap(None) is None


@pytest.mark.parametrize('payload, reason', [
    ({'nova_object.data': None}, r'payload\["nova_object.data"\] must be'),
    ({'nova_object.data': [1]}, r'payload\["nova_object.data"\] must be'),
    (_payload('X', {'uuid': {'a': 1}}), 'nova_object.data.uuid must be'),
    (_payload('X', {'tenant_id': 5.5}), 'nova_object.data.tenant_id must'),
    (dict(_payload('X', {}), **{'nova_object.name': 3}),
     r'payload\["nova_object.name"\] must be a string'),
])
def test_malformed(payload, reason):
    with pytest.raises(NormalizationError, match=reason):
        _normalize(payload)
