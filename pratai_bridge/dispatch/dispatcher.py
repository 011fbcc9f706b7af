"""The Dispatcher: claims due executions and runs them on worker threads.

See the package docstring for the whole story; this module is the loop
(claiming within the concurrency limits, the workers, the backlog of
journal writes that failed) and leaves one attempt to :mod:`.attempt` and
what to record of it to :mod:`.decide`.
"""

import collections
import functools
import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from concurrent import futures

from oslo_config import cfg

from pratai_bridge import outcome as outcome_mod
from pratai_bridge.credentials import Handoff
from pratai_bridge.dispatch import attempt as attempt_mod
from pratai_bridge.dispatch import builds as builds_mod
from pratai_bridge.dispatch import decide
from pratai_bridge.dispatch import leases as leases_mod
from pratai_bridge.functions.store.base import Store
from pratai_bridge.journal.api import Execution
from pratai_bridge.journal.api import Journal
from pratai_bridge.metrics import Metrics
from pratai_bridge.runners import base as runners
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

__all__ = ['Dispatcher']


class Dispatcher:
    """Claims pending executions and runs them on a pool of threads."""

    def __init__(self, conf: cfg.ConfigOpts, journal: Journal, store: Store,
                 runner: runners.Runner,
                 subscriptions: Callable[[], Mapping[str, Subscription]],
                 metrics: Metrics | None = None,
                 handoff: Handoff | None = None) -> None:
        """Nothing starts before :meth:`start`.

        ``handoff`` makes each run's payload (with a token when its
        subscription names a credential); by default, no credentials.

        ``subscriptions`` returns the current subscriptions by name, read
        for each execution so a reload applies to the next one; it must be
        cheap and safe to call from any thread. ``metrics`` counts the
        attempts and executions.
        """
        self._conf = conf
        self._metrics = metrics or Metrics()
        self._journal = journal
        self._store = store
        self._runner = runner
        self._subscriptions = subscriptions
        self._handoff = handoff or Handoff()
        # Read once: the pool's size needs a restart.
        self._workers: int = conf.dispatcher.workers
        # Set to make the loop look at the journal now: new work, a slot
        # freed, or stop().
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        # Guards _running and _backlog, written by the loop and the workers.
        self._lock = threading.Lock()
        # Subscription name -> its executions running in this process; a
        # name leaves when its count drops to zero.
        self._running: collections.Counter[str] = collections.Counter()
        # Journal writes that failed, retried by the loop, oldest first.
        self._backlog: list[tuple[Execution, Callable[[], None]]] = []
        # The running executions' futures; only the loop thread adds, and
        # it drops the done ones.
        self._futures: set[futures.Future[None]] = set()
        self._thread: threading.Thread | None = None
        self._pool: futures.ThreadPoolExecutor | None = None
        # When the runner last swept (monotonic seconds).
        self._swept_at = 0.0
        # This process as the journal knows it; set by start().
        self._bridge = ''
        # Builds off the workers (see .builds): claims skip what builds.
        self.builds = builds_mod.Builds(conf, store, runner, self.wake)
        # This bridge's leases, and taking back those that expired.
        self.leases = leases_mod.Leases(conf, journal, runner, self.wake)

    def start(self) -> None:
        """Recover what a dead bridge left running, then start running.

        Raises RuntimeError when already started, and whatever the journal
        raises when recovering fails.
        """
        if self._thread is not None:
            raise RuntimeError('the dispatcher is already started')
        # What this process's claims and runs are marked with.
        self._bridge = self._journal.owner()
        # Its dead predecessors' containers are stopped before their
        # executions go back to pending (see .leases).
        self.leases.recover()
        self._sweep()
        self.leases.start()
        self.builds.start()
        self._pool = futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix='pratai-execution')
        self._thread = threading.Thread(target=self._loop,
                                        name='pratai-dispatcher', daemon=True)
        self._thread.start()
        LOG.info('Dispatcher started: %d workers', self._workers)

    def wake(self) -> None:
        """Look for due executions now rather than at the next poll."""
        self._wakeup.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop claiming; wait up to ``timeout`` s for running executions.

        Returns False when some were still running at the deadline: they
        stay ``running`` in the journal and run again when this bridge
        starts next.
        """
        if self._thread is None or self._pool is None:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        self._stopping.set()
        self._wakeup.set()
        self._thread.join(timeout)
        left = None if deadline is None else max(
            0.0, deadline - time.monotonic())
        _, running = futures.wait(list(self._futures), timeout=left)
        self._pool.shutdown(wait=not running, cancel_futures=True)
        self.builds.stop()
        self.leases.stop()
        self._runner.close()  # its warm containers
        self._flush_backlog()
        if running:
            LOG.warning('Dispatcher stopped with %d executions still '
                        'running; they run again at the next start',
                        len(running))
        if self._backlog:
            LOG.error('Dispatcher stopped with %d outcomes not recorded; '
                      'those executions run again at the next start',
                      len(self._backlog))
        LOG.info('Dispatcher stopped')
        return not running

    def _sweep(self) -> None:
        """Have the runner remove what runs of stopped bridges left."""
        self._swept_at = time.monotonic()
        try:
            swept = self._runner.sweep()
        except runners.RunnerError as exc:
            LOG.warning('Cannot remove what stopped runs left: %s', exc)
            return
        if swept:
            LOG.warning('Removed %d containers left by stopped runs', swept)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.clear()
            if (time.monotonic() - self._swept_at
                    > self._conf.dispatcher.sweep_interval):
                # A bridge that crashed and came back quickly left runs
                # that were not yet overdue at its start, and containers
                # an engine outage kept from being removed are removable
                # once it is back.
                self._sweep()
            try:
                self._flush_backlog()
                self._fill()
            except Exception:
                LOG.exception('Dispatcher: claiming executions failed; '
                              'trying again in %s s',
                              self._conf.dispatcher.poll_interval)
            self._wakeup.wait(self._conf.dispatcher.poll_interval)

    def _fill(self) -> None:
        """Claim and start executions while there is room for them."""
        self._futures = {f for f in self._futures if not f.done()}
        while not self._stopping.is_set():
            limit, full = self._room(self._subscriptions())
            if limit <= 0:
                return
            claimed = self._journal.claim(
                limit, exclude_subscriptions=full,
                ordered=[name for name, sub in self._subscriptions().items()
                         if sub.delivery.ordered],
                lease=self._conf.dispatcher.lease_time)
            for execution in claimed:
                self._submit(execution)
            if len(claimed) < limit:
                return

    def _room(self, subscriptions: Mapping[str, Subscription]
              ) -> tuple[int, list[str]]:
        """How many to claim, and the subscriptions at their limit.

        Claiming no more than the smallest room left to any subscription
        means no claim can exceed one (the obvious alternative, claiming
        for every free worker and holding back the excess, would leave
        executions marked running that are not).
        """
        with self._lock:
            free = self._workers - sum(self._running.values())
            full, room = self.builds.busy(subscriptions), [free]
            for name, subscription in subscriptions.items():
                left = subscription.delivery.concurrency - self._running[name]
                if left > 0:
                    room.append(left)
                else:
                    full.append(name)
        return min(room), full

    def _submit(self, execution: Execution) -> None:
        assert self._pool is not None
        with self._lock:
            self._running[execution.subscription] += 1
        self._futures.add(self._pool.submit(self._work, execution))

    def _work(self, execution: Execution) -> None:
        """Run one attempt and record what came of it; never raises."""
        subscription = None
        try:
            subscription = self._subscriptions().get(execution.subscription)
            attempt = attempt_mod.run(
                self._conf, self._journal, self._store, self._runner,
                self.builds, execution, subscription,
                runners.RunContext(bridge=self._bridge,
                                   execution=execution.id), self._handoff)
        except Exception as exc:
            LOG.exception('Execution %s (subscription %s, message %s): '
                          'dispatcher error; retrying it', execution.id,
                          execution.subscription, execution.message_id)
            attempt = attempt_mod.error(outcome_mod.DISPATCHER_ERROR,
                                        f'dispatcher error: {exc!r}')
        try:
            if attempt.building:  # it waits for the build, off the workers
                write: Callable[[], None] = functools.partial(
                    self._journal.wait_for_build, execution.id)
            else:
                self._metrics.attempted(execution.function, attempt.outcome)
                write = decide.decide(self._conf, self._journal, execution,
                                      subscription, attempt, self._metrics)
            self._record(execution, write)
        except Exception:
            LOG.exception('Execution %s (subscription %s, message %s): '
                          'could not decide its outcome; it runs again at '
                          'the next start', execution.id,
                          execution.subscription, execution.message_id)
        finally:
            with self._lock:
                self._running[execution.subscription] -= 1
                if self._running[execution.subscription] <= 0:
                    del self._running[execution.subscription]
            self._wakeup.set()

    def _record(self, execution: Execution,
                write: Callable[[], None]) -> None:
        try:
            write()
        except Exception:
            LOG.exception('Execution %s (subscription %s, message %s): '
                          'recording its outcome failed; trying again',
                          execution.id, execution.subscription,
                          execution.message_id)
            with self._lock:
                self._backlog.append((execution, write))

    def _flush_backlog(self) -> None:
        with self._lock:
            backlog, self._backlog = self._backlog, []
        for at, (execution, write) in enumerate(backlog):
            try:
                write()
            except Exception as exc:
                LOG.warning('Execution %s: recording its outcome failed '
                            'again (%s); %d outcomes wait', execution.id,
                            exc, len(backlog) - at)
                with self._lock:
                    self._backlog[:0] = backlog[at:]
                return

