"""Builds off the workers: functions are prepared on threads of their own.

An attempt whose function is not ready (its image is missing, or holds an
older runtime) hands the function to :class:`Builds` and gives its worker
back: its execution goes back to ``pending`` with its attempt not counted
(:meth:`Journal.wait_for_build
<pratai_bridge.journal.api.Journal.wait_for_build>`), and the dispatcher
claims nothing of a subscription whose function is building
(:meth:`Builds.busy`), so the workers run what is ready. When a build
ends, the dispatcher is woken: the next attempt of each execution that
waited finds the function ready and runs it, or ends with the build's
failure. How long each one waited is kept for that attempt, which records
it (``build_wait``), and so is the wait of an execution that was pending,
unclaimed, while its function was built (one that arrived during a build
begun at start, say); build time never counts against a function's
timeout, which starts with its run.

Builds run on ``[builder] build_workers`` threads, each given ``[builder]
build_timeout`` (the runner enforces it), one per zip at a time. A build
that failed for a reason of the function's own (BuildFailed) is
remembered for :data:`FAILURE_MEMORY` seconds: executions meanwhile end
with its error at once rather than build it again; later ones try again,
the host may have been mended. Other failures (the store or the engine
away) end only the attempts that waited, as retryable errors.

:meth:`Builds.prepare` builds, in the background, what the functions of a
set of subscriptions lack on this host (at start, after a reload).
"""

import collections
import dataclasses
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping

from oslo_config import cfg

from pratai_bridge import outcome as outcome_mod
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.store.base import FunctionNotFound
from pratai_bridge.functions.store.base import InvalidStoredFunction
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreError
from pratai_bridge.journal.api import Execution
from pratai_bridge.runners import base as runners
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

__all__ = ['Builds', 'FAILURE_MEMORY', 'Waited']

#: seconds a build that failed for a reason of its own is not tried again
FAILURE_MEMORY = 60.0
#: executions whose wait is remembered at most (others bridges may claim
#: the ones that waited here, and those are never asked for)
_MAX_WAITED = 10000


@dataclasses.dataclass(frozen=True)
class Waited:
    """What waiting for a build came to, for an execution's next attempt:
    the seconds it waited and, when the build failed, the code and
    message its attempt ends with (None: the build succeeded)."""

    seconds: float
    code: str | None = None
    message: str | None = None


class Builds:
    """A bounded pool of build threads and what came of their builds."""

    def __init__(self, conf: cfg.ConfigOpts, store: Store,
                 runner: runners.Runner, on_done: Callable[[], None]) -> None:
        """Nothing starts before :meth:`start`; ``on_done`` is called
        (from a build thread) each time a build ends."""
        self._conf = conf
        self._store = store
        self._runner = runner
        self._on_done = on_done
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        # Guarded by _lock. Zip sha256 -> the name of the function being
        # built from it; sha256 -> {execution id: when it began waiting
        # (monotonic)}; what came of the waits, for the next attempts;
        # zips built in this process; sha256 -> (until when, code and
        # message) of recent failures of the function's own.
        self._building: dict[str, str] = {}
        self._waiting: dict[str, dict[int, float]] = {}
        self._waited: collections.OrderedDict[int, Waited] = (
            collections.OrderedDict())
        self._built: set[str] = set()
        self._failed: dict[str, tuple[float, str, str]] = {}
        # Guarded by _lock: sha256 -> when its last build in this process
        # began and ended (epoch seconds), for the executions that were
        # pending meanwhile without asking for it.
        self._spans: dict[str, tuple[float, float]] = {}

    def start(self) -> None:
        """Start the build threads (daemons: a build in progress must not
        keep a stopping bridge alive; it is cancelled with the process)."""
        for number in range(self._conf.builder.build_workers):
            thread = threading.Thread(target=self._serve, daemon=True,
                                      name=f'pratai-build-{number}')
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Take no more builds; those queued are dropped."""
        with self._jobs.mutex:
            self._jobs.queue.clear()
        for _ in self._threads:
            self._jobs.put(None)
        self._threads = []

    def ready(self, function: Function) -> bool:
        """Whether ``function`` can run now, as far as anyone knows."""
        with self._lock:
            if function.sha256 in self._built:
                return True
        return self._runner.ready(function)

    def failure(self, function: Function) -> tuple[str, str] | None:
        """(code, message) of a recent failure of ``function``'s own
        build, or None."""
        with self._lock:
            failed = self._failed.get(function.sha256)
            if failed is None:
                return None
            if failed[0] < time.monotonic():
                del self._failed[function.sha256]
                return None
            return failed[1], failed[2]

    def wait_for(self, function: Function, execution: int) -> None:
        """Build ``function`` for ``execution``, which waits meanwhile."""
        with self._lock:
            self._built.discard(function.sha256)  # found missing
            self._waiting.setdefault(function.sha256, {}).setdefault(
                execution, time.monotonic())
            if function.sha256 in self._building:
                return
            self._building[function.sha256] = function.name
        LOG.info('Function %s is not ready: building it, execution %s '
                 'waits', function.ref, execution)
        self._jobs.put(functools.partial(self._build, function))

    def waited(self, execution: Execution,
               function: Function) -> Waited | None:
        """What waiting for a build of ``function`` came to for
        ``execution``, once: it waited for a build it asked for, or (on
        its first attempt) was pending while one ran, unclaimed."""
        with self._lock:
            asked = self._waited.pop(execution.id, None)
            span = self._spans.get(function.sha256)
        if asked is not None or span is None or execution.attempts != 1:
            return asked
        began, ended = span
        waited = ended - max(began, execution.created_at.timestamp())
        return Waited(waited) if waited > 0 else None

    def busy(self, subscriptions: Mapping[str, Subscription]) -> list[str]:
        """The subscriptions whose function is being built now."""
        with self._lock:
            building = set(self._building.values())
        return [name for name, subscription in subscriptions.items()
                if subscription.function in building]

    def prepare(self, names: Iterable[str]) -> None:
        """Build in the background what the functions ``names`` lack."""
        for name in sorted(set(names)):
            self._jobs.put(functools.partial(self._prepare_latest, name))

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()

    def _prepare_latest(self, name: str) -> None:
        try:
            function = self._store.get(name)
            if self.ready(function) or self.failure(function):
                return
        except (StoreError, runners.RunnerError) as exc:
            LOG.warning('Cannot prepare function %s ahead of its events: '
                        '%s', name, exc)
            return
        with self._lock:
            if function.sha256 in self._building:
                return
            self._building[function.sha256] = function.name
        LOG.info('Building function %s ahead of its events', function.ref)
        self._build(function)

    def _build(self, function: Function) -> None:
        """Prepare ``function``, then tell its waiters; never raises."""
        began = time.time()
        failure = None
        try:
            self._runner.prepare(function, self._store.fetch(function))
        except runners.BuildFailed as exc:
            failure = (outcome_mod.BUILD_FAILED, f'build: {exc}')
        except (FunctionNotFound, InvalidStoredFunction) as exc:
            failure = (outcome_mod.FUNCTION_GONE
                       if isinstance(exc, FunctionNotFound)
                       else outcome_mod.INVALID_FUNCTION, f'store: {exc}')
        except StoreError as exc:
            failure = (outcome_mod.STORE_UNAVAILABLE, f'store: {exc}')
        except runners.RunnerError as exc:
            failure = (outcome_mod.RUNNER_FAILED, f'runner: {exc}')
        except Exception as exc:
            LOG.exception('Function %s: building it failed unexpectedly; '
                          'the executions waiting for it are retried',
                          function.ref)
            failure = (outcome_mod.DISPATCHER_ERROR,
                       f'dispatcher error: {exc!r}')
        self._finish(function, failure, began)
        self._on_done()

    def _finish(self, function: Function, failure: tuple[str, str] | None,
                began: float) -> None:
        now = time.monotonic()
        if failure is None:
            LOG.info('Function %s is ready', function.ref)
        else:
            LOG.warning('Function %s could not be prepared: %s',
                        function.ref, failure[1])
        with self._lock:
            del self._building[function.sha256]
            self._spans[function.sha256] = (began, time.time())
            if failure is None:
                self._built.add(function.sha256)
            elif failure[0] in outcome_mod.PERMANENT:
                self._failed[function.sha256] = (now + FAILURE_MEMORY,
                                                 *failure)
            code, message = failure or (None, None)
            for execution, since in self._waiting.pop(
                    function.sha256, {}).items():
                # It may have waited before (a rebuild): the sum.
                before = self._waited.pop(execution, None)
                seconds = now - since + (before.seconds if before else 0.0)
                self._waited[execution] = Waited(seconds, code, message)
            while len(self._waited) > _MAX_WAITED:
                self._waited.popitem(last=False)
