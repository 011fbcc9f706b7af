"""Cached, coalesced, bounded calls of one lookup function.

Three promises to the service looked up (Nova) and to the caller:

* a value found is reused for ``ttl`` seconds (``cachetools.TTLCache``,
  at most ``size`` keys, the oldest evicted first);
* callers asking for the same key while its lookup is in flight wait for
  that lookup instead of making their own, and get its value or its
  exception;
* at most ``concurrency`` lookups run at once; other callers wait.

Errors are not cached: the next call for that key looks it up again
(the caller decides how to back off, see :mod:`pratai_bridge.enrich.nova`).

Thread safety: every public method may be called from many threads; one
lock guards the cache, the in-flight table and the counters, and it is
never held while a lookup runs.
"""

import concurrent.futures
import dataclasses
import threading
import time
from collections.abc import Callable
from collections.abc import Hashable
from typing import Generic
from typing import TypeVar

import cachetools

K = TypeVar('K', bound=Hashable)
V = TypeVar('V')


@dataclasses.dataclass(frozen=True)
class LookupStats:
    """How calls were answered since the Lookups was made."""

    #: answered from the cache
    hits: int = 0
    #: answered by a lookup made for them
    misses: int = 0
    #: answered by another caller's lookup in flight
    coalesced: int = 0
    #: lookups that raised
    errors: int = 0

    @property
    def calls(self) -> int:
        return self.hits + self.misses + self.coalesced

    @property
    def hit_rate(self) -> float:
        """Share of calls that made no lookup of their own (0 when none)."""
        return (self.hits + self.coalesced) / self.calls if self.calls else 0.0


class Lookups(Generic[K, V]):
    """``get(key)`` is ``fetch(key)``, cached, coalesced and bounded."""

    def __init__(self, fetch: Callable[[K], V], ttl: float, size: int,
                 concurrency: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        #: key -> value, for ttl seconds (guarded by _lock)
        self._cache: cachetools.TTLCache[K, V] = cachetools.TTLCache(
            maxsize=size, ttl=ttl, timer=clock)
        #: key -> the future of its lookup while one runs (guarded)
        self._inflight: dict[K, concurrent.futures.Future[V]] = {}
        #: bounds the lookups running at once
        self._slots = threading.BoundedSemaphore(concurrency)
        self._stats = LookupStats()

    @property
    def stats(self) -> LookupStats:
        with self._lock:
            return self._stats

    def get(self, key: K) -> V:
        """The value of ``key``; raises what ``fetch`` raised for it."""
        with self._lock:
            try:
                value = self._cache[key]
            except KeyError:
                pass
            else:
                self._count(hits=1)
                return value
            future = self._inflight.get(key)
            mine = future is None
            if future is None:
                future = self._inflight[key] = concurrent.futures.Future()
                self._count(misses=1)
            else:
                self._count(coalesced=1)
        if not mine:
            return future.result()
        return self._look_up(key, future)

    def forget(self, key: K) -> None:
        """Drop ``key`` from the cache (the next get looks it up)."""
        with self._lock:
            self._cache.pop(key, None)

    def _look_up(self, key: K, future: concurrent.futures.Future[V]) -> V:
        try:
            with self._slots:
                value = self._fetch(key)
        except BaseException as exc:
            with self._lock:
                del self._inflight[key]
                self._count(errors=1)
            future.set_exception(exc)
            raise
        with self._lock:
            self._cache[key] = value
            del self._inflight[key]
        future.set_result(value)
        return value

    def _count(self, **more: int) -> None:
        """Add to the counters; the caller holds the lock."""
        self._stats = dataclasses.replace(self._stats, **{
            name: getattr(self._stats, name) + n
            for name, n in more.items()})
