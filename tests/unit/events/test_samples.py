"""Every sample notification (tests/fixtures), decoded and normalized."""

import copy
import json
import re

import pytest

from pratai_bridge.events import decode
from pratai_bridge.events.normalize import Normalizers
from tests.unit import samples

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{4}-[0-9a-f]{12}$')
# folder (or wire file prefix) -> (source, normalizer plugin)
EXPECTED = {
    'nova-versioned': ('nova', 'NovaVersionedNormalizer'),
    'nova-legacy': ('nova', 'NovaLegacyNormalizer'),
    'swift-ceilometermiddleware': ('swift', 'SwiftNormalizer'),
    'aodh': ('aodh', 'AodhNormalizer'),
    'wire/nova.': ('nova', 'NovaVersionedNormalizer'),
    'wire/swift.': ('swift', 'SwiftNormalizer'),
    'wire/aodh.': ('aodh', 'AodhNormalizer'),
}
PROJECT = '6f70656e737461636b20342065766572'
SWIFT_PROJECT = '8f0c0f4f5bd64ad2b4a5f3f6dbe6f0b2'
SWIFT_USER = '3d0c8a7c8bcf4e63a1f4d7e2d0d3f2a1'
SWIFT_PATH = f'v1/AUTH_{SWIFT_PROJECT}/backups/2024/db-dump.tar.gz'


@pytest.fixture(scope='module')
def normalizers():
    return Normalizers()


def _expected(rel):
    for prefix, expected in EXPECTED.items():
        if rel.startswith(prefix):
            return expected
    raise AssertionError(f'no expectation for {rel}')


def _event(normalizers, rel):
    return normalizers.normalize(decode.load_file(samples.path(rel)))


def test_the_samples_are_all_here():
    counts = {folder: len(samples.notification_files(folder))
              for folder in ('nova-versioned', 'nova-legacy', 'aodh',
                             'swift-ceilometermiddleware', 'wire')}
    assert counts == {'nova-versioned': 140, 'nova-legacy': 14, 'aodh': 10,
                      'swift-ceilometermiddleware': 5, 'wire': 4}


@pytest.mark.parametrize('rel', samples.notification_files())
def test_every_sample(normalizers, rel):
    notification = decode.load_file(samples.path(rel))
    before = copy.deepcopy(notification.payload)
    normalizer = normalizers.select(notification)
    event = normalizers.normalize(notification)
    source, plugin = _expected(rel)
    assert type(normalizer).__name__ == plugin
    assert (event.source, event.exchange) == (source, source)
    assert event.event_type == notification.event_type
    assert event.priority in ('info', 'error', 'sample')
    assert TIMESTAMP.match(event.timestamp)
    assert event.message_id
    # the original payload, untouched
    assert event.payload is notification.payload
    assert event.payload == before
    json.dumps(event.as_document())
    if samples.is_templated(rel):
        return  # placeholders: the shape only
    for value in (event.project_id, event.user_id, event.resource_id):
        assert value is None or (isinstance(value, str) and value)
    if rel.startswith('nova-versioned/instance-'):
        assert event.project_id == PROJECT
        assert event.user_id == 'fake'
        assert UUID.match(event.resource_id)
        assert event.details['object_name'].startswith('Instance')
        assert 'state' in event.details
    if source == 'swift':
        assert event.details['method'] in ('GET', 'PUT', 'DELETE', 'HEAD')
        assert event.resource_id == event.details['path']
    if source == 'aodh':
        assert UUID.match(event.resource_id)
        assert event.details.get('state') in (
            'ok', 'alarm', 'insufficient data', None)


@pytest.mark.parametrize('rel', samples.notification_files('nova-legacy'))
def test_nova_legacy_ids(normalizers, rel):
    event = _event(normalizers, rel)
    payload = event.payload
    assert event.resource_id == payload['instance_id']
    assert event.project_id == payload.get('tenant_id',
                                           event.project_id)
    assert event.details.get('state') == (payload.get('state') or None)


def test_sender_timestamps_and_ids(normalizers):
    event = _event(normalizers, 'nova-legacy/'
                   'compute.instance.create.end.watcher-tests.json')
    assert event.message_id == '577bfd11-88e0-4044-b8ae-496e3257efe2'
    assert event.timestamp == '2016-08-19T10:20:59.279903Z'
    event = _event(normalizers, 'swift-ceilometermiddleware/'
                   'objectstore.http.request.GET.ceilometer-tests.json')
    assert event.timestamp == '2013-07-29T06:51:34.474815Z'


def test_nova_samples_without_id_get_stable_ones(normalizers):
    rel = 'nova-versioned/instance-power_off-end.json'
    first, again = _event(normalizers, rel), _event(normalizers, rel)
    assert UUID.match(first.message_id)
    assert first.message_id == again.message_id
    other = _event(normalizers, 'nova-versioned/instance-power_on-end.json')
    assert other.message_id != first.message_id


@pytest.mark.parametrize('rel, project, user, resource, details', [
    ('nova-legacy/compute.instance.create.end.ceilometer-tests.json',
     '7c150a59fe714e6f9263774af9688f0e', '1e3ce043029547f1a61c1996d1a531a2',
     '9f9d01b9-4a58-4271-9e27-398b21ab20d1',
     {'state': 'active', 'host': 'compute-host-name',
      'display_name': 'testme', 'instance_type': 'm1.tiny'}),
    ('nova-legacy/compute.instance.update.watcher-tests.json',
     'a4b4772d93c74d5e8b7c68cdd2a014e1', 'ce64facc93354bbfa90f4f9f9a3e1e75',
     '73b09e16-35b7-4922-804e-e8f5d9b740fc',
     {'state': 'paused', 'old_state': 'paused', 'host': 'Node_0',
      'node': 'hostname_0'}),
    ('nova-legacy/scheduler.run_instance.scheduled.ceilometer-tests.json',
     '2bd766a095b44486bf07cf7f666997eb', '0a757cd896b64b65ba3784afef564116',
     'fake-uuid1-1', {}),
    ('nova-versioned/instance-power_off-end.json',
     PROJECT, 'fake', '178b0921-8f85-4257-88b6-2e743b5a975c',
     {'object_name': 'InstanceActionPayload', 'object_version': '1.9',
      'state': 'stopped', 'power_state': 'shutdown', 'host': 'compute',
      'node': 'fake-mini'}),
    ('nova-versioned/instance-update.json',
     PROJECT, 'fake', '178b0921-8f85-4257-88b6-2e743b5a975c',
     {'object_name': 'InstanceUpdatePayload', 'state': 'active',
      'task_state': 'scheduling', 'old_state': 'building'}),
    ('nova-versioned/instance-create-error.json',
     PROJECT, 'fake', '178b0921-8f85-4257-88b6-2e743b5a975c',
     {'state': 'building', 'exception': 'FlavorDiskTooSmall'}),
    ('nova-versioned/aggregate-create-end.json', None, None,
     '788608ec-ebdc-45c5-bc7f-e5f24ab92c80',
     {'object_name': 'AggregatePayload'}),
    ('nova-versioned/flavor-update.json', None, None,
     'a22d5517-147c-4147-a0d1-e698df5cd4e3',
     {'object_name': 'FlavorPayload'}),
    ('nova-versioned/keypair-create-end.json', None, 'fake', 'my-key',
     {'object_name': 'KeypairPayload'}),
    ('nova-versioned/service-update.json', None, None,
     'fa69c544-906b-4a6a-a9c6-c1f7a8078c73',
     {'host': 'host1', 'binary': 'nova-compute'}),
    ('nova-versioned/server_group-create.json', PROJECT, 'fake',
     '788608ec-ebdc-45c5-bc7f-e5f24ab92c80', {}),
    ('nova-versioned/volume-usage.json', PROJECT, 'fake',
     'a07f71dc-8151-4e7d-a0cc-cd24a3f11113',
     {'object_name': 'VolumeUsagePayload'}),
    ('nova-versioned/compute_task-build_instances-error.json', PROJECT,
     'fake', 'd5e6a7b7-80e5-4166-85a3-cd6115201082',
     {'state': 'error', 'exception': 'NoValidHost'}),
    ('nova-versioned/scheduler-select_destinations-end.json', PROJECT,
     'fake', 'd5e6a7b7-80e5-4166-85a3-cd6115201082', {}),
    ('nova-versioned/compute-exception.json', None, None, None,
     {'exception': 'AggregateNameExists'}),
    ('nova-versioned/libvirt-connect-error.json', None, None, None,
     {'exception': 'libvirtError'}),
    ('nova-versioned/metrics-update.json', None, None, 'fake-mini',
     {'host': 'compute'}),
    ('swift-ceilometermiddleware/objectstore.http.request.PUT.json',
     SWIFT_PROJECT, SWIFT_USER, SWIFT_PATH,
     {'path': SWIFT_PATH, 'container': 'backups',
      'object': '2024/db-dump.tar.gz', 'method': 'PUT', 'action': 'update',
      'outcome': 'success', 'bytes_in': 4096, 'bytes_out': None}),
    ('swift-ceilometermiddleware/objectstore.http.request.GET.json',
     SWIFT_PROJECT, SWIFT_USER, SWIFT_PATH,
     {'method': 'GET', 'action': 'read', 'bytes_in': None,
      'bytes_out': 4096}),
    ('swift-ceilometermiddleware/objectstore.http.request.DELETE.json',
     SWIFT_PROJECT, SWIFT_USER, SWIFT_PATH,
     {'method': 'DELETE', 'action': 'delete'}),
    ('swift-ceilometermiddleware/'
     'objectstore.http.request.HEAD-container.json',
     SWIFT_PROJECT, SWIFT_USER, f'v1/AUTH_{SWIFT_PROJECT}/backups',
     {'method': 'HEAD', 'action': 'read', 'container': 'backups',
      'object': None}),
    ('swift-ceilometermiddleware/'
     'objectstore.http.request.GET.ceilometer-tests.json',
     'account', 'openstack: 288f6260-bf37-4737-a178-5038c84ba244',
     '/1.0/CUSTOM_account/container/obj',
     {'method': 'GET', 'bytes_in': 1, 'bytes_out': 28}),
    ('aodh/alarm.creation.json', '9ee200732f4c4d10a6530bac746f1b6e',
     '89b4e48bcbdb4816add7800502bd5122',
     '1cdc2d60-3f16-4832-9030-b9de963c523c',
     {'type': 'creation', 'severity': 'low', 'state': 'insufficient data'}),
    ('aodh/alarm.state_transition.evaluator-threshold-alarm.json',
     '0b9e9f5c2a1d4e7f8c6b5a4d3e2f1a0b', '5a5c0c3c4e0b4a6fa9c2d0e5b3f1a7c9',
     'e1bb25ac-ff94-4427-8975-e65aedc9c1b4',
     {'state': 'alarm', 'detail': {
         'state': 'alarm', 'transition_reason': 'Transition to alarm due '
         'to 3 samples outside threshold, most recent: 81.4108514719'}}),
    ('aodh/alarm.state_transition.api-manual-set.json',
     '9ee200732f4c4d10a6530bac746f1b6e', '89b4e48bcbdb4816add7800502bd5122',
     '1cdc2d60-3f16-4832-9030-b9de963c523c',
     {'state': 'ok', 'detail': {'state': 'ok',
                                'state_reason': 'Manually set via API'}}),
    ('aodh/alarm.deletion.json', '9ee200732f4c4d10a6530bac746f1b6e',
     '89b4e48bcbdb4816add7800502bd5122',
     '1cdc2d60-3f16-4832-9030-b9de963c523c',
     {'type': 'deletion', 'state': 'ok'}),
    ('aodh/alarm.update.threshold-ok.json', None, None,
     'e1bb25ac-ff94-4427-8975-e65aedc9c1b4',
     {'alarm_name': 'cpu_hi', 'previous': 'insufficient data',
      'current': 'ok', 'state': 'ok', 'severity': 'low',
      'reason': 'Transition to ok due to 3 samples inside threshold, '
                'most recent: 67.952938019089',
      'reason_data': {'count': 3, 'disposition': 'inside',
                      'most_recent': 67.952938019089, 'type': 'threshold'}}),
    ('aodh/alarm.update.event-alarm.json', None, None,
     '1cdc2d60-3f16-4832-9030-b9de963c523c',
     {'alarm_name': 'instance_off', 'current': 'alarm'}),
])
def test_spot_checks(normalizers, rel, project, user, resource, details):
    event = _event(normalizers, rel)
    assert (event.project_id, event.user_id, event.resource_id) == (
        project, user, resource)
    for key, value in details.items():
        assert event.details[key] == value, key


def test_aodh_evaluator_detail_stays_a_string_in_the_payload(normalizers):
    event = _event(normalizers, 'aodh/'
                   'alarm.state_transition.evaluator-event-alarm.json')
    assert isinstance(event.payload['detail'], str)
    assert json.loads(event.payload['detail']) == event.details['detail']
    assert event.details['state'] == 'alarm'


def test_templated_samples_have_the_legacy_shape(normalizers):
    templated = [rel for rel in samples.notification_files('nova-legacy')
                 if samples.is_templated(rel)]
    assert len(templated) == 2
    for rel in templated:
        event = _event(normalizers, rel)
        assert event.resource_id == '[[[[UUID_1]]]]'
        assert event.project_id == '[[[[tenant_id]]]]'
        assert event.details['state'] in ('active', 'stopped')


def test_wire_bodies_normalize_like_their_files(normalizers):
    pairs = {
        'wire/swift.objectstore.http.request.PUT.amqp-body.json':
            'swift-ceilometermiddleware/objectstore.http.request.PUT.json',
        'wire/aodh.alarm.update.threshold-alarm.amqp-body.json':
            'aodh/alarm.update.threshold-alarm.json',
        'wire/nova.versioned.instance.power_off.end.amqp-body.json':
            'wire/nova.versioned.instance.power_off.end.decoded.json',
    }
    for wire, file in pairs.items():
        assert _event(normalizers, wire) == _event(normalizers, file)
