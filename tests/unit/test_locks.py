import threading
import time

from pratai_bridge import _locks


def _overlaps(locks, keys):
    """How many holders were inside at once, at most."""
    inside, most, guard = [0], [0], threading.Lock()

    def hold(key):
        with locks.hold(key):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=hold, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return most[0]


def test_one_key_one_holder_at_a_time():
    locks = _locks.KeyedLocks()
    assert _overlaps(locks, ['a'] * 4) == 1
    assert len(locks) == 0


def test_other_keys_do_not_wait():
    locks = _locks.KeyedLocks()
    assert _overlaps(locks, ['a', 'b', 'c']) == 3
    assert len(locks) == 0


def test_released_on_error():
    locks = _locks.KeyedLocks()
    try:
        with locks.hold('a'):
            raise ValueError
    except ValueError:
        pass
    assert len(locks) == 0
    with locks.hold('a'):
        assert len(locks) == 1
