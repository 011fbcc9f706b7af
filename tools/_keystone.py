"""Keystone, and a Swift proxy that authenticates with it, for the tests.

Standard library only (tools/services.py imports it before any project
virtualenv exists). Both run from one virtualenv of the state dir
(``keystone-venv``: keystone, gunicorn, swift; keystonemiddleware comes
with keystone).

- ``keystone``: gunicorn serves ``tools/keystone/wsgi.py`` on
  127.0.0.1:5000, SQLite and fernet tokens. Making the database and keys
  (db_sync, fernet_setup, credential_setup, bootstrap) takes ~9 s, so it
  is done once into ``keystone/prepared`` and each start copies that: a
  fresh identity service in ~1.5 s. The start then provisions through the
  API what the tests expect: project ``service``, user ``swift`` with the
  ``service`` role on it (keystonemiddleware validates tokens as that
  user), and the object-store service with its endpoints in RegionOne.
- ``swift-keystone``: tools/swift/allinone.py serving one proxy on
  127.0.0.1:8081 with authtoken + keystoneauth, in front of the storage
  servers the ``swift`` service runs. Verified with a Keystone token and
  an object round trip in the admin project's account.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

from _harness import HOST
from _harness import HTTP
from _harness import MEMCACHED_PORT
from _harness import REPO
from _harness import RING_PORTS
from _harness import SWIFT_TEMPLATES
from _harness import Service
from _harness import ServiceError
from _harness import port_open
from _harness import render
from _harness import run
from _harness import say
from _harness import tail
from _harness import user_name
from _harness import wait_for

KEYSTONE_TEMPLATES = REPO / 'tools' / 'keystone'
KEYSTONE_PORT = 5000
KEYSTONE_URL = f'http://{HOST}:{KEYSTONE_PORT}/v3'
KEYSTONE_PACKAGES = ['keystone', 'gunicorn', 'swift']
REGION = 'RegionOne'
# Credentials of a test cloud that lives on loopback for one test run;
# ``tools/services.py env`` exports them.
ADMIN = {'user': 'admin', 'password': 'pratai-admin', 'project': 'admin'}
SWIFT_SERVICE_USER, SWIFT_SERVICE_PASSWORD = 'swift', 'pratai-swift'
SWIFT_KEYSTONE_PORT = 8081
SWIFT_KEYSTONE_URL = f'http://{HOST}:{SWIFT_KEYSTONE_PORT}'
# Lifetime of a token; Keystone's default too. keystoneauth renews a token
# 120 s before it ends.
TOKEN_EXPIRATION = 3600
# Seconds keystonemiddleware trusts a validated token before asking
# Keystone again (its default is 300): a revoked token stops working
# within seconds, which the token renewal tests rely on.
TOKEN_CACHE_TIME = 2
GUNICORN_WORKERS = 2


def keystone_venv(state):
    """The Python of the keystone virtualenv, installed when missing."""
    venv = state.root / 'keystone-venv'
    python = venv / 'bin' / 'python'
    probe = 'import keystone, gunicorn, swift, keystonemiddleware'
    if python.exists() and not subprocess.run(
            [str(python), '-c', probe], capture_output=True).returncode:
        return python
    say('installing %s into %s', ' '.join(KEYSTONE_PACKAGES), venv)
    run([sys.executable, '-m', 'venv', str(venv)], state.log('pip'))
    run([str(python), '-m', 'pip', 'install', '-q', *KEYSTONE_PACKAGES],
        state.log('pip'))
    return python


def api(method, path, token=None, body=None, expect=(200, 201, 204)):
    """One Keystone API call; (status, headers, decoded JSON or None)."""
    headers = {'Content-Type': 'application/json'}
    if token:
        headers['X-Auth-Token'] = token
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(KEYSTONE_URL + path, data=data,
                                     method=method, headers=headers)
    try:
        with HTTP.open(request, timeout=10) as resp:
            text = resp.read()
            status, answer_headers = resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        text, status, answer_headers = exc.read(), exc.code, exc.headers
    if status not in expect:
        raise ServiceError(f'keystone {method} {path}: {status} '
                           f'{text[:300]!r}')
    return status, answer_headers, json.loads(text) if text else None


def password_token(user, password, project):
    """A project-scoped token (default domain) and its body."""
    _, headers, body = api('POST', '/auth/tokens', body={'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': 'default'},
            'password': password}}},
        'scope': {'project': {'name': project,
                              'domain': {'id': 'default'}}}}})
    return headers['X-Subject-Token'], body['token']


class Keystone(Service):
    name = 'keystone'
    stop_timeout = 15.0

    def answers(self):
        try:
            with HTTP.open(KEYSTONE_URL, timeout=2) as resp:
                version = json.load(resp).get('version', {})
            return resp.status == 200 and version.get('id', '')[:2] == 'v3'
        except (OSError, ValueError):
            return False

    def launch(self, state):
        if port_open(KEYSTONE_PORT):
            raise ServiceError(f'port {KEYSTONE_PORT} is taken by something '
                               'that is not a Keystone')
        python = keystone_venv(state)
        conf = self._configure(state, python)
        log = state.log('keystone')
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(conf))
        gunicorn = python.parent / 'gunicorn'
        pid = state.spawn('keystone', [
            str(gunicorn), '--bind', f'{HOST}:{KEYSTONE_PORT}',
            '--workers', str(GUNICORN_WORKERS), '--timeout', '60', '--preload',
            '--chdir', str(KEYSTONE_TEMPLATES), 'wsgi:application'], env)
        wait_for(self.answers, 'keystone', log, pid)
        root = state.root / 'keystone'
        marker = root / 'prepared' / 'provisioned'
        if marker.exists() and marker.read_text() == _provision_key():
            return
        try:
            provision()
        except (OSError, ServiceError) as exc:
            raise ServiceError(f'keystone answers but could not be '
                               f'provisioned: {exc}; end of {log}:\n'
                               f'{tail(log)}') from exc
        # The next starts copy the provisioned database and skip the ~2 s
        # of API calls. sqlite3's backup copies a consistent snapshot of a
        # database in use.
        with sqlite3.connect(root / 'data' / 'keystone.db') as source, \
                sqlite3.connect(root / 'prepared' / 'keystone.db') as copy:
            source.backup(copy)
        marker.write_text(_provision_key())

    def _configure(self, state, python):
        """A fresh data directory copied from the prepared one."""
        root = state.root / 'keystone'
        prepared, data = root / 'prepared', root / 'data'
        version = subprocess.run(
            [str(python), '-c', 'import importlib.metadata as m; '
             'print(m.version("keystone"))'],
            capture_output=True, text=True, check=True).stdout.strip()
        stamp = prepared / 'version'
        if not (stamp.exists() and stamp.read_text() == version):
            self._prepare(state, python, root, prepared)
            stamp.write_text(version)

        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(prepared, data)
        return self._render(root / 'keystone.conf', data)

    def _render(self, path, data):
        render(KEYSTONE_TEMPLATES / 'keystone.conf.in', path,
               {'data': data, 'token_expiration': TOKEN_EXPIRATION})
        return path

    def _prepare(self, state, python, root, prepared):
        say('keystone: preparing its database and keys (once)')
        shutil.rmtree(prepared, ignore_errors=True)
        prepared.mkdir(parents=True)
        conf = self._render(root / 'prepare.conf', prepared)
        manage = [str(python.parent / 'keystone-manage'), '--config-file',
                  str(conf)]
        owner = ['--keystone-user', user_name(),
                 '--keystone-group', _group_name()]
        url = KEYSTONE_URL + '/'
        log = state.log('keystone')
        for step in (['db_sync'], ['fernet_setup', *owner],
                     ['credential_setup', *owner],
                     ['bootstrap', '--bootstrap-password', ADMIN['password'],
                      '--bootstrap-username', ADMIN['user'],
                      '--bootstrap-project-name', ADMIN['project'],
                      '--bootstrap-role-name', 'admin',
                      '--bootstrap-service-name', 'keystone',
                      '--bootstrap-region-id', REGION,
                      '--bootstrap-admin-url', url,
                      '--bootstrap-internal-url', url,
                      '--bootstrap-public-url', url]):
            run([*manage, *step], log)


def _group_name():
    import grp
    return grp.getgrgid(os.getegid()).gr_name


def _find(kind, token, **query):
    """The one ``kind`` (projects, users...) matching ``query``, or None."""
    args = '&'.join(f'{k}={v}' for k, v in query.items())
    found = api('GET', f'/{kind}?{args}', token)[2][kind]
    return found[0] if found else None


def _ensure(kind, token, query, body):
    """Find one ``kind`` by ``query``, creating it from ``body`` if none."""
    existing = _find(kind, token, **query)
    if existing is not None:
        return existing
    singular = kind[:-1]
    return api('POST', f'/{kind}', token, {singular: body})[2][singular]


def _provision_key():
    """What provision() makes depends on: a change means provision again."""
    return json.dumps([SWIFT_SERVICE_USER, SWIFT_SERVICE_PASSWORD,
                       SWIFT_KEYSTONE_URL, REGION])


def provision():
    """The service project and user, and the object-store endpoints."""
    token, _ = password_token(ADMIN['user'], ADMIN['password'],
                              ADMIN['project'])
    project = _ensure('projects', token, {'name': 'service'},
                      {'name': 'service', 'domain_id': 'default'})
    user = _ensure('users', token, {'name': SWIFT_SERVICE_USER},
                   {'name': SWIFT_SERVICE_USER, 'domain_id': 'default',
                    'password': SWIFT_SERVICE_PASSWORD,
                    'default_project_id': project['id']})
    role = _ensure('roles', token, {'name': 'service'}, {'name': 'service'})
    api('PUT', f"/projects/{project['id']}/users/{user['id']}/roles/"
        f"{role['id']}", token)
    service = _ensure('services', token, {'type': 'object-store'},
                      {'type': 'object-store', 'name': 'swift',
                       'enabled': True})
    url = SWIFT_KEYSTONE_URL + '/v1/AUTH_$(project_id)s'
    have = api('GET', f"/endpoints?service_id={service['id']}",
               token)[2]['endpoints']
    for interface in ('public', 'internal', 'admin'):
        if not any(e['interface'] == interface for e in have):
            api('POST', '/endpoints', token, {'endpoint': {
                'service_id': service['id'], 'interface': interface,
                'region_id': REGION, 'url': url, 'enabled': True}})


class SwiftKeystone(Service):
    name = 'swift-keystone'
    requires = ('swift', 'keystone')

    def answers(self):
        try:
            with HTTP.open(f'{SWIFT_KEYSTONE_URL}/healthcheck',
                           timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def launch(self, state):
        if port_open(SWIFT_KEYSTONE_PORT):
            raise ServiceError(f'port {SWIFT_KEYSTONE_PORT} is taken by '
                               'something that is not a Swift proxy')
        python = keystone_venv(state)
        etc = self._configure(state, python)
        log = state.log('swift-keystone')
        env = dict(os.environ, EVENTLET_NO_GREENDNS='yes')
        pid = state.spawn('swift-keystone', [
            str(python), str(SWIFT_TEMPLATES / 'allinone.py'), 'serve',
            str(etc / 'proxy-server.conf')], env)
        wait_for(self.answers, 'swift-keystone', log, pid)
        try:
            verify()
        except (OSError, ServiceError) as exc:
            raise ServiceError(f'swift-keystone answers but failed its '
                               f'round trip: {exc}; end of {log}:\n'
                               f'{tail(log)}') from exc

    def _configure(self, state, python):
        """The proxy's conf, and rings matching the storage servers'."""
        etc = state.root / 'swift-keystone' / 'etc'
        etc.mkdir(parents=True, exist_ok=True)
        values = {'swift_dir': etc, 'user': user_name(),
                  'memcached_port': MEMCACHED_PORT,
                  'port': SWIFT_KEYSTONE_PORT,
                  'keystone_url': KEYSTONE_URL,
                  'service_user': SWIFT_SERVICE_USER,
                  'service_password': SWIFT_SERVICE_PASSWORD,
                  'token_cache_time': TOKEN_CACHE_TIME}
        # The same hash path prefix and suffix, and rings of the same one
        # device per server, as the tempauth proxy's: objects land where
        # the storage servers look for them.
        render(SWIFT_TEMPLATES / 'swift.conf.in', etc / 'swift.conf',
               values)
        render(SWIFT_TEMPLATES / 'proxy-keystone-server.conf.in',
               etc / 'proxy-server.conf', values)
        if not all((etc / (n + '.ring.gz')).exists() for n in RING_PORTS):
            run([str(python), str(SWIFT_TEMPLATES / 'allinone.py'), 'rings',
                 str(etc), *(f'{n}={p}' for n, p in RING_PORTS.items())],
                state.log('swift-keystone'))
        return etc


def _swift(method, url, token, data=None):
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={'X-Auth-Token': token})
    with HTTP.open(request, timeout=10) as resp:
        return resp.read()


def verify():
    """Keystone token, then container and object PUT/GET/DELETE."""
    token, body = password_token(ADMIN['user'], ADMIN['password'],
                                 ADMIN['project'])
    account = f"{SWIFT_KEYSTONE_URL}/v1/AUTH_{body['project']['id']}"
    container = f'{account}/pratai-harness-check'
    data = f'pratai {uuid.uuid4()}\n'.encode()
    _swift('PUT', container, token)
    _swift('PUT', container + '/probe', token, data)
    got = _swift('GET', container + '/probe', token)
    if got != data:
        raise ServiceError(f'object GET returned {got!r}, not {data!r}')
    _swift('DELETE', container + '/probe', token)
    _swift('DELETE', container, token)


def env():
    """What the Keystone tests need, as tools/services.py env exports."""
    return {'PRATAI_KEYSTONE_URL': KEYSTONE_URL,
            'PRATAI_KEYSTONE_ADMIN_USER': ADMIN['user'],
            'PRATAI_KEYSTONE_ADMIN_PASSWORD': ADMIN['password'],
            'PRATAI_KEYSTONE_ADMIN_PROJECT': ADMIN['project'],
            'PRATAI_KEYSTONE_REGION': REGION,
            'PRATAI_SWIFT_KEYSTONE_URL': SWIFT_KEYSTONE_URL}
