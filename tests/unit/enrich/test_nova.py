import json
import pathlib

import pytest

from pratai_bridge.enrich import nova
from pratai_bridge.events.model import Event

FIXTURE = (pathlib.Path(__file__).resolve().parents[2] / 'fixtures' / 'nova'
           / 'server-get-resp.v2.47.json')


def _server():
    return json.loads(FIXTURE.read_text())['server']


def test_shape_of_the_documented_body():
    shaped = nova.shape(_server())
    assert shaped['name'] == 'new-server-test'
    assert shaped['status'] == 'ACTIVE'
    assert shaped['flavor'] == {'name': 'm1.tiny.specs', 'vcpus': 1,
                                'ram': 512, 'disk': 1, 'ephemeral': 0,
                                'swap': 0,
                                'extra_specs': {'hw:numa_nodes': '1'}}
    assert shaped['image'] == {'id': '70a599e0-31e7-49b7-b260-868f441e862b'}
    assert shaped['metadata'] == {'My Server Name': 'Apache1'}
    assert shaped['tags'] == []
    assert shaped['addresses']['private'][0]['addr'] == '192.168.1.30'
    assert shaped['project_id'] == '6f70656e737461636b20342065766572'
    assert 'links' not in shaped
    assert 'OS-EXT-SRV-ATTR:user_data' not in json.dumps(shaped)


def test_shape_before_2_47_and_booted_from_volume():
    server = dict(_server(), image='',
                  flavor={'id': '1', 'links': [{'href': 'x'}]})
    del server['tags']
    shaped = nova.shape(server)
    assert shaped['image'] is None
    assert shaped['flavor'] == {'name': None, 'id': '1'}
    assert shaped['tags'] == []


def _event(source='nova', event_type='instance.create.end',
           resource_id='9168b536-cd40-4630-b43f-b259807c6e87'):
    return Event(message_id='m', source=source, event_type=event_type,
                 publisher_id=None, priority='info',
                 timestamp='2026-01-01T00:00:00Z', project_id=None,
                 user_id=None, resource_id=resource_id, payload={})


@pytest.mark.parametrize('event, expected', [
    (_event(), True),
    (_event(event_type='compute.instance.create.end'), True),
    (_event(event_type='instance.volume_attach.end'), True),
    (_event(event_type='aggregate.create.end'), False),
    (_event(source='swift'), False),
    (_event(resource_id=None), False),
])
def test_instance_events(event, expected):
    assert nova.is_instance_event(event) is expected
