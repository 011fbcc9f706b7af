"""Creating and deleting functions: checks, the store, the runner."""


import pytest

from pratai_bridge import deploy
from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.functions import names
from pratai_bridge.functions.package import PackageError
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store.local import LocalStore
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import RunnerError
from tests.unit.functions.conftest import make_conf
from tests.unit.functions.zips import HELLO
from tests.unit.functions.zips import make_zip


@pytest.fixture
def store(conf):
    return LocalStore(conf)


def test_create_checks_then_stores(conf, store):
    data = make_zip({'fn.py': HELLO})
    function = deploy.create_function(conf, store, 'hello', data,
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
    with pytest.raises(spec_mod.InvalidFunction, match=message):
        deploy.create_function(conf, store, 'hello',
                                  make_zip({'fn.py': HELLO}), **settings)
    assert store.list() == []


def test_bounds_are_inclusive(conf, store):
    data = make_zip({'fn.py': HELLO})
    for memory, timeout in ((16, 1), (16384, 3600)):
        deploy.create_function(conf, store, 'f', data, memory=memory,
                                  timeout=timeout)


def test_bad_zip_or_name_stores_nothing(conf, store):
    with pytest.raises(PackageError):
        deploy.create_function(conf, store, 'hello', b'not a zip')
    with pytest.raises(names.InvalidName):
        deploy.create_function(conf, store, '../x',
                                  make_zip({'fn.py': HELLO}))
    assert store.list() == []


def test_limits_come_from_the_configuration(tmp_path):
    conf = make_conf(tmp_path, '[store]\nmax_files = 2\n'
                               'max_uncompressed_mb = 1\n')
    store = LocalStore(conf)
    with pytest.raises(PackageError, match='more than the 2 allowed'):
        deploy.create_function(conf, store, 'a', make_zip(
            {'fn.py': HELLO, 'b': '', 'c': ''}))
    with pytest.raises(PackageError, match='1048576 allowed'):
        deploy.create_function(conf, store, 'a', make_zip(
            {'fn.py': HELLO, 'big': b'\0' * (1024 * 1024)}))


def test_delete_function(conf, store):
    data = make_zip({'fn.py': HELLO})
    deploy.create_function(conf, store, 'hello', data)
    deploy.create_function(conf, store, 'hello', data)
    deleted = deploy.delete_function(conf, store, 'hello')
    assert [f.ref for f in deleted] == ['hello:1', 'hello:2']
    with pytest.raises(base.FunctionNotFound):
        deploy.delete_function(conf, store, 'hello')


class RecordingRunner:
    """Records prepare() and forget(); runs nothing. ``fail`` makes
    forget() fail, ``build_fails`` prepare()."""

    def __init__(self, fail=False, build_fails=None):
        self.forgotten = []
        self.prepared = []
        self.fail = fail
        self.build_fails = build_fails

    def prepare(self, function, package, progress=None):
        self.prepared.append((function, package, progress))
        if self.build_fails is not None:
            raise self.build_fails

    def forget(self, function):
        self.forgotten.append(function.ref)
        if self.fail:
            raise RunnerError('engine away')


def test_delete_function_forgets_images_no_other_function_uses(conf, store):
    shared = make_zip({'fn.py': HELLO})
    deploy.create_function(conf, store, 'hello', shared)
    deploy.create_function(conf, store, 'hello', make_zip(
        {'fn.py': HELLO + '\n'}))
    deploy.create_function(conf, store, 'hello', shared)
    deploy.create_function(conf, store, 'other', shared)
    runner = RecordingRunner()
    deleted = deploy.delete_function(conf, store, 'hello', runner)
    assert len(deleted) == 3
    # v1 and v3 share their zip with "other": only v2's goes.
    assert runner.forgotten == ['hello:2']
    deploy.delete_function(conf, store, 'other', runner)
    assert runner.forgotten == ['hello:2', 'other:1']


def test_delete_function_survives_a_failing_runner(conf, store, caplog):
    deploy.create_function(conf, store, 'hello',
                              make_zip({'fn.py': HELLO}))
    runner = RecordingRunner(fail=True)
    deleted = deploy.delete_function(conf, store, 'hello', runner)
    assert [f.ref for f in deleted] == ['hello:1']
    assert runner.forgotten == ['hello:1']
    assert 'engine away' in caplog.text
    assert store.list() == []


def test_create_builds_then_stores(conf, store):
    data = make_zip({'fn.py': HELLO})
    runner = RecordingRunner()
    function = deploy.create_function(conf, store, 'hello', data,
                                      runner=runner, progress=print,
                                      warm_max_uses=5)
    [(built, package, progress)] = runner.prepared
    assert (package, progress) == (data, print)
    # The version about to be stored, by the same zip and settings.
    assert (built.version, built.sha256, built.spec) == (
        0, function.sha256, function.spec)
    assert function.spec.warm_max_uses == 5


def test_a_zip_that_cannot_be_built_stores_nothing(conf, store):
    runner = RecordingRunner(build_fails=BuildFailed('no wheel for six'))
    with pytest.raises(BuildFailed, match='no wheel'):
        deploy.create_function(conf, store, 'hello',
                               make_zip({'fn.py': HELLO}), runner=runner)
    assert store.list() == []


def test_warm_settings_are_checked_before_the_zip(conf, store):
    with pytest.raises(spec_mod.InvalidFunction,
                       match='warm idle time must be') as info:
        deploy.create_function(conf, store, 'hello', b'not a zip',
                               warm_idle_time=-1)
    assert info.value.field == 'warm_idle_time'


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)
