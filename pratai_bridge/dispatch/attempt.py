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
from pratai_bridge import outcome as outcome_mod
from pratai_bridge.outcome import ERROR
from pratai_bridge.outcome import Outcome
from pratai_bridge.runners import base as runners
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

__all__ = ['Attempt', 'error', 'limits', 'run']


@dataclasses.dataclass(frozen=True)
class Attempt:
    """What an attempt came to: its outcome, the function version it ran
    (None when it did not get that far) and why it did not succeed (one
    of the codes of :mod:`pratai_bridge.outcome`, None for a success)."""

    outcome: Outcome
    version: int | None
    code: str | None

    @property
    def retryable(self) -> bool:
        """Whether another attempt may do better."""
        return self.code is not None and self.code not in outcome_mod.PERMANENT


def error(code: str, message: str, version: int | None = None) -> Attempt:
    """An attempt that ended in the ERROR status now, for ``code``."""
    now = time.time()
    return Attempt(Outcome(ERROR, error=message, started_at=now,
                           finished_at=now), version, code)


def run(conf: cfg.ConfigOpts, journal: Journal, store: Store,
        runner: runners.Runner, execution: Execution,
        subscription: Subscription | None,
        context: runners.RunContext = runners.NO_CONTEXT) -> Attempt:
    """Run one attempt of ``execution``; raises only for bugs.

    ``context`` is handed to the runner (whom the run is for).
    """
    if subscription is None:
        return error(outcome_mod.SUBSCRIPTION_GONE,
                     f'subscription {execution.subscription} no longer '
                     'exists')
    delivery = subscription.delivery
    if execution.attempts > delivery.max_attempts:
        return error(outcome_mod.ATTEMPTS_EXHAUSTED,
                     f'gave up after {delivery.max_attempts} attempts, the '
                     f'last one {execution.error or "interrupted"}')
    stored = journal.get_event(execution.message_id)
    if stored is None:
        return error(outcome_mod.EVENT_GONE,
                     f'event {execution.message_id} is not in the journal')
    try:
        function = store.get(execution.function)
        package = store.fetch(function)
    except FunctionNotFound as exc:
        return error(outcome_mod.FUNCTION_GONE,
                     f'function {execution.function} not found: {exc}')
    except InvalidStoredFunction as exc:  # no retry will mend it
        return error(outcome_mod.INVALID_FUNCTION, f'store: {exc}')
    except StoreError as exc:
        return error(outcome_mod.STORE_UNAVAILABLE, f'store: {exc}')
    payload = dict(stored.event.as_document(),
                   subscription=subscription.name)
    LOG.info('Execution %s (subscription %s, message %s): attempt %d of '
             '%d, function %s', execution.id, subscription.name,
             execution.message_id, execution.attempts,
             delivery.max_attempts, function.ref)
    try:
        runner.prepare(function, package)
        outcome = runner.run(function, payload,
                             limits(conf, function, subscription), context)
    except runners.BuildFailed as exc:
        return error(outcome_mod.BUILD_FAILED, f'build: {exc}',
                     function.version)
    except runners.RunnerError as exc:
        return error(outcome_mod.RUNNER_FAILED, f'runner: {exc}',
                     function.version)
    if outcome.status not in FINAL_STATUSES:
        return error(outcome_mod.RUNNER_FAILED,
                     f'the runner returned the unknown status '
                     f'{outcome.status!r}', function.version)
    return Attempt(outcome, function.version, outcome_mod.code_of(outcome))


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
