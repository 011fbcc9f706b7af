import pytest

from pratai_bridge.events import decode
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.nova_legacy import NovaLegacyNormalizer
from tests.unit.events import fixtures

NORMALIZER = NovaLegacyNormalizer()


def _normalize(doc):
    return NORMALIZER.normalize(decode.from_document(doc))


def test_instance_notification():
    event = _normalize(fixtures.NOVA_LEGACY)
    assert event.source == 'nova'
    assert event.exchange == 'nova'
    assert event.project_id == fixtures.PROJECT
    assert event.user_id == fixtures.USER
    assert event.resource_id == fixtures.INSTANCE
    assert event.timestamp == '2012-05-08T20:23:48.028195Z'
    assert event.message_id == fixtures.NOVA_LEGACY['message_id']
    # '' is "no value" in legacy payloads: state_description is left out
    assert dict(event.details) == {
        'state': 'active', 'host': 'compute-1', 'display_name': 'vm1',
        'instance_type': 'm1.tiny'}
    assert event.payload == fixtures.NOVA_LEGACY['payload']


def test_ids_fall_back_to_the_context():
    doc = fixtures.fresh(fixtures.NOVA_LEGACY)
    del doc['payload']['tenant_id']
    doc['payload']['user_id'] = None
    event = _normalize(doc)
    assert (event.project_id, event.user_id) == ('ctxt-project',
                                                 'ctxt-user')


def test_old_context_keys():
    doc = fixtures.fresh(fixtures.NOVA_LEGACY)
    doc['payload'] = {'instance_id': 'i'}
    for key in ('_context_project_id', '_context_user_id'):
        del doc[key]
    doc['_context_tenant'] = 'old-project'
    doc['_context_user'] = 'old-user'
    event = _normalize(doc)
    assert (event.project_id, event.user_id) == ('old-project', 'old-user')


def test_odd_context_values_are_ignored():
    doc = fixtures.fresh(fixtures.NOVA_LEGACY)
    doc['payload'] = {}
    doc['_context_project_id'] = ['x']
    event = _normalize(doc)
    assert (event.project_id, event.resource_id) == (None, None)


def test_update_details():
    doc = fixtures.fresh(fixtures.NOVA_LEGACY)
    doc['event_type'] = 'compute.instance.update'
    doc['payload'].update(old_state='building', new_task_state='spawning',
                          old_task_state=None)
    details = _normalize(doc).details
    assert details['old_state'] == 'building'
    assert details['new_task_state'] == 'spawning'
    assert 'old_task_state' not in details


def test_accepts_everything_but_versioned_payloads():
    assert NORMALIZER.accepts(decode.from_document(fixtures.NOVA_LEGACY))
    assert not NORMALIZER.accepts(
        decode.from_document(fixtures.NOVA_VERSIONED))
    # so that a broken payload is reported, not passed on as generic
    doc = dict(fixtures.NOVA_LEGACY, payload=[1, 2])
    assert NORMALIZER.accepts(decode.from_document(doc))


@pytest.mark.parametrize('payload, reason', [
    ([1, 2], 'payload must be a JSON object, not a list'),
    ('text', 'payload must be a JSON object, not a string'),
    (None, 'payload must be a JSON object, not null'),
    ({'tenant_id': {'a': 1}}, 'payload.tenant_id must be a string'),
    ({'user_id': ['u']}, 'payload.user_id must be a string'),
    ({'instance_id': 1.5}, 'payload.instance_id must be a string'),
])
def test_malformed(payload, reason):
    with pytest.raises(NormalizationError, match=reason):
        _normalize(dict(fixtures.NOVA_LEGACY, payload=payload))
