"""Server enrichment: python-novaclient through the real Keystone.

The compute API is tests/functional/fake_nova.py on loopback (Nova's
documented server show body and microversion headers; it has Keystone
validate every token it is sent). The real Keystone's catalog gets a
``compute`` endpoint pointing at it, in a region of the test's own, and
the enricher finds it there with a keystoneauth1 session loaded from
``[nova]``: the same path as against a real Nova.
"""

import dataclasses
import logging
import threading
import uuid

import pytest
from oslo_config import cfg

from pratai_bridge.conf import nova as nova_conf
from pratai_bridge.enrich.nova import ServerEnricher
from pratai_bridge.events.model import Event
from tests.functional import keystone
from tests.functional.fake_nova import FakeNova


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope='module')
def cloud():
    made = keystone.Cloud()
    yield made
    made.cleanup()


@pytest.fixture(scope='module')
def module_nova(cloud):
    fake = FakeNova(cloud.token_checker()).start()
    yield fake
    fake.stop()


@pytest.fixture
def nova(module_nova):
    module_nova.reset()
    return module_nova


@pytest.fixture(scope='module')
def nova_user(cloud, module_nova):
    """A reader of a project, and a region whose compute is the fake."""
    project = cloud.project()
    user = cloud.user(project, roles=('reader',))
    region = cloud.region()
    cloud.endpoint('compute', module_nova.url, region)
    return project, user, region


@pytest.fixture
def make_enricher(tmp_path, nova_user):
    project, user, region = nova_user

    def make(extra: str = '', clock=None) -> ServerEnricher:
        conf = cfg.ConfigOpts()
        nova_conf.register_opts(conf)
        path = tmp_path / f'nova-{uuid.uuid4().hex}.conf'
        path.write_text(
            '[nova]\nauth_type = password\n'
            f'auth_url = {keystone.URL}\n'
            f"username = {user['name']}\npassword = {user['password']}\n"
            'user_domain_id = default\n'
            f"project_id = {project['id']}\n"
            f"region_name = {region['id']}\ntimeout = 5\n{extra}")
        conf(['--config-file', str(path)], default_config_files=[])
        return ServerEnricher(conf, clock=clock or Clock())

    return make


def _event(server_id=None, event_type='instance.create.end'):
    return Event(message_id=str(uuid.uuid4()), source='nova',
                 event_type=event_type, publisher_id='nova-compute:compute',
                 priority='info', timestamp='2026-11-28T03:02:20.653504Z',
                 project_id='6f70656e737461636b20342065766572',
                 user_id='fake', resource_id=server_id or str(uuid.uuid4()),
                 payload={}, exchange='nova')


def test_the_server_of_an_instance_event(make_enricher, nova):
    server_id = str(uuid.uuid4())
    nova.add(server_id, name='web-1', metadata={'autoscale': 'true'},
             tags=['web'])
    server = make_enricher().server(_event(server_id))
    assert server == {
        'id': server_id, 'name': 'web-1', 'status': 'ACTIVE',
        'flavor': {'name': 'm1.tiny.specs', 'vcpus': 1, 'ram': 512,
                   'disk': 1, 'ephemeral': 0, 'swap': 0,
                   'extra_specs': {'hw:numa_nodes': '1'}},
        'image': {'id': '70a599e0-31e7-49b7-b260-868f441e862b'},
        'metadata': {'autoscale': 'true'}, 'tags': ['web'],
        'addresses': {'private': [{
            'OS-EXT-IPS-MAC:mac_addr': '00:0c:29:0d:11:74',
            'OS-EXT-IPS:type': 'fixed', 'addr': '192.168.1.30',
            'version': 4}]},
        'availability_zone': 'us-west', 'created': '2017-02-14T19:23:58Z',
        'updated': '2017-02-14T19:24:00Z',
        'project_id': '6f70656e737461636b20342065766572',
        'user_id': 'fake', 'key_name': None}
    assert nova.requests == [server_id]
    assert nova.errors == []


def test_lookups_are_cached_for_the_ttl(make_enricher, nova):
    clock = Clock()
    enricher = make_enricher('cache_ttl = 30\n', clock)
    server_id = str(uuid.uuid4())
    nova.add(server_id)
    for _ in range(5):
        assert enricher.server(_event(server_id))['id'] == server_id
    assert nova.requests == [server_id]
    clock.now += 31
    assert enricher.server(_event(server_id))['id'] == server_id
    assert nova.requests == [server_id, server_id]
    assert (enricher.stats.hits, enricher.stats.misses) == (4, 2)


def test_a_missing_server_gives_none_and_a_warning(make_enricher, nova,
                                                   caplog):
    enricher = make_enricher()
    server_id = str(uuid.uuid4())
    with caplog.at_level(logging.WARNING, 'pratai_bridge.enrich.nova'):
        assert enricher.server(_event(server_id)) is None
        assert enricher.server(_event(server_id)) is None
    assert f'Server {server_id} not found' in caplog.text
    assert nova.requests == [server_id]  # the 404 is cached too


def test_an_outage_gives_none_a_warning_and_a_pause(make_enricher, nova,
                                                    caplog):
    clock = Clock()
    enricher = make_enricher('outage_backoff = 10\n', clock)
    server_id = str(uuid.uuid4())
    nova.add(server_id)
    nova.down = True
    event = _event(server_id)
    with caplog.at_level(logging.WARNING, 'pratai_bridge.enrich.nova'):
        assert enricher.server(event) is None
    assert f'Event {event.message_id}' in caplog.text
    assert 'going on without it' in caplog.text
    asked = len(nova.requests)
    assert enricher.server(event) is None  # paused: Nova is not asked
    assert len(nova.requests) == asked
    nova.down = False
    clock.now += 11
    assert enricher.server(event)['id'] == server_id


def test_an_unreachable_nova_gives_none(make_enricher, nova):
    # Nothing listens on port 9 (discard) here: connection refused.
    enricher = make_enricher('endpoint_override = http://127.0.0.1:9/v2.1\n')
    assert enricher.server(_event()) is None


def test_lookups_in_flight_together_are_made_once(make_enricher, nova):
    enricher = make_enricher()
    server_id = str(uuid.uuid4())
    nova.add(server_id)
    nova.delay = 0.5
    barrier = threading.Barrier(8)
    found = []

    def look():
        barrier.wait()
        found.append(enricher.server(_event(server_id)))

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [s['id'] for s in found] == [server_id] * 8
    assert nova.requests == [server_id]
    assert enricher.stats.coalesced == 7


def test_concurrency_is_bounded(make_enricher, nova):
    enricher = make_enricher('max_concurrency = 2\n')
    ids = [str(uuid.uuid4()) for _ in range(6)]
    for server_id in ids:
        nova.add(server_id)
    enricher.server(_event(ids[0]))  # authenticate once, outside the race
    nova.delay = 0.3
    threads = [threading.Thread(target=enricher.server,
                                args=(_event(server_id),))
               for server_id in ids[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(nova.requests) == sorted(ids)
    assert nova.max_in_flight == 2


def test_only_instance_events_are_looked_up(make_enricher, nova):
    enricher = make_enricher()
    event = _event(event_type='aggregate.create.end')
    assert enricher.server(event) is None
    swift = dataclasses.replace(_event(), source='swift',
                                event_type='objectstore.http.request')
    assert enricher.server(swift) is None
    assert nova.requests == []
