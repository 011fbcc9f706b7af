"""The swift store against a real Swift with tempauth (tools/services.py).

``python3 tools/services.py start swift`` starts one; the address and
credentials come from ``PRATAI_SWIFT_AUTH_URL``, ``PRATAI_SWIFT_USER`` and
``PRATAI_SWIFT_KEY`` (``tools/services.py env``), defaulting to what the
harness starts. Without a Swift the tests skip, and fail under CI.
Each test uses a container of its own, removed afterwards.
"""

import dataclasses
import os
import threading
import time
import uuid

import pytest
from oslo_config import cfg
from swiftclient import client as swift_client

from pratai_bridge.conf import paths
from pratai_bridge.conf import store as store_conf
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import _loader
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store.swift import SwiftStore
from tests.unit.functions.store import contract
from tests.functional.unavailable import unavailable

AUTH_URL = os.environ.get('PRATAI_SWIFT_AUTH_URL',
                          'http://127.0.0.1:8080/auth/v1.0')
USER = os.environ.get('PRATAI_SWIFT_USER', 'test:tester')
KEY = os.environ.get('PRATAI_SWIFT_KEY', 'testing')
SPEC = FunctionSpec(name='hello', handler='handler', memory=64, timeout=5,
                    network='bridge')
FUNCTION = Function(spec=SPEC, version=1, sha256='0' * 64, size=1,
                    created_at='2026-01-01T00:00:00.000000Z')


def _raw_connection(auth_url=AUTH_URL):
    """A plain swiftclient connection (its own v1 auth) to look behind."""
    return swift_client.Connection(authurl=auth_url, user=USER, key=KEY,
                                   auth_version='1', retries=0, timeout=5)


@pytest.fixture(scope='module')
def swift():
    try:
        _raw_connection().head_account()
    except Exception as exc:  # any failure means: no usable Swift
        unavailable(f'Swift does not answer at {AUTH_URL}: {exc} '
                    '(python3 tools/services.py start swift)')
    return _raw_connection()


def _conf(tmp_path, container, auth_url=AUTH_URL, extra='', key=KEY):
    conf = cfg.ConfigOpts()
    paths.register_opts(conf)
    store_conf.register_opts(conf)
    path = tmp_path / f'swift-{uuid.uuid4().hex}.conf'
    path.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\n'
                    f'[store]\ndriver = swift\ncontainer = {container}\n'
                    f'[swift]\nauth_type = tempauth\nauth_url = {auth_url}\n'
                    f'user = {USER}\nkey = {key}\n{extra}')
    conf(['--config-file', str(path)], default_config_files=[])
    return conf


@pytest.fixture
def container(swift):
    name = f'pratai-test-{uuid.uuid4().hex[:12]}'
    yield name
    try:
        _, objects = swift.get_container(name, full_listing=True)
    except swift_client.ClientException:
        return
    for entry in objects:
        swift.delete_object(name, entry['name'])
    swift.delete_container(name)


@pytest.fixture
def store(tmp_path, container):
    made = _loader.load_store(_conf(tmp_path, container))
    assert isinstance(made, SwiftStore)
    return made


def test_versions_fetch_list_delete(store, swift, container):
    first = store.put(SPEC, b'zip one')
    second = store.put(dataclasses.replace(SPEC, memory=256), b'zip two')
    assert (first.version, second.version) == (1, 2)

    headers = swift.head_object(container, 'hello/v2.zip')
    assert headers['x-object-meta-handler'] == 'handler'
    assert headers['x-object-meta-memory'] == '256'
    assert headers['x-object-meta-timeout'] == '5'
    assert headers['x-object-meta-network'] == 'bridge'
    assert headers['x-object-meta-runtime'] == 'python3'
    assert headers['x-object-meta-sha256'] == second.sha256
    assert headers['x-object-meta-created-at'] == second.created_at
    assert headers['content-type'] == 'application/zip'

    assert store.get('hello') == second
    assert store.get('hello', 1) == first
    assert store.fetch(store.get('hello')) == b'zip two'
    assert store.fetch(first) == b'zip one'

    other = store.put(dataclasses.replace(SPEC, name='other'), b'z')
    assert store.list() == [second, other]

    assert store.delete('hello') == [first, second]
    with pytest.raises(base.FunctionNotFound):
        store.get('hello')
    with pytest.raises(base.FunctionNotFound):
        store.fetch(first)
    with pytest.raises(base.FunctionNotFound):
        store.delete('hello')
    assert store.list() == [other]


def test_fetch_verifies_sha256(store, swift, container):
    function = store.put(SPEC, b'the real zip')
    with pytest.raises(base.IntegrityError):
        store.fetch(dataclasses.replace(function, sha256='0' * 64))
    # Someone overwrites the object behind the store's back.
    swift.put_object(container, 'hello/v1.zip', b'a tampered zip')
    with pytest.raises(base.IntegrityError, match='hello:1'):
        store.fetch(function)


@pytest.mark.parametrize('field, value', [
    ('Memory', '0'), ('Memory', 'lots'), ('Timeout', '0'),
    ('Network', 'host'), ('Handler', '../x'),
])
def test_settings_changed_behind_the_store_are_refused(
        store, swift, container, field, value):
    store.put(SPEC, b'the zip')
    # Someone rewrites the metadata (a POST replaces all of it).
    headers = {k: v for k, v in swift.head_object(
        container, 'hello/v1.zip').items() if k.startswith('x-object-meta-')}
    headers[f'x-object-meta-{field.lower()}'] = value
    swift.post_object(container, 'hello/v1.zip', headers)
    assert swift.head_object(container, 'hello/v1.zip')[
        f'x-object-meta-{field.lower()}'] == value
    for read in (lambda: store.get('hello'), store.list):
        with pytest.raises(base.InvalidStoredFunction,
                           match=f'hello:1: the stored {field.lower()} '
                                 'is invalid') as info:
            read()
        assert info.value.field == field.lower()


def test_no_container_yet(store):
    assert store.list() == []
    with pytest.raises(base.FunctionNotFound):
        store.get('hello')


def test_if_none_match_guards_a_lost_race(store, swift, container):
    store.put(SPEC, b'first')
    # Both uploads of a race list NAME/ before either PUTs: replay that by
    # hiding the listing from the second.
    store._versions = lambda name: []
    function = store.put(SPEC, b'second')
    assert function.version == 2
    assert swift.get_object(container, 'hello/v1.zip')[1] == b'first'
    assert swift.get_object(container, 'hello/v2.zip')[1] == b'second'


def test_concurrent_puts_get_distinct_versions(store):
    contract.concurrent_puts(store, SPEC, 6)


@pytest.mark.parametrize('auth_url, extra', [
    ('http://127.0.0.1:1/auth/v1.0', ''),                 # auth unreachable
    (AUTH_URL, 'endpoint_override = http://127.0.0.1:1/v1/AUTH_test\n'),
])
def test_unreachable_swift_is_unavailable(tmp_path, swift, auth_url, extra):
    store = SwiftStore(_conf(tmp_path, 'pratai-unreachable', auth_url,
                             extra + 'retries = 1\n'))
    calls = [lambda: store.put(SPEC, b'z'), lambda: store.get('hello'),
             lambda: store.list(), lambda: store.delete('hello'),
             lambda: store.fetch(FUNCTION)]
    for call in calls:
        began = time.monotonic()
        with pytest.raises(base.StoreUnavailable):
            call()
        assert time.monotonic() - began < 10


def test_bad_credentials_are_not_retryable(tmp_path, swift, container):
    conf = _conf(tmp_path, container, key='wrong')
    with pytest.raises(base.StoreError, match='401') as info:
        SwiftStore(conf).list()
    assert not isinstance(info.value, base.StoreUnavailable)


def test_two_bridges_never_hand_back_wrong_bytes(tmp_path, container):
    # Two stores (as two bridges would have) racing on one name: each
    # upload either lands as its own version or, in the race the module
    # docstring describes, fails fetch; it never fetches another's bytes.
    stores = [SwiftStore(_conf(tmp_path, container)) for _ in range(2)]
    results, errors = [], []
    barrier = threading.Barrier(8)

    def upload(number):
        try:
            barrier.wait()
            data = b'zip %d' % number
            results.append((data, stores[number % 2].put(SPEC, data)))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for data, function in results:
        try:
            assert stores[0].fetch(function) == data
        except base.IntegrityError:
            pass
    versions = {f.version for _, f in results}
    assert stores[0].get('hello').version == max(versions)
