"""The Keystone and keystone-auth Swift that tools/services.py starts.

The catalog names the keystone-auth proxy as object-store; the proxy
lets operator roles (admin, member) into their project's account and no
one else.
"""

import pytest
from swiftclient import client as swift_client

from tests.functional import keystone


@pytest.fixture(scope='module')
def cloud():
    made = keystone.Cloud()
    yield made
    made.cleanup()


def _account(cloud, user, project):
    session = cloud.session_of(user, project)
    url = session.get_endpoint(service_type='object-store',
                               interface='public',
                               region_name=keystone.REGION)
    return session, url


def test_the_catalog_names_the_keystone_auth_swift(cloud):
    project = cloud.project()
    user = cloud.user(project)
    _, url = _account(cloud, user, project)
    assert url == f"{keystone.SWIFT_URL}/v1/AUTH_{project['id']}"


def test_operator_roles_only_and_own_account_only(cloud):
    project, other = cloud.project(), cloud.project()
    member = cloud.user(project)
    reader = cloud.user(project, roles=('reader',))
    session, url = _account(cloud, member, project)
    conn = swift_client.Connection(session=session, retries=0)
    conn.put_container('pratai-roles')
    try:
        assert 'pratai-roles' in [c['name'] for c in conn.get_account()[1]]
        reader_conn = swift_client.Connection(
            session=cloud.session_of(reader, project), retries=0)
        with pytest.raises(swift_client.ClientException) as refused:
            reader_conn.get_account()
        assert refused.value.http_status == 403
        elsewhere = swift_client.Connection(
            preauthurl=f"{keystone.SWIFT_URL}/v1/AUTH_{other['id']}",
            preauthtoken=session.get_token(), retries=0)
        with pytest.raises(swift_client.ClientException) as refused:
            elsewhere.get_account()
        assert refused.value.http_status == 403
        anonymous = session.get(url, authenticated=False, raise_exc=False)
        assert anonymous.status_code == 401
    finally:
        conn.delete_container('pratai-roles')
