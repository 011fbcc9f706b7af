import dataclasses
import json

import pytest

from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store.local import LocalStore
from tests.unit.functions.conftest import make_conf
from tests.unit.functions.store import contract

SPEC = FunctionSpec(name='hello', handler='handler', memory=64, timeout=5)


@pytest.fixture
def store(conf):
    return LocalStore(conf)


def test_directory_follows_state_path(store, tmp_path):
    assert store.root == tmp_path / 'functions'


def test_versions_increase(store, tmp_path):
    first = store.put(SPEC, b'zip one')
    second = store.put(dataclasses.replace(SPEC, memory=256), b'zip two')
    assert (first.version, second.version) == (1, 2)
    assert store.get('hello') == second
    assert store.get('hello', 1) == first
    assert store.get('hello', 2).spec.memory == 256
    assert first.created_at.endswith('Z') and first.size == 7
    record = json.loads((tmp_path / 'functions/hello/v1.json').read_text())
    assert record['spec']['handler'] == 'handler'
    assert record['sha256'] == first.sha256


def test_fetch_returns_the_verified_bytes(store, tmp_path):
    function = store.put(SPEC, b'zip bytes')
    assert store.fetch(function) == b'zip bytes'
    (tmp_path / 'functions/hello/v1.zip').write_bytes(b'zip bytez')
    with pytest.raises(base.IntegrityError, match='hello:1'):
        store.fetch(function)
    with pytest.raises(base.IntegrityError):
        store.fetch(dataclasses.replace(function, sha256='0' * 64))


def test_unknown_functions(store):
    for call in (lambda: store.get('nobody'), lambda: store.get('hello', 1),
                 lambda: store.delete('nobody'),
                 lambda: store.get('../etc'), lambda: store.get('.lock')):
        with pytest.raises(base.FunctionNotFound):
            call()
    function = store.put(SPEC, b'z')
    with pytest.raises(base.FunctionNotFound):
        store.get('hello', 2)
    store.delete('hello')
    with pytest.raises(base.FunctionNotFound):
        store.fetch(function)


def test_invalid_names_are_refused(store, tmp_path):
    for name in ('../escape', '.hidden', 'a/b', '', 'x' * 129):
        with pytest.raises(ValueError, match='invalid function name'):
            store.put(dataclasses.replace(SPEC, name=name), b'z')
    assert not (tmp_path / 'escape').exists()


def test_list_gives_the_latest_of_each(store):
    assert store.list() == []
    store.put(dataclasses.replace(SPEC, name='zeta'), b'1')
    store.put(SPEC, b'1')
    latest = store.put(SPEC, b'2')
    (store.root / 'not a function').mkdir()
    (store.root / 'empty').mkdir()
    listed = store.list()
    assert [(f.name, f.version) for f in listed] == [('hello', 2),
                                                     ('zeta', 1)]
    assert listed[0] == latest


def test_delete_removes_every_version(store):
    store.put(SPEC, b'1')
    store.put(SPEC, b'2')
    store.put(dataclasses.replace(SPEC, name='other'), b'1')
    deleted = store.delete('hello')
    assert [f.version for f in deleted] == [1, 2]
    assert not (store.root / 'hello').exists()
    assert [f.name for f in store.list()] == ['other']
    assert store.put(SPEC, b'again').version == 1


def test_concurrent_puts_get_distinct_versions(store):
    contract.concurrent_puts(store, SPEC, 16)
    leftovers = [p.name for p in (store.root / 'hello').iterdir()
                 if not p.name.startswith('v')]
    assert leftovers == []


def test_two_stores_on_one_directory_share_the_lock(tmp_path):
    one, two = LocalStore(make_conf(tmp_path)), LocalStore(
        make_conf(tmp_path))
    assert one.put(SPEC, b'a').version == 1
    assert two.put(SPEC, b'b').version == 2


def test_half_written_versions_are_invisible(store):
    store.put(SPEC, b'1')
    # A crash between the zip and its record leaves an orphan zip (and a
    # temporary file): not a version, and overwritten by the next put.
    (store.root / 'hello/v2.zip').write_bytes(b'orphan')
    (store.root / 'hello/.v3.json.1234.tmp').write_text('{')
    assert store.get('hello').version == 1
    function = store.put(SPEC, b'new')
    assert function.version == 2
    assert store.fetch(function) == b'new'


def test_corrupt_record_is_a_store_error(store):
    store.put(SPEC, b'1')
    (store.root / 'hello/v1.json').write_text('{"spec": {}}')
    with pytest.raises(base.StoreError, match='corrupt record') as info:
        store.get('hello')
    assert not isinstance(info.value, base.FunctionNotFound)


def test_unwritable_directory_is_a_store_error(tmp_path):
    (tmp_path / 'file').write_text('not a directory')
    conf = make_conf(tmp_path, '[store]\nlocal_directory = '
                               f'{tmp_path}/file/functions\n')
    with pytest.raises(base.StoreError, match='cannot store hello'):
        LocalStore(conf).put(SPEC, b'1')


@pytest.mark.parametrize('field, value', [
    ('memory', 0), ('memory', '128'), ('memory', -1), ('timeout', 0),
    ('timeout', 99999), ('network', 'host'), ('runtime', 'node'),
    ('handler', '../../x'), ('name', 'other'),
])
def test_invalid_stored_settings_are_refused_on_read(store, field, value):
    store.put(SPEC, b'1')
    path = store.root / 'hello/v1.json'
    record = json.loads(path.read_text())
    record['spec'][field] = value
    path.write_text(json.dumps(record))
    for read in (lambda: store.get('hello'), lambda: store.get('hello', 1),
                 store.list):
        with pytest.raises(base.InvalidStoredFunction,
                           match=f'hello:1: .*{field}') as info:
            read()
        assert info.value.field == field
        assert not isinstance(info.value, base.FunctionNotFound)


def test_a_record_of_another_version_is_refused(store):
    store.put(SPEC, b'1')
    path = store.root / 'hello/v1.json'
    record = json.loads(path.read_text())
    record['version'] = 7
    path.write_text(json.dumps(record))
    with pytest.raises(base.InvalidStoredFunction,
                       match='hello:1: .*version') as info:
        store.get('hello')
    assert info.value.field == 'version'


def test_put_refuses_invalid_settings(store):
    for changes in ({'memory': 0}, {'timeout': 0}, {'handler': '../x'}):
        with pytest.raises(ValueError):
            store.put(dataclasses.replace(SPEC, **changes), b'z')
    assert store.list() == []


def test_warm_settings_round_trip_and_older_records_have_none(store,
                                                             tmp_path):
    warm = dataclasses.replace(SPEC, warm_pool_size=3, warm_idle_time=0)
    assert store.get('hello', store.put(warm, b'zip').version).spec == warm
    record_path = tmp_path / 'functions/hello/v1.json'
    record = json.loads(record_path.read_text())
    for field in ('warm_pool_size', 'warm_idle_time', 'warm_max_uses'):
        del record['spec'][field]  # written before warm settings existed
    record_path.write_text(json.dumps(record))
    assert store.get('hello', 1).spec == SPEC
