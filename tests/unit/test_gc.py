"""The collector is paused for a block, resumed after, and a large block
ends with one collection of the young generations."""

import gc

from pratai_bridge import _gc


def test_paused_then_resumed_and_nested_blocks_leave_it_off():
    assert gc.isenabled()
    with _gc.paused():
        assert not gc.isenabled()
        with _gc.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # The inner block does not resume it.
    assert gc.isenabled()


def test_a_large_block_ends_with_a_collection_of_the_young(monkeypatch):
    collected = []
    monkeypatch.setattr(_gc, 'LARGE', 1000)
    gc.callbacks.append(lambda phase, info: phase == 'start' and
                        collected.append(info['generation']))
    try:
        with _gc.paused():
            kept = [[n] for n in range(5000)]
        assert collected == [1]
        collected.clear()
        with _gc.paused():
            small = [[n] for n in range(10)]
        assert collected == []
    finally:
        gc.callbacks.pop()
    assert len(kept) == 5000 and len(small) == 10


def test_a_block_that_raises_resumes_the_collector():
    try:
        with _gc.paused():
            raise ValueError('x')
    except ValueError:
        pass
    assert gc.isenabled()
