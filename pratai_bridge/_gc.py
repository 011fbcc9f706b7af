"""Pause Python's cyclic garbage collector while a large structure is built.

Loading 10,000 subscriptions allocates about a million container objects
that all stay alive; each allocation burst triggers a collection that walks
everything allocated so far and frees nothing, which tripled the time of
a load. Reference counting still frees what is dropped meanwhile; the
collector resumes (if it was on) when the block ends, from any thread.

Objects allocated while the collector was off all sit in its youngest
generation. Left alone, they would be walked three times soon after: once
by the next young collection (which moves them to the middle generation),
once by the next middle one, then by the full collection their number
triggers (each walk of 10,000 subscriptions' objects took 0.4 s). When a
block allocated more than :data:`LARGE` objects, the outermost block ends
with one full collection instead: they are walked once, and land in the
oldest generation, which is walked again only when it grows by a quarter.
"""

import contextlib
import gc
from collections.abc import Iterator

#: Net allocations in a block past which it ends with a full collection.
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
                gc.collect()
            gc.enable()
