"""The credential broker against the real Keystone and keystone-auth Swift.

A project's user makes an application credential (or a trust to the
bridge's user); the operator configures it as ``[credential:NAME]``; the
broker hands out a token scoped to the project with its expiry and
catalog, and with that token alone (what a function gets) the project's
Swift containers are listed through the catalog's object-store endpoint.
"""

import datetime
import json
import time
import uuid

import pytest
from oslo_config import cfg
from swiftclient import client as swift_client

from pratai_bridge.conf import credentials as credentials_conf
from pratai_bridge.credentials import CredentialBroker
from pratai_bridge.credentials import CredentialError
from pratai_bridge.credentials import CredentialUnavailable
from tests.functional import keystone


@pytest.fixture(scope='module')
def cloud():
    made = keystone.Cloud()
    yield made
    made.cleanup()


@pytest.fixture(scope='module')
def tenant(cloud):
    """A project with a member who keeps a container in its Swift."""
    project = cloud.project()
    member = cloud.user(project)
    container = f'pratai-cred-{uuid.uuid4().hex[:8]}'
    conn = swift_client.Connection(session=cloud.session_of(member, project),
                                   retries=0)
    conn.put_container(container)
    yield project, member, container
    conn.delete_container(container)


def _broker(tmp_path, groups: dict[str, str], extra: str = ''):
    conf = cfg.ConfigOpts()
    credentials_conf.register_opts(conf)
    text = f"[credentials]\nnames = {', '.join(groups)}\n{extra}"
    for name, lines in groups.items():
        text += f'[credential:{name}]\nauth_url = {keystone.URL}\n{lines}'
    path = tmp_path / f'cred-{uuid.uuid4().hex[:8]}.conf'
    path.write_text(text)
    conf(['--config-file', str(path)], default_config_files=[])
    return CredentialBroker(conf)


def _app_credential(cloud, project, member):
    made = cloud.application_credential(member, project)
    return made, ('auth_type = v3applicationcredential\n'
                  f"application_credential_id = {made['id']}\n"
                  f"application_credential_secret = {made['secret']}\n")


def _containers(issued):
    """What a function does with the token: find Swift in the catalog,
    list the account's containers."""
    [swift] = [s for s in issued.catalog if s['type'] == 'object-store']
    [url] = [e['url'] for e in swift['endpoints']
             if e['interface'] == 'public' and e['region'] == keystone.REGION]
    conn = swift_client.Connection(preauthurl=url,
                                   preauthtoken=issued.token, retries=0)
    return [c['name'] for c in conn.get_account()[1]]


def test_an_application_credential_lists_the_projects_containers(
        tmp_path, cloud, tenant):
    project, member, container = tenant
    made, lines = _app_credential(cloud, project, member)
    broker = _broker(tmp_path, {'autoscaler': lines})
    issued = broker.token_for('autoscaler', timeout=30)
    assert issued.project_id == project['id']
    assert issued.user_id == member['id']
    expires = datetime.datetime.fromisoformat(issued.expires_at)
    assert expires > datetime.datetime.now(datetime.UTC)
    assert container in _containers(issued)
    # Never the secret; and the token stays out of reprs and logs.
    handed = json.dumps(issued.as_document())
    assert made['secret'] not in handed
    assert made['id'] not in handed
    assert issued.token not in repr(issued)


def test_tokens_are_reused_until_too_close_to_expiry(tmp_path, cloud,
                                                     tenant):
    project, member, _ = tenant
    _, lines = _app_credential(cloud, project, member)
    broker = _broker(tmp_path, {'bot': lines}, 'min_validity = 0\n')
    first = broker.token_for('bot')
    assert broker.token_for('bot', timeout=60).token == first.token
    time.sleep(2.1)
    left = (datetime.datetime.fromisoformat(first.expires_at)
            - datetime.datetime.now(datetime.UTC)).total_seconds()
    # A run longer than the cached token has left: a new token.
    renewed = broker.token_for('bot', timeout=left + 1)
    assert renewed.token != first.token
    assert renewed.expires_at > first.expires_at
    with pytest.raises(CredentialError, match='too short'):
        broker.token_for('bot', timeout=24 * 3600)


def test_a_trust_to_the_bridges_user(tmp_path, cloud, tenant):
    project, member, container = tenant
    service = cloud.project('pratai-service')
    bridge_user = cloud.user(service)
    trust = cloud.trust(member, project, bridge_user)
    broker = _broker(tmp_path, {'backup': (
        'auth_type = password\n'
        f"username = {bridge_user['name']}\n"
        f"password = {bridge_user['password']}\n"
        'user_domain_id = default\n'
        f"trust_id = {trust['id']}\n")})
    issued = broker.token_for('backup')
    assert issued.project_id == project['id']
    assert issued.user_id == bridge_user['id']  # the trustee acts
    assert container in _containers(issued)


def test_errors(tmp_path, cloud, tenant):
    project, member, _ = tenant
    made, _ = _app_credential(cloud, project, member)
    broker = _broker(tmp_path, {
        'wrong': ('auth_type = v3applicationcredential\n'
                  f"application_credential_id = {made['id']}\n"
                  'application_credential_secret = not-it\n'),
        'away': ('auth_type = v3applicationcredential\n'
                 'auth_url = http://127.0.0.1:9/v3\n'
                 f"application_credential_id = {made['id']}\n"
                 'application_credential_secret = x\n')})
    with pytest.raises(CredentialError, match='no credential'):
        broker.token_for('nobody')
    with pytest.raises(CredentialError, match='refused') as refused:
        broker.token_for('wrong')
    assert not isinstance(refused.value, CredentialUnavailable)
    with pytest.raises(CredentialUnavailable):
        broker.token_for('away')


def test_a_misconfigured_credential_stops_the_start(tmp_path):
    with pytest.raises(CredentialError, match=r'\[credential:bad\]'):
        _broker(tmp_path, {'bad': ''})
