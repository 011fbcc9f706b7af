"""The OpenStack wiring through the real daemon and RabbitMQ.

* enrichment: ``enrich: [server]`` subscriptions matched on the server
  python-novaclient fetched (tests/functional/fake_nova.py on loopback,
  found in the real Keystone's catalog), the others on the event as
  received; a 404 or an outage gives the event without ``server``;
* credentials: a function run for a subscription naming a credential
  lists its project's containers in the keystone-auth Swift with the
  token it was handed (the runtime's pratai_openstack helper), one
  without gets none;
* the loop guard: notifications carrying an execution's request id as
  their global request id make a chain; past ``max_chain_depth`` the
  execution is recorded as ``loop`` and not run.

Functions run on the local runner (a virtualenv per function, the same
runtime as the containers), which keeps these tests off the Docker
engine; the runtime's own tests cover the container side.
"""

import time
import uuid

import pytest
from oslo_context import context
from swiftclient import client as swift_client

from pratai_bridge.journal import Journal
from tests.functional import keystone
from tests.functional.fake_nova import FakeNova

ECHO = 'def main(payload=None):\n    return payload\n'


@pytest.fixture(scope='module')
def cloud():
    made = keystone.Cloud()
    yield made
    made.cleanup()


def _create(bridge, tmp_path, name, source, requirements=''):
    directory = tmp_path / f'fn-{name}'
    directory.mkdir()
    (directory / 'handler.py').write_text(source)
    if requirements:
        (directory / 'requirements.txt').write_text(requirements)
    bridge.manage('function', 'create', name, '--zip', str(directory))


def _journal(bridge) -> Journal:
    journal = Journal(f'sqlite:///{bridge.root}/journal.sqlite')
    journal.start(upgrade=False)
    return journal


def _instance_update(publisher, server_id, global_request_id=None):
    """As Nova sends it; ``global_request_id`` as Nova's context has it
    when a call carried X-OpenStack-Request-ID (oslo.messaging drops a
    plain dict context: it takes a RequestContext)."""
    ctxt = None
    if global_request_id is not None:
        ctxt = context.RequestContext(global_request_id=global_request_id,
                                      project_id='p', user_id='u')
    publisher.publish('nova', 'notifications', 'info', 'compute.host-1',
                      'compute.instance.update',
                      {'instance_id': server_id,
                       'tenant_id': '6f70656e737461636b20342065766572',
                       'user_id': 'fake', 'state': 'active'}, ctxt)


# Enrichment -------------------------------------------------------------

ENRICH_SUBSCRIPTIONS = """
subscriptions:
  - name: autoscale
    function: echo
    enrich: [server]
    filters:
      - event_type: compute.instance.update
      - pattern: {server: {metadata: {autoscale: ["true"]}}}
  - name: audit
    function: echo
    filters:
      - event_type: compute.instance.update
"""


@pytest.fixture
def nova(cloud):
    fake = FakeNova(cloud.token_checker()).start()
    project = cloud.project()
    user = cloud.user(project, roles=('reader',))
    region = cloud.region()
    cloud.endpoint('compute', fake.url, region)
    yield fake, (
        '[nova]\nauth_type = password\n'
        f'auth_url = {keystone.URL}\n'
        f"username = {user['name']}\npassword = {user['password']}\n"
        'user_domain_id = default\n'
        f"project_id = {project['id']}\n"
        f"region_name = {region['id']}\ntimeout = 30\n"
        'outage_backoff = 0\n')
    fake.stop()


def test_enrichment_through_the_daemon(make_bridge, publisher, tmp_path,
                                       nova):
    fake, nova_conf = nova
    bridge = make_bridge(f'[runner]\ndriver = local\n{nova_conf}')
    bridge.subscribe('10-enrich.yaml', ENRICH_SUBSCRIPTIONS)
    _create(bridge, tmp_path, 'echo', ECHO)
    scaled, plain, missing, later = (str(uuid.uuid4()) for _ in range(4))
    fake.add(scaled, name='web-1', metadata={'autoscale': 'true'},
             tags=['web'])
    fake.add(plain, name='db-1', metadata={'autoscale': 'false'})
    fake.add(later, name='web-2', metadata={'autoscale': 'true'})
    bridge.start()
    for server_id in (scaled, plain, missing, scaled):
        _instance_update(publisher, server_id)
    # audit for each event, autoscale for the two of "scaled".
    found = bridge.wait_for_executions(6, timeout=90, status='succeeded')
    assert len(found) == 6, found
    # Nova is down: the event goes on without "server", with a warning.
    fake.down = True
    _instance_update(publisher, later)
    found = bridge.wait_for_executions(7, status='succeeded')
    bridge.wait_for_log('going on without it')
    bridge.stop()

    by_subscription = {}
    journal = _journal(bridge)
    for listed in found:
        execution = journal.get_execution(listed['id'])
        by_subscription.setdefault(execution.subscription, []).append(
            execution.result)
    autoscale = by_subscription['autoscale']
    assert [r['resource_id'] for r in autoscale] == [scaled, scaled]
    server = autoscale[0]['server']
    assert (server['id'], server['name'], server['status'],
            server['metadata'], server['tags']) == (
        scaled, 'web-1', 'ACTIVE', {'autoscale': 'true'}, ['web'])
    assert server['flavor']['name'] == 'm1.tiny.specs'
    assert server['image'] == {'id': '70a599e0-31e7-49b7-b260-868f441e862b'}
    assert server['addresses']['private'][0]['addr'] == '192.168.1.30'
    audit = by_subscription['audit']
    assert sorted(r['resource_id'] for r in audit) == sorted(
        [scaled, plain, missing, scaled, later])
    assert all('server' not in r for r in audit)  # it did not ask
    # The journal keeps what the function got.
    stored = journal.get_event(autoscale[0]['message_id'])
    assert stored.document['server'] == server
    assert 'server' not in journal.get_event(
        [r for r in audit if r['resource_id'] == missing][0]['message_id']
    ).document
    journal.stop()
    # One lookup per server: the second event of "scaled" hit the cache.
    assert sorted(fake.requests[:3]) == sorted([scaled, plain, missing])
    assert fake.requests.count(scaled) == 1
    log = bridge.log_text()
    assert f'Server {missing} not found' in log


# Credentials ------------------------------------------------------------

LIST_CONTAINERS = f"""
import os

import pratai_openstack


def main(payload=None):
    if 'credential' not in payload:
        return {{'credential': None, 'request_id': payload['request_id']}}
    session = pratai_openstack.session(payload)
    token = payload['credential']['token']
    resp = session.get('/', endpoint_filter={{
        'service_type': 'object-store', 'interface': 'public',
        'region_name': {keystone.REGION!r}}}, params={{'format': 'json'}})
    return {{'containers': [c['name'] for c in resp.json()],
            'project_id': payload['credential']['project_id'],
            'keys': sorted(payload['credential']),
            'token_in_environment': any(token in value
                                        for value in os.environ.values())}}
"""

CREDENTIAL_SUBSCRIPTIONS = """
subscriptions:
  - name: with-credential
    function: lister
    credential: tenant
    filters:
      - event_type: compute.instance.update
  - name: without
    function: lister
    filters:
      - event_type: compute.instance.update
"""


@pytest.fixture
def tenant(cloud):
    """A project whose member keeps a container in the keystone-auth Swift
    and made an application credential for the bridge."""
    project = cloud.project()
    member = cloud.user(project)
    container = f'pratai-fn-{uuid.uuid4().hex[:8]}'
    conn = swift_client.Connection(session=cloud.session_of(member, project),
                                   retries=0)
    conn.put_container(container)
    made = cloud.application_credential(member, project)
    yield project, container, made
    conn.delete_container(container)


def test_a_function_acts_with_its_subscriptions_credential(
        make_bridge, publisher, tmp_path, tenant):
    project, container, made = tenant
    bridge = make_bridge(
        '[runner]\ndriver = local\n'
        '[credentials]\nnames = tenant\n'
        '[credential:tenant]\nauth_type = v3applicationcredential\n'
        f'auth_url = {keystone.URL}\n'
        f"application_credential_id = {made['id']}\n"
        f"application_credential_secret = {made['secret']}\n")
    bridge.subscribe('10-cred.yaml', CREDENTIAL_SUBSCRIPTIONS)
    # keystoneauth1 comes with the function's requirements, as the
    # runtime's README tells function authors.
    _create(bridge, tmp_path, 'lister', LIST_CONTAINERS, 'keystoneauth1\n')
    bridge.start()
    _instance_update(publisher, str(uuid.uuid4()))
    found = bridge.wait_for_executions(2, timeout=60)
    bridge.stop()
    journal = _journal(bridge)
    results = {}
    for listed in found:
        execution = journal.get_execution(listed['id'])
        assert execution.status == 'succeeded', execution
        results[execution.subscription] = execution.result
    journal.stop()
    acted = results['with-credential']
    assert container in acted['containers']
    assert acted['project_id'] == project['id']
    assert acted['keys'] == ['auth_url', 'catalog', 'expires_at',
                             'project_id', 'project_name', 'token',
                             'user_id']
    assert acted['token_in_environment'] is False
    assert results['without']['credential'] is None
    # The secret reaches neither the journal nor the logs.
    for path in (bridge.root / 'journal.sqlite', bridge.log):
        assert made['secret'].encode() not in path.read_bytes()


# The loop guard ---------------------------------------------------------

LOOP_SUBSCRIPTIONS = """
subscriptions:
  - name: retagger
    function: echo
    filters:
      - event_type: compute.instance.update
"""


def _show(bridge, execution_id):
    return bridge.manage_json('executions', 'show', str(execution_id))


def test_the_loop_guard_stops_a_chain(make_bridge, publisher, tmp_path):
    bridge = make_bridge('[runner]\ndriver = local\n'
                         '[dispatcher]\nmax_chain_depth = 2\n')
    bridge.subscribe('10-loop.yaml', LOOP_SUBSCRIPTIONS)
    _create(bridge, tmp_path, 'echo', ECHO)
    bridge.start()
    server_id = str(uuid.uuid4())
    cause = None
    shown = []
    # As the function's calls would: each notification carries the
    # request id of the execution before it.
    for step in range(4):
        _instance_update(publisher, server_id, cause)
        [latest] = bridge.wait_for_executions(step + 1)[:1]
        status = 'loop' if step == 3 else 'succeeded'
        for _ in range(50):
            execution = _show(bridge, latest['id'])
            if execution['status'] == status:
                break
            time.sleep(0.1)
        shown.append(execution)
        cause = execution['request_id']
    # A notification citing a request that is none of ours: a new root.
    _instance_update(publisher, server_id, f'req-{uuid.uuid4()}')
    found = bridge.wait_for_executions(5)
    bridge.stop()
    assert [e['status'] for e in shown] == ['succeeded'] * 3 + ['loop']
    assert [e['depth'] for e in shown] == [0, 1, 2, 3]
    # What each function got carried its request id.
    assert [e['result']['request_id'] for e in shown[:3]] == [
        e['request_id'] for e in shown[:3]]
    assert shown[3]['result'] is None and shown[3]['attempts'] == 0
    assert 'max_chain_depth 2' in shown[3]['error']
    assert [link['id'] for link in shown[3]['chain']] == [
        e['id'] for e in shown]
    assert [link['request_id'] for link in _show(bridge, shown[1]['id'])[
        'caused']] == [shown[2]['request_id']]
    root = _show(bridge, found[0]['id'])
    assert (root['depth'], root['cause'], root['status']) == (
        0, None, 'succeeded')
    # The table form names every link of the chain.
    table = bridge.manage('executions', 'show', str(shown[3]['id'])).stdout
    for execution in shown:
        assert execution['request_id'] in table
