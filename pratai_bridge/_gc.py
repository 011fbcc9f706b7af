"""Pause Python's cyclic garbage collector while a large structure is built.

Loading 10,000 subscriptions allocates about a million container objects
that all stay alive; each allocation burst triggers a collection that walks
everything allocated so far and frees nothing, which tripled the time of
a load. Reference counting still frees what is dropped meanwhile; the
collector resumes (if it was on) when the block ends, from any thread.

Objects allocated while the collector was off all sit in its youngest
generation. Left alone, they would be walked twice soon after: by the next
young collection (which moves them to the middle generation), then by the
next middle one (each walk of 10,000 subscriptions' objects took 0.4 s,
landing on the first events after a reload). When a block allocated more
than :data:`LARGE` objects, the outermost block ends by collecting the
young and middle generations at once: the new objects are walked once and
land in the oldest generation, which is walked only when it has grown by
a quarter. (A full collection here would also walk everything older, for
nothing.)
"""

import contextlib
import gc
from collections.abc import Iterator

#: Net allocations in a block past which it ends with a collection.
LARGE = 200_000


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_count()[0] > LARGE:
                gc.collect(1)
            gc.enable()
