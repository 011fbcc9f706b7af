"""The periodic thread of the leases and the purge."""

import threading

import pytest

from pratai_bridge._periodic import Periodic


def test_it_works_every_interval_until_stopped():
    calls, three = [], threading.Event()

    def work():
        calls.append(1)
        if len(calls) == 3:
            three.set()

    periodic = Periodic('test-periodic', lambda: 0.01, work)
    periodic.start()
    assert three.wait(5)
    periodic.stop()
    done = len(calls)
    assert done >= 3
    three.wait(0.05)
    assert len(calls) == done


def test_start_twice_is_refused():
    periodic = Periodic('test-twice', lambda: 60, lambda: None)
    periodic.start()
    with pytest.raises(RuntimeError, match='test-twice is already started'):
        periodic.start()
    periodic.stop()


def test_stop_before_start():
    Periodic('test-never', lambda: 60, lambda: None).stop()
