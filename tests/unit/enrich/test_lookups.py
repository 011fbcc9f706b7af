import threading

import pytest

from pratai_bridge.enrich._lookups import LookupStats
from pratai_bridge.enrich._lookups import Lookups


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_values_are_cached_for_the_ttl():
    clock = Clock()
    asked = []
    lookups = Lookups(lambda k: asked.append(k) or k * 2, ttl=10, size=8,
                      concurrency=1, clock=clock)
    assert [lookups.get(3) for _ in range(3)] == [6, 6, 6]
    assert asked == [3]
    clock.now = 10.5
    assert lookups.get(3) == 6
    assert asked == [3, 3]
    assert lookups.stats == LookupStats(hits=2, misses=2)
    assert lookups.stats.hit_rate == 0.5


def test_the_oldest_key_is_evicted_past_the_size():
    asked = []
    lookups = Lookups(lambda k: asked.append(k) or k, ttl=60, size=2,
                      concurrency=1)
    for key in (1, 2, 3, 1):
        lookups.get(key)
    assert asked == [1, 2, 3, 1]


def test_errors_reach_the_caller_and_are_not_cached():
    calls = []

    def fetch(key):
        calls.append(key)
        if len(calls) == 1:
            raise OSError('down')
        return 'up'

    lookups = Lookups(fetch, ttl=60, size=8, concurrency=1)
    with pytest.raises(OSError):
        lookups.get('a')
    assert lookups.get('a') == 'up'
    assert lookups.stats.errors == 1


def test_callers_of_a_key_in_flight_share_its_lookup_and_its_error():
    release = threading.Event()
    started = threading.Event()
    calls = []

    def fetch(key):
        calls.append(key)
        started.set()
        release.wait(10)
        raise ValueError('nope')

    lookups = Lookups(fetch, ttl=60, size=8, concurrency=4)
    errors = []

    def get():
        try:
            lookups.get('k')
        except ValueError as exc:
            errors.append(exc)

    first = threading.Thread(target=get)
    first.start()
    started.wait(10)
    others = [threading.Thread(target=get) for _ in range(3)]
    for thread in others:
        thread.start()
    while lookups.stats.coalesced < 3:
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert calls == ['k']
    assert len(errors) == 4
    assert lookups.stats == LookupStats(misses=1, coalesced=3, errors=1)


def test_concurrency_is_bounded():
    lock = threading.Lock()
    running = []
    peak = []
    gate = threading.Barrier(2, timeout=10)

    def fetch(key):
        with lock:
            running.append(key)
            peak.append(len(running))
        try:
            gate.wait()  # two at once at most, and two do meet
        except threading.BrokenBarrierError:
            pass
        with lock:
            running.remove(key)
        return key

    lookups = Lookups(fetch, ttl=60, size=8, concurrency=2)
    threads = [threading.Thread(target=lookups.get, args=(n,))
               for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert max(peak) == 2
    assert lookups.stats.misses == 6


def test_forget_drops_a_key():
    asked = []
    lookups = Lookups(lambda k: asked.append(k) or k, ttl=60, size=8,
                      concurrency=1)
    lookups.get('x')
    lookups.forget('x')
    lookups.get('x')
    assert asked == ['x', 'x']
