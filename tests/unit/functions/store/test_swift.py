"""The swift store against an in-memory stand-in for swiftclient.

The real Swift is in tests/functional/test_swift_store.py; here are the
paths a real cluster rarely takes: lost races, corrupted uploads, outages.
"""

import dataclasses
import hashlib

import pytest
import requests
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from swiftclient import exceptions as swift_exc

from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import _swift_auth
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store import swift
from tests.unit.functions.conftest import make_conf

SPEC = FunctionSpec(name='hello', handler='handler', memory=64, timeout=5)
TEMPAUTH = ('[store]\ndriver = swift\ncontainer = fns\n[swift]\n'
            'auth_type = tempauth\nauth_url = http://swift.invalid/auth/v1.0\n'
            'user = test:tester\nkey = testing\n')


def _error(status):
    return swift_exc.ClientException(f'status {status}', http_status=status)


class FakeSwift:
    """Enough of swiftclient.Connection, on a dict, with faults to inject."""

    def __init__(self):
        self.objects = {}   # (container, name) -> (headers, body)
        self.containers = set()
        self.fail = {}      # method -> exception raised on next call
        self.hide_listing = False  # a listing that misses new objects
        self.calls = []

    def _check(self, method):
        self.calls.append(method)
        if method in self.fail:
            raise self.fail.pop(method)

    def put_container(self, container):
        self._check('put_container')
        self.containers.add(container)

    def get_container(self, container, prefix='', full_listing=False):
        self._check('get_container')
        if container not in self.containers:
            raise _error(404)
        names = [] if self.hide_listing else sorted(
            n for c, n in self.objects if c == container
            and n.startswith(prefix))
        return {}, [{'name': n} for n in names]

    def put_object(self, container, name, contents, etag, content_type,
                   headers):
        self._check('put_object')
        if headers.get('If-None-Match') == '*' and (
                container, name) in self.objects:
            raise _error(412)
        md5 = hashlib.md5(contents).hexdigest()
        if etag != md5:
            raise _error(422)
        stored = {k.lower(): v for k, v in headers.items()
                  if k.lower().startswith('x-object-meta-')}
        stored['content-length'] = str(len(contents))
        self.objects[container, name] = (stored, contents)
        if 'overtaken' in self.fail:
            # Another upload's PUT, begun meanwhile, commits after ours.
            self.objects[container, name] = self.fail.pop('overtaken')
        return self.fail.pop('etag', md5)

    def head_object(self, container, name):
        self._check('head_object')
        if (container, name) not in self.objects:
            raise _error(404)
        return dict(self.objects[container, name][0])

    def get_object(self, container, name):
        self._check('get_object')
        if (container, name) not in self.objects:
            raise _error(404)
        headers, body = self.objects[container, name]
        return dict(headers), body

    def delete_object(self, container, name):
        self._check('delete_object')
        if self.objects.pop((container, name), None) is None:
            raise _error(404)


@pytest.fixture
def fake():
    return FakeSwift()


@pytest.fixture
def store(tmp_path, fake):
    made = swift.SwiftStore(make_conf(tmp_path, TEMPAUTH))
    made._local.conn = fake
    return made


def test_round_trip(store, fake):
    first = store.put(SPEC, b'zip one')
    second = store.put(dataclasses.replace(SPEC, memory=256), b'zip two')
    assert (first.version, second.version) == (1, 2)
    assert fake.containers == {'fns'}
    headers, _ = fake.objects['fns', 'hello/v2.zip']
    assert headers['x-object-meta-memory'] == '256'
    assert headers['x-object-meta-sha256'] == second.sha256
    assert store.get('hello') == second
    assert store.get('hello', 1) == first
    assert store.fetch(first) == b'zip one'
    assert store.list() == [second]
    assert store.delete('hello') == [first, second]
    assert fake.objects == {}
    with pytest.raises(base.FunctionNotFound):
        store.get('hello')


def test_nothing_stored_yet(store):
    assert store.list() == []
    for call in (lambda: store.get('hello'), lambda: store.delete('hello'),
                 lambda: store.get('hello', 3), lambda: store.get('../x')):
        with pytest.raises(base.FunctionNotFound):
            call()


def test_list_ignores_foreign_objects(store, fake):
    store.put(SPEC, b'1')
    store.put(dataclasses.replace(SPEC, name='other'), b'1')
    store.put(SPEC, b'2')
    fake.objects['fns', 'README'] = ({}, b'')
    fake.objects['fns', 'hello/notes.txt'] = ({}, b'')
    assert [f.ref for f in store.list()] == ['hello:2', 'other:1']


def test_lost_race_takes_the_next_version(store, fake):
    store.put(SPEC, b'first')
    fake.hide_listing = True  # both uploads believe v1 is free
    function = store.put(SPEC, b'second')
    assert function.version == 2
    assert fake.calls.count('put_object') == 3  # v1 (412), v2 (201)
    assert fake.calls[-1] == 'head_object'  # read back
    fake.hide_listing = False
    assert store.fetch(store.get('hello', 2)) == b'second'


def test_a_newer_write_is_a_lost_race(store, fake):
    fake.containers.add('fns')
    fake.fail['put_object'] = _error(409)
    assert store.put(SPEC, b'z').version == 2


def test_overtaken_upload_takes_the_next_version(store, fake):
    winner = ({'x-object-meta-sha256': 'f' * 64,
               'x-object-meta-created-at': '2026-01-01T00:00:00.000000Z'},
              b'other')
    fake.fail['overtaken'] = winner
    function = store.put(SPEC, b'mine')
    assert function.version == 2
    assert fake.objects['fns', 'hello/v1.zip'] == winner
    assert store.fetch(function) == b'mine'


def test_unreadable_after_write(store, fake):
    fake.fail['head_object'] = _error(404)
    with pytest.raises(base.StoreUnavailable, match='not readable yet'):
        store.put(SPEC, b'z')


def test_gives_up_after_many_lost_races(store, fake):
    fake.hide_listing = True
    for version in range(1, swift._PUT_ATTEMPTS + 1):
        fake.objects['fns', f'hello/v{version}.zip'] = ({}, b'')
    with pytest.raises(base.StoreError, match='no free version'):
        store.put(SPEC, b'z')


def test_etag_mismatches_are_integrity_errors(store, fake):
    fake.fail['etag'] = 'd41d8cd98f00b204e9800998ecf8427e'
    with pytest.raises(base.IntegrityError, match='ETag'):
        store.put(SPEC, b'z')
    fake.fail['put_object'] = _error(422)
    with pytest.raises(base.IntegrityError, match='MD5'):
        store.put(SPEC, b'z')


def test_fetch_checks_sha256(store, fake):
    function = store.put(SPEC, b'zip')
    headers, _ = fake.objects['fns', 'hello/v1.zip']
    fake.objects['fns', 'hello/v1.zip'] = (headers, b'zap')
    with pytest.raises(base.IntegrityError, match='hello:1'):
        store.fetch(function)


def test_objects_without_metadata(store, fake):
    fake.containers.add('fns')
    fake.objects['fns', 'hello/v1.zip'] = ({'content-length': '1'}, b'z')
    with pytest.raises(base.StoreError, match='lacks pratai-bridge metadata'):
        store.get('hello')


@pytest.mark.parametrize('method', ['put_container', 'get_container',
                                    'put_object'])
@pytest.mark.parametrize('exc', [
    _error(503), _error(500), _error(429), _error(None),
    requests.exceptions.ConnectionError('refused'),
    requests.exceptions.ReadTimeout('slow'), ConnectionResetError(104),
    ks_exc.ConnectFailure('keystone down'),
    ks_exc.DiscoveryFailure('no keystone'),
    ks_exc.ServiceUnavailable(), ks_exc.GatewayTimeout(),
])
def test_outages_are_retryable(store, fake, method, exc):
    fake.fail[method] = exc
    with pytest.raises(base.StoreUnavailable):
        store.put(SPEC, b'z')


@pytest.mark.parametrize('exc', [_error(401), _error(403), _error(400),
                                 ks_exc.Unauthorized(),
                                 ks_exc.EndpointNotFound()])
def test_other_errors_are_not_retryable(store, fake, exc):
    fake.fail['get_container'] = exc
    with pytest.raises(base.StoreError) as info:
        store.list()
    assert not isinstance(info.value, base.StoreUnavailable)


def test_every_method_maps_outages(store, fake):
    function = store.put(SPEC, b'z')
    calls = {'head_object': lambda: store.get('hello', 1),
             'get_object': lambda: store.fetch(function),
             'delete_object': lambda: store.delete('hello')}
    for method, call in calls.items():
        fake.fail[method] = requests.exceptions.ConnectionError('down')
        with pytest.raises(base.StoreUnavailable, match='down'):
            call()


def test_connections_are_per_thread(store, fake):
    import threading
    seen = []
    thread = threading.Thread(target=lambda: seen.append(store._conn()))
    thread.start()
    thread.join()
    assert seen[0] is not fake
    assert seen[0].session is store._session
    assert seen[0].retries == 2 and seen[0].timeout == 30


def test_missing_tempauth_options(tmp_path):
    conf = make_conf(tmp_path, '[store]\ndriver = swift\n[swift]\n'
                               'auth_type = tempauth\nuser = a:b\n')
    with pytest.raises(base.StoreError, match='auth-url|key'):
        swift.SwiftStore(conf)


def test_unknown_auth_type(tmp_path):
    conf = make_conf(tmp_path, '[swift]\nauth_type = kerberos-ish\n')
    with pytest.raises(base.StoreError, match='kerberos-ish'):
        swift.SwiftStore(conf)


def test_keystone_password_plugin_loads(tmp_path):
    conf = make_conf(tmp_path, '[swift]\nauth_type = password\n'
                               'auth_url = http://keystone.invalid/v3\n'
                               'username = u\npassword = p\n'
                               'project_name = p\nuser_domain_id = default\n'
                               'project_domain_id = default\ntimeout = 7\n')
    session = _swift_auth.load_session(conf)
    assert session.auth.auth_url == 'http://keystone.invalid/v3'
    assert session.timeout == 7


class FakeResponse:
    def __init__(self, headers):
        self.headers = headers


class FakeSession:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def get(self, url, **kwargs):
        self.requests.append((url, kwargs))
        return FakeResponse(self.answers.pop(0))


def test_tempauth_plugin():
    plugin = _swift_auth.TempAuth('http://swift/auth/v1.0', 'a:b', 'k')
    session = FakeSession(
        {'X-Auth-Token': 't1', 'X-Storage-Url': 'http://swift/v1/AUTH_a'},
        {'X-Auth-Token': 't2', 'X-Storage-Url': 'http://swift/v1/AUTH_a'})
    assert plugin.get_token(session) == 't1'
    assert plugin.get_endpoint(session, service_type='object-store') == \
        'http://swift/v1/AUTH_a'
    assert len(session.requests) == 1  # kept until invalidated
    url, kwargs = session.requests[0]
    assert url == 'http://swift/auth/v1.0'
    assert kwargs['headers'] == {'X-Auth-User': 'a:b', 'X-Auth-Key': 'k'}
    assert kwargs['authenticated'] is False and kwargs['log'] is False
    assert plugin.invalidate() is True
    assert plugin.get_token(session) == 't2'


def test_tempauth_needs_token_and_storage_url():
    plugin = _swift_auth.TempAuth('http://swift/auth/v1.0', 'a:b', 'k')
    with pytest.raises(ks_exc.AuthorizationFailure, match='not a v1 auth'):
        plugin.get_token(FakeSession({'X-Auth-Token': 't'}))


def test_tempauth_session_from_conf(tmp_path):
    session = _swift_auth.load_session(make_conf(tmp_path, TEMPAUTH))
    assert isinstance(session, ks_session.Session)
    assert isinstance(session.auth, _swift_auth.TempAuth)
    assert (session.auth.user, session.auth.key) == ('test:tester',
                                                     'testing')
    assert session.timeout == 30


@pytest.mark.parametrize('field, value', [
    ('memory', '0'), ('memory', 'lots'), ('memory', '99999'),
    ('timeout', '0'), ('timeout', '-5'), ('network', 'host'),
    ('runtime', 'node'), ('handler', 'a/b'),
])
def test_invalid_stored_settings_are_refused_on_read(store, fake, field,
                                                     value):
    store.put(SPEC, b'zip')
    headers, body = fake.objects['fns', 'hello/v1.zip']
    headers[f'x-object-meta-{field}'] = value
    for read in (lambda: store.get('hello'), lambda: store.get('hello', 1),
                 store.list):
        with pytest.raises(base.InvalidStoredFunction,
                           match=f'hello:1: .*{field}') as info:
            read()
        assert info.value.field == field


def test_put_refuses_invalid_settings(store, fake):
    for changes in ({'memory': 0}, {'timeout': 0}, {'network': 'host'}):
        with pytest.raises(ValueError):
            store.put(dataclasses.replace(SPEC, **changes), b'z')
    assert fake.objects == {}


def test_warm_settings_round_trip_and_older_objects_have_none(store, fake):
    warm = dataclasses.replace(SPEC, warm_pool_size=0, warm_max_uses=5)
    stored = store.put(warm, b'zip')
    headers, _ = fake.objects['fns', 'hello/v1.zip']
    assert headers['x-object-meta-warm-pool-size'] == '0'
    assert headers['x-object-meta-warm-max-uses'] == '5'
    assert 'x-object-meta-warm-idle-time' not in headers
    assert store.get('hello') == stored
    older = store.put(SPEC, b'zip two')
    assert store.get('hello') == older
    assert older.spec.warm_pool_size is None


def test_invalid_stored_warm_settings_are_refused(store, fake):
    store.put(SPEC, b'zip')
    headers, _ = fake.objects['fns', 'hello/v1.zip']
    headers['x-object-meta-warm-idle-time'] = 'soon'
    with pytest.raises(base.InvalidStoredFunction,
                       match='warm_idle_time') as info:
        store.get('hello')
    assert info.value.field == 'warm_idle_time'
    headers['x-object-meta-warm-idle-time'] = '-1'
    with pytest.raises(base.InvalidStoredFunction, match='warm_idle_time'):
        store.get('hello')
