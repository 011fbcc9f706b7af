"""The settings of a function and the one rule that checks them."""

import dataclasses

import pytest

from pratai_bridge.functions import names
from pratai_bridge.functions import spec as spec_mod


def test_make_spec():
    spec = spec_mod.make_spec('hello', 'fn', memory=64)
    assert (spec.name, spec.handler, spec.memory, spec.runtime) == (
        'hello', 'fn', 64, 'python3')
    with pytest.raises(spec_mod.InvalidFunction, match='runtime'):
        spec_mod.make_spec('hello', 'fn', runtime='node')


def test_check_spec_accepts_what_make_spec_makes():
    spec = spec_mod.make_spec('hello', 'pkg.mod', memory=16, timeout=3600,
                               network='bridge')
    assert spec_mod.check_spec(spec) is spec


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
        spec_mod.make_spec('hello', 'fn'), **changes)
    with pytest.raises(spec_mod.InvalidFunction) as info:
        spec_mod.check_spec(spec)
    assert info.value.field == field


def test_check_spec_checks_the_name():
    spec = dataclasses.replace(spec_mod.make_spec('hello', 'fn'),
                               name='../x')
    with pytest.raises(names.InvalidName):
        spec_mod.check_spec(spec)


def test_make_spec_checks_the_handler():
    with pytest.raises(spec_mod.InvalidFunction, match='handler'):
        spec_mod.make_spec('hello', 'not-a-module')


def test_warm_settings_default_to_the_runner_s():
    spec = spec_mod.make_spec('hello', 'fn')
    assert (spec.warm_pool_size, spec.warm_idle_time,
            spec.warm_max_uses) == (None, None, None)
    spec = spec_mod.make_spec('hello', 'fn', warm={
        'warm_pool_size': 0, 'warm_idle_time': 86400, 'warm_max_uses': 1})
    assert (spec.warm_pool_size, spec.warm_idle_time,
            spec.warm_max_uses) == (0, 86400, 1)


@pytest.mark.parametrize('changes, field', [
    ({'warm_pool_size': -1}, 'warm_pool_size'),
    ({'warm_pool_size': 65}, 'warm_pool_size'),
    ({'warm_idle_time': 1.5}, 'warm_idle_time'),
    ({'warm_max_uses': '3'}, 'warm_max_uses'),
    ({'warm_max_uses': True}, 'warm_max_uses'),
])
def test_warm_settings_out_of_bounds_name_the_field(changes, field):
    spec = dataclasses.replace(spec_mod.make_spec('hello', 'fn'), **changes)
    with pytest.raises(spec_mod.InvalidFunction) as info:
        spec_mod.check_spec(spec)
    assert info.value.field == field


def test_an_unknown_warm_setting_is_refused():
    with pytest.raises(spec_mod.InvalidFunction, match='not a warm setting'):
        spec_mod.make_spec('hello', 'fn', warm={'warm_pool': 1})
