import json
import pathlib

import pytest

from pratai_bridge.events import decode
from tests.unit import samples
from tests.unit.events import fixtures


class TestFromDocument:

    def test_sample_form(self):
        n = decode.from_document(fixtures.NOVA_VERSIONED)
        assert n.exchange == 'nova'
        assert n.priority == 'info'
        assert n.publisher_id == 'nova-compute:compute'
        assert n.event_type == 'instance.update'
        assert n.payload == fixtures.NOVA_VERSIONED['payload']
        assert dict(n.metadata) == {}
        assert dict(n.ctxt) == {}

    def test_decoded_oslo_message_form(self):
        n = decode.from_document(fixtures.NOVA_LEGACY)
        assert dict(n.ctxt) == {'project_id': 'ctxt-project',
                                'user_id': 'ctxt-user',
                                'request_id': 'req-1'}
        assert dict(n.metadata) == {
            'message_id': 'dae6f69c-00e0-41c0-b371-41ec3b7f4451',
            'timestamp': '2012-05-08 20:23:48.028195'}
        assert n.message_id == 'dae6f69c-00e0-41c0-b371-41ec3b7f4451'
        # _unique_id is oslo's duplicate detection, not ours to keep
        assert '_unique_id' not in n.ctxt
        assert '_unique_id' not in n.metadata

    def test_listener_form(self):
        doc = fixtures.listener_form(fixtures.NOVA_LEGACY)
        n = decode.from_document(doc)
        assert n == decode.from_document(fixtures.NOVA_LEGACY)

    def test_listener_form_drops_extra_metadata(self):
        doc = fixtures.listener_form(fixtures.SWIFT)
        doc['metadata']['_unique_id'] = 'abc'
        assert set(decode.from_document(doc).metadata) == {
            'message_id', 'timestamp'}

    def test_wire_body(self):
        body = fixtures.wire_body(fixtures.SWIFT)
        assert decode.from_document(body) == decode.from_document(
            fixtures.SWIFT)

    def test_bare_v1_dict_is_form_b(self):
        n = decode.from_document(fixtures.AODH_UPDATE)
        assert (n.exchange, n.priority) == ('aodh', 'sample')

    def test_sample_form_with_metadata_and_no_priority(self):
        doc = fixtures.fresh(fixtures.NOVA_VERSIONED)
        del doc['priority']
        doc['metadata'] = {'message_id': 'm-1',
                           'timestamp': '2016-08-19 10:20:59.279903'}
        n = decode.from_document(doc)
        assert n.priority == 'info'
        assert n.message_id == 'm-1'
        assert n.metadata['timestamp'] == '2016-08-19 10:20:59.279903'

    def test_metadata_wins_over_top_level(self):
        doc = fixtures.fresh(fixtures.SWIFT)
        doc['metadata'] = {'message_id': 'from-metadata'}
        n = decode.from_document(doc)
        assert n.message_id == 'from-metadata'
        assert n.metadata['timestamp'] == fixtures.SWIFT['timestamp']

    def test_given_exchange_is_kept(self):
        n = decode.from_document(fixtures.SWIFT, exchange='openstack')
        assert n.exchange == 'openstack'

    def test_unknown_exchange_is_none(self):
        doc = {'event_type': 'image.update', 'publisher_id': 'image.host',
               'payload': {}}
        assert decode.from_document(doc).exchange is None

    def test_null_payload_is_a_payload(self):
        doc = {'event_type': 'x.y', 'payload': None}
        assert decode.from_document(doc).payload is None

    def test_empty_message_id_is_absent(self):
        doc = fixtures.fresh(fixtures.SWIFT)
        doc['message_id'] = ''
        assert decode.from_document(doc).message_id is None

    @pytest.mark.parametrize('doc, reason', [
        ([], 'must be a JSON object'),
        ('{}', 'must be a JSON object'),
        (None, 'must be a JSON object'),
        ({'payload': {}}, 'no event_type'),
        ({'event_type': '', 'payload': {}}, 'no event_type'),
        ({'event_type': 3, 'payload': {}}, 'no event_type'),
        ({'event_type': 'a.b'}, 'no payload'),
        ({'event_type': 'a.b', 'payload': {}, 'priority': 4}, 'priority'),
        ({'event_type': 'a.b', 'payload': {}, 'priority': ''}, 'priority'),
        ({'event_type': 'a.b', 'payload': {}, 'priority': ' '}, 'priority'),
        ({'event_type': 'a.b', 'payload': {}, 'publisher_id': 1},
         'publisher_id'),
        ({'event_type': 'a.b', 'payload': {}, 'message_id': 5},
         'message_id'),
        ({'event_type': 'a.b', 'payload': {}, 'ctxt': []}, 'ctxt'),
        ({'event_type': 'a.b', 'payload': {}, 'metadata': 'x'}, 'metadata'),
        ({'oslo.version': '2.0', 'oslo.message': '{"event_type": '},
         'oslo.message is not valid JSON'),
        ({'oslo.version': '2.0', 'oslo.message': {'event_type': 'a'}},
         'must be a JSON string'),
        ({'oslo.version': '2.0', 'oslo.message': '[1]'},
         'must hold a JSON object'),
        ({'oslo.version': '2.0'}, 'must be a JSON string'),
        ({'oslo.version': '3.0', 'oslo.message': '{}'},
         'unsupported oslo.version'),
        ({'oslo.version': 2, 'oslo.message': '{}'},
         'unsupported oslo.version'),
        ({'oslo.message': '{}'}, 'unsupported oslo.version'),
        ({'oslo.version': '2.0', 'oslo.message': '{}'}, 'no event_type'),
    ])
    def test_unusable(self, doc, reason):
        with pytest.raises(decode.DecodeError, match=reason):
            decode.from_document(doc)

    def test_decode_error_is_a_value_error(self):
        assert issubclass(decode.DecodeError, ValueError)


class TestFromListener:

    def test_message(self):
        message = fixtures.listener_form(fixtures.AODH_UPDATE)
        n = decode.from_listener('aodh', 'SAMPLE', message)
        assert n.exchange == 'aodh'
        assert n.priority == 'sample'
        assert n.message_id == fixtures.AODH_UPDATE['message_id']
        assert n.metadata['timestamp'] == fixtures.AODH_UPDATE['timestamp']
        assert n.payload == fixtures.AODH_UPDATE['payload']

    def test_same_as_from_document(self):
        message = fixtures.listener_form(fixtures.NOVA_LEGACY)
        assert decode.from_listener('nova', 'info', message) == \
            decode.from_document(fixtures.NOVA_LEGACY)

    def test_missing_metadata_and_context(self):
        message = {'publisher_id': None, 'event_type': 'a.b',
                   'payload': [1], 'ctxt': None, 'metadata': None}
        n = decode.from_listener('nova', 'info', message)
        assert (dict(n.ctxt), dict(n.metadata)) == ({}, {})
        assert n.message_id is None

    def test_none_metadata_values_are_absent(self):
        message = fixtures.listener_form(fixtures.NOVA_VERSIONED)
        assert dict(decode.from_listener('nova', 'info',
                                         message).metadata) == {}

    def test_exchange_none_is_inferred(self):
        message = fixtures.listener_form(fixtures.SWIFT)
        assert decode.from_listener(None, 'info', message).exchange == \
            'swift'

    @pytest.mark.parametrize('message, reason', [
        (['x'], 'must be a dict'),
        ({'event_type': 'a.b'}, 'no payload'),
        ({'payload': {}}, 'no event_type'),
        ({'event_type': 'a.b', 'payload': {}, 'ctxt': 'x'}, 'ctxt'),
        ({'event_type': 'a.b', 'payload': {}, 'metadata': 1}, 'metadata'),
        ({'event_type': 'a.b', 'payload': {},
          'metadata': {'message_id': 7}}, 'message_id'),
    ])
    def test_unusable(self, message, reason):
        with pytest.raises(decode.DecodeError, match=reason):
            decode.from_listener('nova', 'info', message)


@pytest.mark.parametrize('publisher_id, event_type, expected', [
    ('ceilometermiddleware', 'objectstore.http.request', 'swift'),
    (None, 'objectstore.http.request', 'swift'),
    ('aodh.api', 'alarm.creation', 'aodh'),
    ('aodh.evaluator', 'alarm.state_transition', 'aodh'),
    ('alarming.evaluator', 'alarm.update', 'aodh'),
    (None, 'alarm.deletion', 'aodh'),
    ('nova-compute:compute', 'instance.power_off.end', 'nova'),
    ('nova-api:fake-mini', 'keypair.create.end', 'nova'),
    ('compute.vagrant-precise', 'compute.instance.exists', 'nova'),
    ('compute:Node_0', 'compute.instance.update', 'nova'),
    ('scheduler.devstack', 'scheduler.run_instance.scheduled', 'nova'),
    ('[[[[publisher_id]]]]', 'compute.instance.power_off.end', 'nova'),
    (None, 'aggregate.create.end', 'nova'),
    (None, 'volume.usage', 'nova'),
    # the publisher decides before the event type
    ('ceilometermiddleware', 'compute.instance.exists', 'swift'),
    # Neutron uses 'network.<host>', Cinder 'volume.<host>'
    ('network.host1', 'port.create.end', None),
    ('volume.host1', 'volume.create.end', None),
    ('image.localhost', 'image.update', None),
    (None, None, None),
    ('', '', None),
])
def test_infer_exchange(publisher_id, event_type, expected):
    assert decode.infer_exchange(publisher_id, event_type) == expected


def _write(path: pathlib.Path, doc) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


class TestLoadFile:

    def test_plain_file(self, tmp_path):
        path = _write(tmp_path / 'n.json', fixtures.SWIFT)
        assert decode.load_file(str(path)) == decode.from_document(
            fixtures.SWIFT)

    def test_path_object_and_exchange(self, tmp_path):
        path = _write(tmp_path / 'n.json', fixtures.SWIFT)
        assert decode.load_file(path, exchange='other').exchange == 'other'

    def test_refs_resolve_relative_to_their_file(self, tmp_path):
        _write(tmp_path / 'common' / 'Base.json', {
            'nova_object.name': 'Base', 'nova_object.version': '1.0',
            'nova_object.data': {'state': 'active', 'host': 'h1',
                                 'tags': ['a', 'b'], 'fault': {'x': 1},
                                 'items': [{'$ref': 'Item.json#'}]}})
        _write(tmp_path / 'common' / 'Item.json', {'kind': 'item'})
        _write(tmp_path / 'common' / 'Action.json', {
            '$ref': 'Base.json',
            'nova_object.name': 'Action',
            'nova_object.data': {'fault': None}})
        path = _write(tmp_path / 'sample.json', {
            'event_type': 'instance.x', 'publisher_id': 'nova-compute:h',
            'priority': 'INFO',
            'payload': {
                '$ref': 'common/Action.json#',
                'nova_object.data': {'state': 'stopped', 'tags': ['c'],
                                     'extra': {'$ref': 'common/Item.json'}},
            }})
        payload = decode.load_file(path).payload
        assert payload == {
            'nova_object.name': 'Action', 'nova_object.version': '1.0',
            'nova_object.data': {
                'state': 'stopped', 'host': 'h1', 'tags': ['c'],
                'fault': None, 'items': [{'kind': 'item'}],
                'extra': {'kind': 'item'}}}

    def test_nested_dicts_merge_key_by_key(self, tmp_path):
        _write(tmp_path / 'base.json', {'a': {'b': 1, 'c': {'d': 2}}})
        path = _write(tmp_path / 'n.json', {
            'event_type': 'a.b',
            'payload': {'$ref': 'base.json#', 'a': {'c': {'e': 3}}}})
        assert decode.load_file(path).payload == {
            'a': {'b': 1, 'c': {'d': 2, 'e': 3}}}

    def test_dict_override_replaces_a_non_dict(self, tmp_path):
        _write(tmp_path / 'base.json', {'a': None, 'b': [1]})
        path = _write(tmp_path / 'n.json', {
            'event_type': 'a.b',
            'payload': {'$ref': 'base.json#', 'a': {'x': 1}, 'b': {'y': 2}}})
        assert decode.load_file(path).payload == {'a': {'x': 1},
                                                  'b': {'y': 2}}

    def test_shared_ref_is_not_aliased(self, tmp_path):
        _write(tmp_path / 'item.json', {'v': 1})
        path = _write(tmp_path / 'n.json', {
            'event_type': 'a.b',
            'payload': [{'$ref': 'item.json#', 'v': 2},
                        {'$ref': 'item.json#'}]})
        assert decode.load_file(path).payload == [{'v': 2}, {'v': 1}]

    @pytest.mark.parametrize('files, reason', [
        ({'n.json': '{"event_type": '}, 'n.json: not valid JSON'),
        ({'n.json': {'event_type': 'a.b',
                     'payload': {'$ref': 'gone.json#'}}},
         r"n.json: \$ref 'gone.json#': .*gone.json: cannot read"),
        ({'n.json': {'event_type': 'a.b',
                     'payload': {'$ref': 'x.json#/a/b'}}},
         'JSON pointer'),
        ({'n.json': {'event_type': 'a.b', 'payload': {'$ref': 'a.json'}},
          'a.json': {'$ref': 'b.json'}, 'b.json': {'$ref': 'a.json#'}},
         'refers back'),
        ({'n.json': {'event_type': 'a.b', 'payload': {'$ref': '#'}}},
         'refers back'),
        ({'n.json': {'event_type': 'a.b',
                     'payload': {'$ref': 'l.json', 'k': 1}},
          'l.json': [1, 2]}, 'cannot take overrides'),
        ({'n.json': {'event_type': 'a.b', 'payload': {'$ref': 3}}},
         r'\$ref must be a string'),
        ({'n.json': {'payload': {}}}, 'n.json: no event_type'),
        ({'n.json': '[]'}, 'n.json: a notification must be a JSON object'),
    ])
    def test_errors_name_the_file(self, tmp_path, files, reason):
        for name, doc in files.items():
            _write(tmp_path / name, doc)
        with pytest.raises(decode.DecodeError, match=reason):
            decode.load_file(tmp_path / 'n.json')

    def test_missing_file(self, tmp_path):
        with pytest.raises(decode.DecodeError,
                           match='absent.json: cannot read'):
            decode.load_file(tmp_path / 'absent.json')

    def test_directory(self, tmp_path):
        with pytest.raises(decode.DecodeError, match='cannot read'):
            decode.load_file(tmp_path)

    def test_too_deep(self, tmp_path):
        path = _write(tmp_path / 'n.json',
                      '{"event_type": "a.b", "payload": '
                      + '[' * 100000 + ']' * 100000 + '}')
        with pytest.raises(decode.DecodeError, match='n.json'):
            decode.load_file(path)


class TestSamples:
    """$ref resolution and the wire forms against the shared samples."""

    def test_power_off_overrides(self):
        n = decode.load_file(samples.path(
            'nova-versioned/instance-power_off-end.json'))
        payload = n.payload
        assert payload['nova_object.name'] == 'InstanceActionPayload'
        assert payload['nova_object.version'] == '1.9'
        data = payload['nova_object.data']
        assert data['state'] == 'stopped'
        assert data['power_state'] == 'shutdown'
        assert data['fault'] is None
        # from InstancePayload.json, two refs down, and its own refs
        assert data['uuid'] == '178b0921-8f85-4257-88b6-2e743b5a975c'
        assert data['flavor']['nova_object.name'] == 'FlavorPayload'
        assert data['block_devices'][0]['nova_object.data'][
            'volume_id'] == 'a07f71dc-8151-4e7d-a0cc-cd24a3f11113'

    def test_every_nova_sample_resolves(self):
        files = samples.notification_files('nova-versioned')
        assert len(files) == 140
        for rel in files:
            n = decode.load_file(samples.path(rel))
            assert '$ref' not in json.dumps(n.payload), rel
            assert n.exchange == 'nova', rel

    @pytest.mark.parametrize('name', [
        'nova.versioned.instance.power_off.end',
    ])
    def test_wire_body_matches_decoded(self, name):
        body = decode.load_file(samples.path(f'wire/{name}.amqp-body.json'))
        decoded = decode.load_file(samples.path(f'wire/{name}.decoded.json'))
        assert body == decoded
        assert body.ctxt['auth_token'] is None
        assert body.message_id == 'de097e52-1bc4-4a83-b419-f0c1c5e9a7ba'

    def test_wire_body_matches_form_b(self):
        body = decode.load_file(samples.path(
            'wire/swift.objectstore.http.request.PUT.amqp-body.json'))
        file = decode.load_file(samples.path(
            'swift-ceilometermiddleware/objectstore.http.request.PUT.json'))
        assert body == file
