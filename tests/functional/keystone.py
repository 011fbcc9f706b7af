"""The real Keystone (and the keystone-auth Swift) of the functional tests.

``python3 tools/services.py start keystone swift-keystone`` starts them;
``tools/services.py env`` exports where they are and the admin's
credentials (the defaults here are the same). :class:`Cloud` makes what a
test needs through Keystone's v3 API (projects, users, role assignments,
application credentials, trusts, catalog entries) and deletes it all in
:meth:`Cloud.cleanup`, newest first, even when the test failed.
"""

import os
import uuid
from collections.abc import Callable
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.functional.unavailable import unavailable

URL = os.environ.get('PRATAI_KEYSTONE_URL', 'http://127.0.0.1:5000/v3')
ADMIN_USER = os.environ.get('PRATAI_KEYSTONE_ADMIN_USER', 'admin')
ADMIN_PASSWORD = os.environ.get('PRATAI_KEYSTONE_ADMIN_PASSWORD',
                                'pratai-admin')
ADMIN_PROJECT = os.environ.get('PRATAI_KEYSTONE_ADMIN_PROJECT', 'admin')
REGION = os.environ.get('PRATAI_KEYSTONE_REGION', 'RegionOne')
SWIFT_URL = os.environ.get('PRATAI_SWIFT_KEYSTONE_URL',
                           'http://127.0.0.1:8081')


def password_session(user: str, password: str, project_id: str | None = None,
                     project_name: str | None = None, **extra: Any
                     ) -> ks_session.Session:
    """A session of a default-domain user, scoped to a project."""
    auth = v3.Password(auth_url=URL, username=user, password=password,
                       user_domain_id='default', project_id=project_id,
                       project_name=project_name,
                       project_domain_id=None if project_id else 'default',
                       **extra)
    return ks_session.Session(auth=auth, timeout=15)


class Cloud:
    """Keystone as the admin sees it; what it makes goes at cleanup."""

    def __init__(self) -> None:
        self.admin = password_session(ADMIN_USER, ADMIN_PASSWORD,
                                      project_name=ADMIN_PROJECT)
        try:
            self.admin.get_token()
        except ks_exc.ClientException as exc:
            unavailable(f'Keystone does not answer at {URL} ({exc}): '
                        'python3 tools/services.py start keystone')
        self._undo: list[tuple[ks_session.Session, str]] = []

    def call(self, method: str, path: str, body: dict | None = None,
             session: ks_session.Session | None = None) -> Any:
        resp = (session or self.admin).request(
            URL + path, method, json=body, raise_exc=True)
        return resp.json() if resp.content else None

    def _make(self, kind: str, body: dict,
              session: ks_session.Session | None = None,
              path: str | None = None) -> dict:
        path = path or f'/{kind}s'
        made = self.call('POST', path, {kind: body}, session)[kind]
        self._undo.append((session or self.admin, f"{path}/{made['id']}"))
        return made

    def role_id(self, name: str) -> str:
        return self.call('GET', f'/roles?name={name}')['roles'][0]['id']

    def project(self, prefix: str = 'pratai-test') -> dict:
        return self._make('project', {
            'name': f'{prefix}-{uuid.uuid4().hex[:8]}',
            'domain_id': 'default'})

    def user(self, project: dict, roles: tuple[str, ...] = ('member',),
             password: str | None = None) -> dict:
        """A user with ``roles`` on ``project``; its password in the dict."""
        password = password or uuid.uuid4().hex
        user = self._make('user', {
            'name': f'pratai-test-{uuid.uuid4().hex[:8]}',
            'domain_id': 'default', 'password': password,
            'default_project_id': project['id']})
        for role in roles:
            self.call('PUT', f"/projects/{project['id']}/users/"
                      f"{user['id']}/roles/{self.role_id(role)}")
        return dict(user, password=password)

    def session_of(self, user: dict, project: dict) -> ks_session.Session:
        return password_session(user['name'], user['password'],
                                project_id=project['id'])

    def application_credential(self, user: dict, project: dict) -> dict:
        """A new application credential of ``user`` on ``project``
        (its secret in the dict, as Keystone shows it once)."""
        return self._make(
            'application_credential',
            {'name': f'pratai-test-{uuid.uuid4().hex[:8]}'},
            session=self.session_of(user, project),
            path=f"/users/{user['id']}/application_credentials")

    def trust(self, trustor: dict, project: dict, trustee: dict,
              roles: tuple[str, ...] = ('member',)) -> dict:
        """``trustor`` delegates ``roles`` on ``project`` to ``trustee``."""
        return self._make('trust', {
            'trustor_user_id': trustor['id'],
            'trustee_user_id': trustee['id'],
            'project_id': project['id'], 'impersonation': False,
            'roles': [{'name': role} for role in roles]},
            session=self.session_of(trustor, project),
            path='/OS-TRUST/trusts')

    def region(self) -> dict:
        return self._make('region', {
            'id': f'pratai-test-{uuid.uuid4().hex[:8]}'})

    def endpoint(self, service_type: str, url: str, region: dict) -> dict:
        """A service of ``service_type`` with a public endpoint in
        ``region`` (a region of the test's own: no other catalog entry of
        that type to choose from)."""
        service = self._make('service', {'type': service_type,
                                         'name': f'pratai-{service_type}'})
        return self._make('endpoint', {
            'service_id': service['id'], 'interface': 'public',
            'region_id': region['id'], 'url': url})

    def token_checker(self) -> Callable[[str], bool]:
        """A check of X-Auth-Token values against this Keystone, for a
        fake service (each valid token asked once)."""
        valid: set[str] = set()

        def validate(token: str) -> bool:
            if token not in valid and self.admin.get(
                    URL + '/auth/tokens', raise_exc=False,
                    headers={'X-Subject-Token': token}).status_code == 200:
                valid.add(token)
            return token in valid

        return validate

    def revoke(self, token: str) -> None:
        self.admin.request(URL + '/auth/tokens', 'DELETE',
                           headers={'X-Subject-Token': token},
                           raise_exc=True)

    def cleanup(self) -> None:
        for session, path in reversed(self._undo):
            try:
                self.admin.request(URL + path, 'DELETE', raise_exc=True)
            except ks_exc.NotFound:
                pass  # gone with what it belonged to
            except ks_exc.ClientException:
                # A trust or application credential is its owner's to
                # delete when the admin may not.
                try:
                    session.request(URL + path, 'DELETE', raise_exc=True)
                except ks_exc.ClientException:
                    pass
        self._undo.clear()
