"""A lock per key (a zip's sha256), for work done once per key."""

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ['KeyedLocks']


class KeyedLocks:
    """One lock per key, kept only while some thread holds or awaits it.

    Two threads asking for the same key run one after the other; other
    keys do not wait. The table never grows past the keys in use.
    """

    def __init__(self) -> None:
        # Guards _locks; held only to look up and count, never while the
        # caller's work runs.
        self._guard = threading.Lock()
        # key -> [its lock, threads holding or waiting for it]
        self._locks: dict[str, list[Any]] = {}

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)
