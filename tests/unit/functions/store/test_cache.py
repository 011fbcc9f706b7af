"""The host's cache of the store, over a real local store that counts
calls and can be made unavailable."""

import dataclasses
import logging
import threading
import time

import pytest

from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import _loader
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store import cache as cache_mod
from pratai_bridge.functions.store.local import LocalStore
from tests.unit.functions.conftest import make_conf

SPEC = FunctionSpec(name='hello', handler='handler')


class CountingStore(LocalStore):
    """A local store whose calls are counted, and that is unavailable
    while ``down``; ``gate`` holds get() until set."""

    def __init__(self, conf):
        super().__init__(conf)
        self.calls = []
        self.down = False
        self.gate = None

    def _called(self, what):
        self.calls.append(what)
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.down:
            raise base.StoreUnavailable('swift is down')

    def get(self, name, version=None):
        self._called('get')
        return super().get(name, version)

    def fetch(self, function):
        self._called('fetch')
        return super().fetch(function)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    made = Clock()
    monkeypatch.setattr(cache_mod.time, 'monotonic', made)
    return made


@pytest.fixture
def store(conf):
    return CountingStore(conf)


@pytest.fixture
def cached(conf, store, clock):
    return cache_mod.CachedStore(conf, store)


def test_the_bridge_loads_the_store_cached(conf):
    made = _loader.load_store(conf, cached=True)
    assert isinstance(made, cache_mod.CachedStore)
    assert isinstance(made.store, LocalStore)
    assert not isinstance(_loader.load_store(conf), cache_mod.CachedStore)


def test_the_latest_version_is_asked_for_once_per_interval(cached, store,
                                                           clock):
    first = store.put(SPEC, b'zip one')
    assert cached.get('hello') == first
    assert cached.get('hello') == first
    assert store.calls == ['get']
    second = store.put(dataclasses.replace(SPEC, memory=64), b'zip two')
    clock.now += 4.9
    assert cached.get('hello') == first  # within [store] refresh_interval
    clock.now += 0.1
    assert cached.get('hello') == second
    assert store.calls == ['get', 'get']


def test_an_interval_of_0_asks_every_time(conf, store, clock):
    conf.set_override('refresh_interval', 0, group='store')
    cached = cache_mod.CachedStore(conf, store)
    store.put(SPEC, b'zip')
    cached.get('hello')
    cached.get('hello')
    assert store.calls == ['get', 'get']


def test_a_given_version_is_the_store_s(cached, store):
    first = store.put(SPEC, b'zip')
    assert cached.get('hello', 1) == first
    with pytest.raises(base.FunctionNotFound):
        cached.get('hello', 2)
    assert store.calls == ['get', 'get']


def test_a_zip_is_fetched_once_and_survives_a_restart(conf, cached, store,
                                                      clock, tmp_path):
    function = store.put(SPEC, b'zip bytes')
    assert cached.fetch(function) == b'zip bytes'
    assert cached.fetch(function) == b'zip bytes'
    assert store.calls == ['fetch']
    assert (tmp_path / 'function-cache' / 'zips' /
            f'{function.sha256}.zip').read_bytes() == b'zip bytes'
    restarted = cache_mod.CachedStore(conf, store)
    assert restarted.fetch(function) == b'zip bytes'
    assert store.calls == ['fetch']


def test_a_damaged_cached_zip_is_fetched_again(cached, store, tmp_path,
                                               caplog):
    function = store.put(SPEC, b'zip bytes')
    cached.fetch(function)
    (tmp_path / 'function-cache' / 'zips' /
     f'{function.sha256}.zip').write_bytes(b'zip bytez')
    assert cached.fetch(function) == b'zip bytes'
    assert store.calls == ['fetch', 'fetch']
    assert 'the cached zip' in caplog.text


def test_an_outage_runs_the_last_version_seen(conf, cached, store, clock,
                                              caplog):
    function = store.put(SPEC, b'zip')
    cached.get('hello')
    cached.fetch(function)
    store.down = True
    clock.now += 60
    with caplog.at_level(logging.WARNING):
        assert cached.get('hello') == function
    assert 'function hello runs its last version seen, hello:1' in \
        caplog.text
    assert cached.fetch(function) == b'zip'
    # Asked again only after the interval, not at every execution.
    cached.get('hello')
    assert store.calls == ['get', 'fetch', 'get']
    # ...and after a restart, from the disk.
    restarted = cache_mod.CachedStore(conf, store)
    assert restarted.get('hello') == function
    assert restarted.fetch(function) == b'zip'
    store.down = False
    clock.now += 60
    newer = store.put(dataclasses.replace(SPEC, timeout=5), b'zip 2')
    assert cached.get('hello') == newer


def test_an_outage_fails_what_this_host_never_saw(cached, store):
    function = store.put(SPEC, b'zip')
    store.down = True
    with pytest.raises(base.StoreUnavailable):
        cached.get('hello')
    with pytest.raises(base.StoreUnavailable):
        cached.fetch(function)


def test_a_deleted_function_is_forgotten_with_its_zip(cached, store, clock,
                                                      tmp_path):
    function = store.put(SPEC, b'zip')
    cached.get('hello')
    cached.fetch(function)
    store.delete('hello')
    clock.now += 60
    with pytest.raises(base.FunctionNotFound):
        cached.get('hello')
    root = tmp_path / 'function-cache'
    assert list((root / 'latest').iterdir()) == []
    assert list((root / 'zips').iterdir()) == []
    store.down = True  # and no outage brings it back
    with pytest.raises(base.StoreUnavailable):
        cached.get('hello')


def test_a_zip_another_function_runs_is_kept(cached, store, clock,
                                             tmp_path):
    first = store.put(SPEC, b'same zip')
    twin = store.put(dataclasses.replace(SPEC, name='twin'), b'same zip')
    for function in (first, twin):
        cached.get(function.name)
        cached.fetch(function)
    newer = store.put(SPEC, b'another zip')
    clock.now += 60
    assert cached.get('hello') == newer
    zips = tmp_path / 'function-cache' / 'zips'
    assert (zips / f'{first.sha256}.zip').exists()  # twin's latest
    cached.fetch(newer)
    store.put(SPEC, b'a third zip')
    clock.now += 60
    cached.get('hello')
    assert not (zips / f'{newer.sha256}.zip').exists()


def test_others_do_not_wait_for_a_refresh_in_flight(cached, store, clock):
    function = store.put(SPEC, b'zip')
    cached.get('hello')
    clock.now += 60
    gate = store.gate = threading.Event()
    slow = threading.Thread(target=cached.get, args=('hello',))
    slow.start()
    try:
        deadline = time.monotonic() + 10
        while store.calls.count('get') < 2:  # the refresh, held
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert cached.get('hello') == function  # at once, from memory
        assert store.calls.count('get') == 2
    finally:
        gate.set()
        slow.join(10)


def test_put_and_delete_keep_the_cache_current(cached, store, clock):
    function = cached.put(SPEC, b'zip')
    assert cached.get('hello') == function
    assert cached.fetch(function) == b'zip'
    assert store.calls == []
    cached.delete('hello')
    with pytest.raises(base.FunctionNotFound):
        cached.get('hello')


def test_a_cache_that_cannot_be_written_is_only_logged(tmp_path, clock,
                                                       caplog):
    (tmp_path / 'blocked').write_text('a file where a directory should be')
    conf = make_conf(tmp_path, '[store]\ncache_directory = '
                     f'{tmp_path}/blocked/cache\n')
    store = CountingStore(conf)
    cached = cache_mod.CachedStore(conf, store)
    function = store.put(SPEC, b'zip')
    assert cached.get('hello') == function
    assert cached.fetch(function) == b'zip'
    assert cached.get('hello') == function
    assert store.calls == ['get', 'fetch']
    assert 'the bridge goes on without it' in caplog.text
