"""Warm containers: each function's idle sessions, and their retirement.

A run takes an idle session of its key (the function version and the
container's limits, see :func:`key`), or starts a new container. When the
run succeeded and the runtime says it may serve again, the session comes
back, unless the function's pool is full or the session has served its
maximum number of uses; otherwise it is retired: its container is killed
and removed. Idle sessions are retired after their idle time, when their
container has ended, and when they are too old for another run; a thread
looks every :data:`REAP_INTERVAL` seconds while any session is idle.

The settings (:class:`WarmSettings`) come from the function
(``warm_pool_size``, ``warm_idle_time``, ``warm_max_uses``) or, where it
sets none, from ``[runner] warm_*``; 0 in any of them disables reuse.

Concurrency: a lock guards the idle lists; a session is in at most one
list or one run at a time, and retiring (engine calls) happens outside
the lock.
"""

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from oslo_config import cfg

from pratai_bridge.functions.model import Function
from pratai_bridge.runners import base
from pratai_bridge.runners.docker._session import Session

__all__ = ['Pool', 'WarmSettings', 'key', 'settings']

LOG = logging.getLogger(__name__)

#: seconds between two looks for idle sessions to retire
REAP_INTERVAL = 1.0


@dataclasses.dataclass(frozen=True)
class WarmSettings:
    """How one function's containers are reused: at most ``pool_size``
    idle ones, each for ``idle_time`` seconds, retired after
    ``max_uses`` invocations."""

    pool_size: int
    idle_time: float
    max_uses: int

    @property
    def reuse(self) -> bool:
        return min(self.pool_size, self.idle_time, self.max_uses) > 0


def settings(conf: cfg.ConfigOpts, function: Function) -> WarmSettings:
    """The function's own warm settings, else ``[runner]``'s."""
    spec, options = function.spec, conf.runner

    def pick(own: int | None, default: int) -> int:
        return default if own is None else own

    return WarmSettings(
        pool_size=pick(spec.warm_pool_size, options.warm_pool_size),
        idle_time=pick(spec.warm_idle_time, options.warm_idle_time),
        max_uses=pick(spec.warm_max_uses, options.warm_max_uses))


def key(function: Function, limits: base.Limits,
        sandbox: Any = None) -> tuple[Any, ...]:
    """Which runs a container may serve: those of the same function
    version (never another function's, even one of the same zip) with the
    limits and the sandbox settings it was created with (a changed
    setting is never served by an older container); the timeout is per
    invocation."""
    return (function.name, function.version, function.sha256,
            dataclasses.replace(limits, timeout_s=0.0), sandbox)


@dataclasses.dataclass
class _Idle:
    session: Session
    since: float
    idle_time: float


class Pool:
    """The idle sessions of every key; ``retire`` removes one's container."""

    def __init__(self, retire: Callable[[Session], None]) -> None:
        self._retire = retire
        self._lock = threading.Lock()
        # Guarded by _lock: key -> idle sessions, the most recent last
        # (taken first, so the others idle out when traffic drops).
        self._idle: dict[Any, list[_Idle]] = {}
        self._closed = False
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()

    def take(self, wanted: Any, until: float) -> Session | None:
        """An idle session of key ``wanted`` that may run until ``until``
        (monotonic seconds), or None."""
        stale: list[Session] = []
        found = None
        with self._lock:
            idle = self._idle.get(wanted, [])
            while idle and found is None:
                entry = idle.pop()
                if entry.session.ended or entry.session.expires < until:
                    stale.append(entry.session)
                else:
                    found = entry.session
            if not idle:
                self._idle.pop(wanted, None)
        self._retire_all(stale)
        return found

    def give(self, session: Session, warm: WarmSettings) -> None:
        """Keep ``session`` idle if ``warm`` allows it, else retire it."""
        with self._lock:
            idle = self._idle.setdefault(session.key, [])
            keep = (not self._closed and warm.reuse
                    and session.uses < warm.max_uses
                    and len(idle) < warm.pool_size and not session.ended)
            if keep:
                idle.append(_Idle(session, time.monotonic(), warm.idle_time))
                self._start_reaper()
            elif not idle:
                del self._idle[session.key]
        if not keep:
            self._retire_all([session])

    def drop(self, sha256: str) -> None:
        """Retire the idle sessions of the image of zip ``sha256``."""
        with self._lock:
            keys = [k for k in self._idle if k[2] == sha256]
            gone = [e.session for k in keys for e in self._idle.pop(k)]
        self._retire_all(gone)

    def close(self) -> None:
        """Retire every idle session; sessions given back later too."""
        with self._lock:
            self._closed = True
            gone = [e.session for idle in self._idle.values() for e in idle]
            self._idle.clear()
        self._stop.set()
        self._retire_all(gone)
        if self._reaper is not None:
            self._reaper.join(REAP_INTERVAL * 5)

    def idle_count(self) -> int:
        with self._lock:
            return sum(len(idle) for idle in self._idle.values())

    def _start_reaper(self) -> None:
        # Lazily, under the lock: the first session kept starts it.
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap, daemon=True,
                                            name='pratai-warm-reaper')
            self._reaper.start()

    def _reap(self) -> None:
        while not self._stop.wait(REAP_INTERVAL):
            now = time.monotonic()
            gone: list[_Idle] = []
            with self._lock:
                for wanted in list(self._idle):
                    kept: list[_Idle] = []
                    for entry in self._idle[wanted]:
                        over = (entry.session.ended
                                or now - entry.since >= entry.idle_time
                                or entry.session.expires <= now)
                        (gone if over else kept).append(entry)
                    if kept:
                        self._idle[wanted] = kept
                    else:
                        del self._idle[wanted]
            self._retire_all([entry.session for entry in gone])

    def _retire_all(self, sessions: list[Session]) -> None:
        for session in sessions:
            try:
                self._retire(session)
            except base.RunnerError as exc:
                LOG.warning('Cannot retire container %s: %s',
                            session.container[:12], exc)
