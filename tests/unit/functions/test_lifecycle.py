import dataclasses

import pytest

from pratai_bridge.functions import lifecycle
from pratai_bridge.functions import names
from pratai_bridge.functions.package import PackageError
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store.local import LocalStore
from pratai_bridge.runners.base import RunnerError
from tests.unit.functions.conftest import make_conf
from tests.unit.functions.zips import HELLO
from tests.unit.functions.zips import make_zip


@pytest.fixture
def store(conf):
    return LocalStore(conf)


def test_create_checks_then_stores(conf, store):
    data = make_zip({'fn.py': HELLO})
    function = lifecycle.create_function(conf, store, 'hello', data,
                                         memory=256, timeout=60,
                                         network='bridge')
    assert (function.version, function.spec.handler) == (1, 'fn')
    assert (function.spec.memory, function.spec.timeout,
            function.spec.network) == (256, 60, 'bridge')
    assert store.fetch(function) == data


@pytest.mark.parametrize('settings, message', [
    ({'memory': 15}, 'memory'), ({'memory': 16385}, 'memory'),
    ({'timeout': 0}, 'timeout'), ({'timeout': 3601}, 'timeout'),
    ({'memory': True}, 'memory'), ({'network': 'host'}, 'network'),
])
def test_settings_out_of_bounds(conf, store, settings, message):
    with pytest.raises(lifecycle.InvalidFunction, match=message):
        lifecycle.create_function(conf, store, 'hello',
                                  make_zip({'fn.py': HELLO}), **settings)
    assert store.list() == []


def test_bounds_are_inclusive(conf, store):
    data = make_zip({'fn.py': HELLO})
    for memory, timeout in ((16, 1), (16384, 3600)):
        lifecycle.create_function(conf, store, 'f', data, memory=memory,
                                  timeout=timeout)


def test_bad_zip_or_name_stores_nothing(conf, store):
    with pytest.raises(PackageError):
        lifecycle.create_function(conf, store, 'hello', b'not a zip')
    with pytest.raises(names.InvalidName):
        lifecycle.create_function(conf, store, '../x',
                                  make_zip({'fn.py': HELLO}))
    assert store.list() == []


def test_limits_come_from_the_configuration(tmp_path):
    conf = make_conf(tmp_path, '[store]\nmax_files = 2\n'
                               'max_uncompressed_mb = 1\n')
    store = LocalStore(conf)
    with pytest.raises(PackageError, match='more than the 2 allowed'):
        lifecycle.create_function(conf, store, 'a', make_zip(
            {'fn.py': HELLO, 'b': '', 'c': ''}))
    with pytest.raises(PackageError, match='1048576 allowed'):
        lifecycle.create_function(conf, store, 'a', make_zip(
            {'fn.py': HELLO, 'big': b'\0' * (1024 * 1024)}))


def test_make_spec():
    spec = lifecycle.make_spec('hello', 'fn', memory=64)
    assert (spec.name, spec.handler, spec.memory, spec.runtime) == (
        'hello', 'fn', 64, 'python3')
    with pytest.raises(lifecycle.InvalidFunction, match='runtime'):
        lifecycle.make_spec('hello', 'fn', runtime='node')


def test_delete_function(conf, store):
    data = make_zip({'fn.py': HELLO})
    lifecycle.create_function(conf, store, 'hello', data)
    lifecycle.create_function(conf, store, 'hello', data)
    deleted = lifecycle.delete_function(conf, store, 'hello')
    assert [f.ref for f in deleted] == ['hello:1', 'hello:2']
    with pytest.raises(base.FunctionNotFound):
        lifecycle.delete_function(conf, store, 'hello')


class RecordingRunner:
    """Records forget(); prepares and runs nothing."""

    def __init__(self, fail=False):
        self.forgotten = []
        self.fail = fail

    def forget(self, function):
        self.forgotten.append(function.ref)
        if self.fail:
            raise RunnerError('engine away')


def test_delete_function_forgets_images_no_other_function_uses(conf, store):
    shared = make_zip({'fn.py': HELLO})
    lifecycle.create_function(conf, store, 'hello', shared)
    lifecycle.create_function(conf, store, 'hello', make_zip(
        {'fn.py': HELLO + '\n'}))
    lifecycle.create_function(conf, store, 'hello', shared)
    lifecycle.create_function(conf, store, 'other', shared)
    runner = RecordingRunner()
    deleted = lifecycle.delete_function(conf, store, 'hello', runner)
    assert len(deleted) == 3
    # v1 and v3 share their zip with "other": only v2's goes.
    assert runner.forgotten == ['hello:2']
    lifecycle.delete_function(conf, store, 'other', runner)
    assert runner.forgotten == ['hello:2', 'other:1']


def test_delete_function_survives_a_failing_runner(conf, store, caplog):
    lifecycle.create_function(conf, store, 'hello',
                              make_zip({'fn.py': HELLO}))
    runner = RecordingRunner(fail=True)
    deleted = lifecycle.delete_function(conf, store, 'hello', runner)
    assert [f.ref for f in deleted] == ['hello:1']
    assert runner.forgotten == ['hello:1']
    assert 'engine away' in caplog.text
    assert store.list() == []


def test_check_spec_accepts_what_make_spec_makes():
    spec = lifecycle.make_spec('hello', 'pkg.mod', memory=16, timeout=3600,
                               network='bridge')
    assert lifecycle.check_spec(spec) is spec


@pytest.mark.parametrize('changes, field', [
    ({'memory': 0}, 'memory'), ({'memory': '128'}, 'memory'),
    ({'memory': 16385}, 'memory'), ({'timeout': 0}, 'timeout'),
    ({'timeout': 2.5}, 'timeout'), ({'timeout': None}, 'timeout'),
    ({'network': 'host'}, 'network'), ({'runtime': 'node'}, 'runtime'),
    ({'handler': '../x'}, 'handler'), ({'handler': ''}, 'handler'),
    ({'handler': 'a.class'}, 'handler'), ({'handler': 7}, 'handler'),
])
def test_check_spec_names_the_field(changes, field):
    spec = dataclasses.replace(
        lifecycle.make_spec('hello', 'fn'), **changes)
    with pytest.raises(lifecycle.InvalidFunction) as info:
        lifecycle.check_spec(spec)
    assert info.value.field == field


def test_check_spec_checks_the_name():
    spec = dataclasses.replace(lifecycle.make_spec('hello', 'fn'),
                               name='../x')
    with pytest.raises(names.InvalidName):
        lifecycle.check_spec(spec)


def test_make_spec_checks_the_handler():
    with pytest.raises(lifecycle.InvalidFunction, match='handler'):
        lifecycle.make_spec('hello', 'not-a-module')
