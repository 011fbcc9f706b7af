"""The ingress with ``[api] auth_strategy = keystone`` against the real
Keystone: keystonemiddleware's auth_token validates the tokens, as it
would for Aodh's ``trust+http://`` alarm actions.

``trust+http`` as Aodh does it (aodh/notifier/trust.py): the alarm's
owner delegates a role on the project to Aodh's service user with a
trust; Aodh authenticates as itself with that trust and sends the
trust-scoped token in X-Auth-Token. Here the "aodh" user is a user made
for the test.
"""

import json

import pytest

from tests.functional import keystone
from tests.functional.ingress import Ingress
from tests.functional.ingress import webhook


@pytest.fixture(scope='module')
def cloud():
    made = keystone.Cloud()
    yield made
    made.cleanup()


@pytest.fixture(scope='module')
def people(cloud):
    project = cloud.project()
    service_project = cloud.project('pratai-service')
    return {
        'project': project,
        'member': cloud.user(project),
        'admin': cloud.user(project, roles=('admin',)),
        'aodh': cloud.user(service_project),
        'service_project': service_project,
        # The bridge's own user: keystonemiddleware validates as it.
        'bridge': cloud.user(service_project, roles=('service',)),
    }


@pytest.fixture
def api(tmp_path, people):
    bridge = people['bridge']
    made = Ingress(tmp_path, (
        'auth_strategy = keystone\n'
        '[keystone_authtoken]\n'
        f'www_authenticate_uri = {keystone.URL}\n'
        f'auth_url = {keystone.URL}\n'
        'auth_type = password\n'
        f"username = {bridge['name']}\npassword = {bridge['password']}\n"
        'user_domain_id = default\n'
        f"project_id = {people['service_project']['id']}\n"))
    yield made
    made.close()


def _token(cloud, user, project, **extra):
    if extra:
        return keystone.password_session(user['name'], user['password'],
                                         **extra).get_token()
    return cloud.session_of(user, project).get_token()


def test_a_project_token_posts_a_webhook_for_its_project(api, cloud, people):
    token = _token(cloud, people['member'], people['project'])
    body, headers = webhook()
    resp = api.post('/v1/aodh', body, headers={**headers,
                                               'X-Auth-Token': token})
    assert resp.status_code == 202, resp.text
    event = api.journal.get_event(resp.json()['message_id']).event
    assert event.project_id == people['project']['id']
    assert event.user_id == people['member']['id']
    assert resp.json()['matched'] == 1


def test_a_trust_token_as_aodh_sends_it(api, cloud, people):
    trust = cloud.trust(people['member'], people['project'], people['aodh'])
    aodh = people['aodh']
    token = _token(cloud, aodh, None, trust_id=trust['id'])
    body, headers = webhook()
    resp = api.post('/v1/aodh', body, headers={**headers,
                                               'X-Auth-Token': token})
    assert resp.status_code == 202, resp.text
    event = api.journal.get_event(resp.json()['message_id']).event
    # The trust's project, the trustee (Aodh's) user.
    assert event.project_id == people['project']['id']
    assert event.user_id == aodh['id']


@pytest.mark.parametrize('token', [None, 'not-a-token'])
def test_no_valid_token_is_401(api, token):
    body, headers = webhook()
    if token:
        headers['X-Auth-Token'] = token
    resp = api.post('/v1/aodh', body, headers=headers)
    assert resp.status_code == 401
    assert api.journal.counts()['events'] == 0


def test_a_revoked_token_is_401(api, cloud, people):
    token = _token(cloud, people['member'], people['project'])
    cloud.revoke(token)
    body, headers = webhook()
    resp = api.post('/v1/aodh', body, headers={**headers,
                                               'X-Auth-Token': token})
    assert resp.status_code == 401


def test_events_need_the_admin_role(api, cloud, people):
    document = json.dumps({
        'event_type': 'compute.instance.create.end',
        'publisher_id': 'compute.host1',
        'payload': {'instance_id': '9168b536-cd40-4630-b43f-b259807c6e87',
                    'tenant_id': 'someone-else'}})
    member = _token(cloud, people['member'], people['project'])
    resp = api.post('/v1/events', document,
                    headers={'X-Auth-Token': member})
    assert resp.status_code == 403
    assert 'admin' in resp.json()['error']
    admin = _token(cloud, people['admin'], people['project'])
    resp = api.post('/v1/events', document, headers={'X-Auth-Token': admin})
    assert resp.status_code == 202
    assert resp.json()['matched'] == 1


def test_health_and_metrics_need_no_token(api):
    assert api.get('/healthz').status_code == 200
    assert api.get('/metrics').status_code == 200
