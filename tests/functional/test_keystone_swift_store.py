"""The swift store against the real Keystone and the keystone-auth Swift.

Needs ``python3 tools/services.py start keystone swift-keystone``: a
Keystone on 127.0.0.1:5000 whose catalog's object-store endpoint is the
Swift proxy with authtoken + keystoneauth on 127.0.0.1:8081. Each test
makes a project and a user of its own (role member), authenticates the
store with keystoneauth1 plugins loaded from ``[swift]`` (password,
v3applicationcredential) and removes everything afterwards.
"""

import time
import uuid

import pytest
from oslo_config import cfg
from swiftclient import client as swift_client

from pratai_bridge.conf import paths
from pratai_bridge.conf import store as store_conf
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import _loader
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store.swift import SwiftStore
from tests.functional import keystone
from tests.functional.unavailable import unavailable

SPEC = FunctionSpec(name='hello', handler='handler', memory=64, timeout=5)
# keystonemiddleware in the keystone-auth proxy trusts a validated token
# this long (tools/_keystone.py TOKEN_CACHE_TIME) before asking again.
TOKEN_CACHE_TIME = 2


@pytest.fixture
def cloud():
    made = keystone.Cloud()
    try:
        made.admin.get(keystone.SWIFT_URL + '/healthcheck',
                       authenticated=False, raise_exc=True)
    except Exception as exc:  # refused, not a Swift: no usable service
        made.cleanup()
        unavailable(f'the keystone-auth Swift does not answer at '
                    f'{keystone.SWIFT_URL} ({exc}): python3 '
                    'tools/services.py start swift-keystone')
    yield made
    made.cleanup()


@pytest.fixture
def member(cloud):
    project = cloud.project()
    return project, cloud.user(project)


def _store(tmp_path, auth_lines: str) -> SwiftStore:
    conf = cfg.ConfigOpts()
    paths.register_opts(conf)
    store_conf.register_opts(conf)
    path = tmp_path / f'swift-{uuid.uuid4().hex}.conf'
    path.write_text(
        f'[DEFAULT]\nstate_path = {tmp_path}\n'
        f'[store]\ndriver = swift\n'
        f'container = pratai-test-{uuid.uuid4().hex[:8]}\n'
        f'[swift]\nauth_url = {keystone.URL}\n'
        f'region_name = {keystone.REGION}\n{auth_lines}')
    conf(['--config-file', str(path)], default_config_files=[])
    made = _loader.load_store(conf)
    assert isinstance(made, SwiftStore)
    return made


def _password(user, project) -> str:
    return ('auth_type = password\n'
            f"username = {user['name']}\npassword = {user['password']}\n"
            'user_domain_id = default\n'
            f"project_id = {project['id']}\n")


def _round_trip(store: SwiftStore) -> None:
    first = store.put(SPEC, b'zip one')
    assert store.get('hello') == first
    assert store.fetch(first) == b'zip one'
    assert store.list() == [first]
    assert store.delete('hello') == [first]
    with pytest.raises(base.FunctionNotFound):
        store.get('hello')


def _account_objects(cloud, project, user, container):
    """What the project's account holds, seen by a plain swiftclient."""
    session = cloud.session_of(user, project)
    conn = swift_client.Connection(session=session, retries=0)
    _, objects = conn.get_container(container)
    return [entry['name'] for entry in objects]


def test_password_auth_through_the_catalog(tmp_path, cloud, member):
    project, user = member
    store = _store(tmp_path, _password(user, project))
    _round_trip(store)
    # The zip went to the project's account, found through the catalog.
    store.put(SPEC, b'zip kept')
    assert _account_objects(cloud, project, user,
                            store.container) == ['hello/v1.zip']
    store.delete('hello')


def test_application_credential_auth(tmp_path, cloud, member):
    project, user = member
    credential = cloud.application_credential(user, project)
    store = _store(tmp_path, (
        'auth_type = v3applicationcredential\n'
        f"application_credential_id = {credential['id']}\n"
        f"application_credential_secret = {credential['secret']}\n"))
    _round_trip(store)
    store.put(SPEC, b'zip kept')
    assert _account_objects(cloud, project, user,
                            store.container) == ['hello/v1.zip']
    store.delete('hello')


def test_a_revoked_token_is_renewed_by_the_session(tmp_path, cloud, member):
    project, user = member
    store = _store(tmp_path, _password(user, project))
    function = store.put(SPEC, b'zip one')
    session = store._session
    first = session.get_token()
    cloud.revoke(first)
    # Swift itself now refuses the token, once its cache lets go of it.
    time.sleep(TOKEN_CACHE_TIME + 0.5)
    refused = session.get(
        f"{keystone.SWIFT_URL}/v1/AUTH_{project['id']}",
        headers={'X-Auth-Token': first}, authenticated=False,
        raise_exc=False)
    assert refused.status_code == 401
    # The store's next call gets a 401, and swiftclient invalidates the
    # keystoneauth1 plugin, which authenticates again: nothing of ours.
    assert store.fetch(store.get('hello')) == b'zip one'
    renewed = session.get_token()
    assert renewed != first
    assert store.get('hello', function.version) == function
    store.delete('hello')


def test_a_wrong_password_is_a_store_error(tmp_path, cloud, member):
    project, user = member
    store = _store(tmp_path, _password(dict(user, password='wrong'),
                                       project))
    with pytest.raises(base.StoreError, match='authentication|identity'):
        store.list()
