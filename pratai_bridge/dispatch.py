"""The dispatcher: runs the journal's pending executions, off intake.

The pipeline journals each (event, subscription) match as a ``pending``
execution and calls :meth:`Dispatcher.wake`. One loop thread then claims
due executions from the journal (:meth:`Journal.claim
<pratai_bridge.journal.api.Journal.claim>`) and hands each to a pool of
``[dispatcher] workers`` threads, which fetch the function from the store,
run it with the runner and record the outcome. The loop also looks every
``[dispatcher] poll_interval`` seconds, for retries coming due and for
work journaled by another bridge sharing the journal.

Concurrency: at most ``workers`` executions run at once in this process,
and at most ``delivery.concurrency`` of one subscription: the loop claims
no more than there is room for, and leaves subscriptions at their limit out
of the claim. Both limits are per bridge process; bridges sharing a journal
each apply them. Intake never waits for a function: the listener's only
call into the dispatcher is :meth:`Dispatcher.wake`.

Retries and dead letter: a failed, timed-out or erroring attempt goes back
to ``pending`` with ``next_attempt_at`` after an exponential backoff
(``retry_delay`` doubling up to ``retry_max_delay``, jittered), until the
subscription's ``delivery.max_attempts``; the last attempt's outcome is then
final, which is the dead letter: ``executions list --status failed`` (or
``timeout``, ``error``) lists them with their error and logs. What no retry
can fix is final at once: the subscription or the function no longer exists.
Store outages and runner failures are retried like a function's failures and
count as attempts, so an execution never waits forever.

Limits: the function's memory; its network only when it asks for
``bridge``; and the shorter of the function's and the subscription's
timeouts, as both are upper bounds set by different people (the author
knows what the code needs, the operator what the subscription may take).

Failures of the dispatcher itself: every exception in a worker is logged
with the execution, subscription and message id and becomes an ``error``
outcome, retried like any other. When recording an outcome fails (the
database is away), the write is kept and retried by the loop; the
execution stays ``running`` meanwhile, so nobody runs it twice.

At-least-once: an execution that was running when its bridge died is put
back to ``pending`` when the bridge starts again
(:meth:`Journal.recover_running
<pratai_bridge.journal.api.Journal.recover_running>`); an attempt beyond
``max_attempts`` that way (a function that kills its bridge) is ended as
``error`` without running it again.
"""

import collections
import datetime
import functools
import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from concurrent import futures
from typing import Any

from oslo_config import cfg

from pratai_bridge import _backoff
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.store.base import FunctionNotFound
from pratai_bridge.functions.store.base import InvalidStoredFunction
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreError
from pratai_bridge.journal.api import Execution
from pratai_bridge.journal.api import FINAL_STATUSES
from pratai_bridge.journal.api import Journal
from pratai_bridge.runners import base as runners
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

__all__ = ['Dispatcher']

#: seconds between two sweeps of what stopped runs left behind
SWEEP_INTERVAL = 300.0

# What an attempt came to: its outcome, the function version it ran (None
# when it did not get that far) and whether another attempt may do better.
_Attempt = tuple[runners.Outcome, int | None, bool]


def _error(message: str) -> runners.Outcome:
    now = time.time()
    return runners.Outcome(runners.ERROR, error=message, started_at=now,
                           finished_at=now)


class Dispatcher:
    """Claims pending executions and runs them on a pool of threads."""

    def __init__(self, conf: cfg.ConfigOpts, journal: Journal, store: Store,
                 runner: runners.Runner,
                 subscriptions: Callable[[], Mapping[str, Subscription]]
                 ) -> None:
        """Nothing starts before :meth:`start`.

        ``subscriptions`` returns the current subscriptions by name, read
        for each execution so a reload applies to the next one; it must be
        cheap and safe to call from any thread.
        """
        self._conf = conf
        self._journal = journal
        self._store = store
        self._runner = runner
        self._subscriptions = subscriptions
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

    def start(self) -> None:
        """Recover what a dead bridge left running, then start running.

        Raises RuntimeError when already started, and whatever the journal
        raises when recovering fails.
        """
        if self._thread is not None:
            raise RuntimeError('the dispatcher is already started')
        recovered = self._journal.recover_running()
        if recovered:
            LOG.warning('Recovered %d executions left running by a stopped '
                        'bridge; they run again', recovered)
        self._sweep()
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
            if time.monotonic() - self._swept_at > SWEEP_INTERVAL:
                # A bridge that crashed and came back quickly left runs
                # that were not yet overdue at its start.
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
            claimed = self._journal.claim(limit, exclude_subscriptions=full)
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
            full, room = [], [free]
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
            attempt = self._attempt(execution, subscription)
        except Exception as exc:
            LOG.exception('Execution %s (subscription %s, message %s): '
                          'dispatcher error; retrying it', execution.id,
                          execution.subscription, execution.message_id)
            attempt = _error(f'dispatcher error: {exc!r}'), None, True
        try:
            self._record(execution, self._decide(execution, subscription,
                                                 *attempt))
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

    def _attempt(self, execution: Execution,
                 subscription: Subscription | None) -> _Attempt:
        if subscription is None:
            return _error(f'subscription {execution.subscription} no '
                          'longer exists'), None, False
        delivery = subscription.delivery
        if execution.attempts > delivery.max_attempts:
            return _error(f'gave up after {delivery.max_attempts} attempts, '
                          f'the last one {execution.error or "interrupted"}'
                          ), None, False
        stored = self._journal.get_event(execution.message_id)
        if stored is None:
            return _error(f'event {execution.message_id} is not in the '
                          'journal'), None, False
        try:
            function = self._store.get(execution.function)
            package = self._store.fetch(function)
        except FunctionNotFound as exc:
            return _error(f'function {execution.function} not found: {exc}'
                          ), None, False
        except InvalidStoredFunction as exc:  # no retry will mend it
            return _error(f'store: {exc}'), None, False
        except StoreError as exc:
            return _error(f'store: {exc}'), None, True
        payload = dict(stored.event.as_document(),
                       subscription=subscription.name)
        LOG.info('Execution %s (subscription %s, message %s): attempt %d of '
                 '%d, function %s', execution.id, subscription.name,
                 execution.message_id, execution.attempts,
                 delivery.max_attempts, function.ref)
        try:
            self._runner.prepare(function, package)
            outcome = self._runner.run(function, payload,
                                       _limits(self._conf, function,
                                               subscription))
        except runners.RunnerError as exc:
            return _error(f'runner: {exc}'), function.version, True
        if outcome.status not in FINAL_STATUSES:
            return _error(f'the runner returned the unknown status '
                          f'{outcome.status!r}'), function.version, True
        return outcome, function.version, True

    def _decide(self, execution: Execution,
                subscription: Subscription | None,
                outcome: runners.Outcome, version: int | None,
                retryable: bool) -> Callable[[], None]:
        """The journal write that records ``outcome``: finish or retry."""
        options = self._conf.dispatcher
        ids = (execution.id, execution.subscription, execution.message_id)
        if (outcome.status != runners.SUCCEEDED and retryable
                and subscription is not None
                and execution.attempts < subscription.delivery.max_attempts):
            wait = _backoff.delay(execution.attempts, options.retry_delay,
                                  options.retry_max_delay)
            error = outcome.error or outcome.status
            LOG.warning('Execution %s (subscription %s, message %s): '
                        'attempt %d %s (%s); retrying in %.1f s', *ids,
                        execution.attempts, outcome.status,
                        _summary(error), wait)
            not_before = (datetime.datetime.now(datetime.UTC)
                          + datetime.timedelta(seconds=wait))
            return functools.partial(self._journal.retry, execution.id,
                                     not_before, error)
        log = LOG.info if outcome.status == runners.SUCCEEDED else LOG.warning
        log('Execution %s (subscription %s, message %s): %s, attempt %d%s',
            *ids, outcome.status, execution.attempts,
            '' if outcome.error is None
            else f' ({_summary(outcome.error)})')
        return functools.partial(self._journal.finish, execution.id,
                                 outcome, version,
                                 log_tail_bytes=options.log_tail_bytes)

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


def _limits(conf: cfg.ConfigOpts, function: Function,
            subscription: Subscription) -> runners.Limits:
    return runners.Limits(
        memory_mb=function.spec.memory,
        timeout_s=min(subscription.delivery.timeout, function.spec.timeout),
        network=function.spec.network == 'bridge',
        pids=conf.runner.pids_limit, cpus=conf.runner.cpus)


def _summary(text: Any) -> str:
    """One line of an error for the log: a traceback's last, else first."""
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    if not lines:
        return ''
    return lines[-1] if lines[0].startswith('Traceback') else lines[0]
