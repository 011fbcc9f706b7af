"""One attempt at an execution: the event, the function, the run.

:func:`run` does everything between a claim and the journal write that
records what came of it, and never raises for the function's or the
store's failures: they are an :class:`Attempt` whose outcome says what
happened and whether another attempt may do better.
"""

import dataclasses
import logging
import time

from oslo_config import cfg

from pratai_bridge.functions.model import Function
from pratai_bridge.functions.store.base import FunctionNotFound
from pratai_bridge.functions.store.base import InvalidStoredFunction
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreError
from pratai_bridge.journal.api import Execution
from pratai_bridge.journal.api import FINAL_STATUSES
from pratai_bridge.journal.api import Journal
from pratai_bridge.outcome import ERROR
from pratai_bridge.outcome import Outcome
from pratai_bridge.runners import base as runners
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

__all__ = ['Attempt', 'error', 'limits', 'run']


@dataclasses.dataclass(frozen=True)
class Attempt:
    """What an attempt came to: its outcome, the function version it ran
    (None when it did not get that far) and whether another attempt may
    do better."""

    outcome: Outcome
    version: int | None
    retryable: bool


def error(message: str) -> Outcome:
    """An ERROR outcome that started and ended now."""
    now = time.time()
    return Outcome(ERROR, error=message, started_at=now, finished_at=now)


def run(conf: cfg.ConfigOpts, journal: Journal, store: Store,
        runner: runners.Runner, execution: Execution,
        subscription: Subscription | None) -> Attempt:
    """Run one attempt of ``execution``; raises only for bugs."""
    if subscription is None:
        return Attempt(error(f'subscription {execution.subscription} no '
                             'longer exists'), None, False)
    delivery = subscription.delivery
    if execution.attempts > delivery.max_attempts:
        return Attempt(error(
            f'gave up after {delivery.max_attempts} attempts, the last one '
            f'{execution.error or "interrupted"}'), None, False)
    stored = journal.get_event(execution.message_id)
    if stored is None:
        return Attempt(error(f'event {execution.message_id} is not in the '
                             'journal'), None, False)
    try:
        function = store.get(execution.function)
        package = store.fetch(function)
    except FunctionNotFound as exc:
        return Attempt(error(f'function {execution.function} not found: '
                             f'{exc}'), None, False)
    except InvalidStoredFunction as exc:  # no retry will mend it
        return Attempt(error(f'store: {exc}'), None, False)
    except StoreError as exc:
        return Attempt(error(f'store: {exc}'), None, True)
    payload = dict(stored.event.as_document(),
                   subscription=subscription.name)
    LOG.info('Execution %s (subscription %s, message %s): attempt %d of '
             '%d, function %s', execution.id, subscription.name,
             execution.message_id, execution.attempts,
             delivery.max_attempts, function.ref)
    try:
        runner.prepare(function, package)
        outcome = runner.run(function, payload,
                             limits(conf, function, subscription))
    except runners.RunnerError as exc:
        return Attempt(error(f'runner: {exc}'), function.version, True)
    if outcome.status not in FINAL_STATUSES:
        return Attempt(error(f'the runner returned the unknown status '
                             f'{outcome.status!r}'), function.version, True)
    return Attempt(outcome, function.version, True)


def limits(conf: cfg.ConfigOpts, function: Function,
           subscription: Subscription) -> runners.Limits:
    """What one run may use: the function's memory; its network only when
    it asks for ``bridge``; the shorter of the function's and the
    subscription's timeouts (both are upper bounds set by different
    people: the author knows what the code needs, the operator what the
    subscription may take)."""
    return runners.Limits(
        memory_mb=function.spec.memory,
        timeout_s=min(subscription.delivery.timeout, function.spec.timeout),
        network=function.spec.network == 'bridge',
        pids=conf.runner.pids_limit, cpus=conf.runner.cpus)
