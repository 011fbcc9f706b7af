"""One attempt at an execution: the event, the function, the run.

:func:`run` does everything between a claim and the journal write that
records what came of it, and never raises for the function's or the
store's failures: they are an :class:`Attempt` whose outcome says what
happened and whether another attempt may do better. A function that is
not ready is not built here, on the worker, but by :mod:`.builds`: the
attempt then says so (``building``), and the execution waits.
"""

import dataclasses
import datetime
import logging
import time

from oslo_config import cfg

from pratai_bridge.credentials import CredentialError
from pratai_bridge.credentials import CredentialUnavailable
from pratai_bridge.credentials import Handoff
from pratai_bridge.dispatch.builds import Builds
from pratai_bridge.events.model import Event
from pratai_bridge.functions import tenancy
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.store.base import FunctionNotFound
from pratai_bridge.functions.store.base import InvalidStoredFunction
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreError
from pratai_bridge.journal.api import Execution
from pratai_bridge.journal.api import RUN_STATUSES
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
    of the codes of :mod:`pratai_bridge.outcome`, None for a success).

    ``building``: it did not run, its function is being built; the
    execution waits for the build, this attempt not counted.
    """

    outcome: Outcome
    version: int | None
    code: str | None
    building: bool = False

    @property
    def retryable(self) -> bool:
        """Whether another attempt may do better."""
        return self.code is not None and self.code not in outcome_mod.PERMANENT


def error(code: str, message: str, version: int | None = None,
          build_wait: float | None = None) -> Attempt:
    """An attempt that ended in the ERROR status now, for ``code``."""
    now = time.time()
    return Attempt(Outcome(ERROR, error=message, started_at=now,
                           finished_at=now, build_wait=build_wait),
                   version, code)


def run(conf: cfg.ConfigOpts, journal: Journal, store: Store,
        runner: runners.Runner, builds: Builds, execution: Execution,
        subscription: Subscription | None,
        context: runners.RunContext = runners.NO_CONTEXT,
        handoff: Handoff | None = None) -> Attempt:
    """Run one attempt of ``execution``; raises only for bugs.

    A function that is not ready goes to ``builds`` and the attempt says
    it is ``building``. ``context`` is handed to the runner (whom the run
    is for); ``handoff`` makes the payload (with the credential's token
    when the subscription names one).
    """
    if subscription is None:
        return error(outcome_mod.SUBSCRIPTION_GONE,
                     f'subscription {execution.subscription} no longer '
                     'exists')
    delivery = subscription.delivery
    if execution.budget_used > delivery.max_attempts:
        return error(outcome_mod.ATTEMPTS_EXHAUSTED,
                     f'gave up after {delivery.max_attempts} attempts, the '
                     f'last one {execution.error or "interrupted"}')
    if delivery.max_age is not None and (
            _age(execution) > delivery.max_age):
        return error(outcome_mod.EXPIRED,
                     f'older than delivery.max_age ({delivery.max_age} s), '
                     f'the last attempt {execution.error or "interrupted"}')
    stored = journal.get_event(execution.message_id)
    if stored is None:
        return error(outcome_mod.EVENT_GONE,
                     f'event {execution.message_id} is not in the journal')
    function = _function(store, execution.function)
    if isinstance(function, Attempt):
        return function
    refused = tenancy.forbidden(subscription.name, subscription.project,
                                function.name, function.spec.project)
    if refused is not None:  # the store changed since the files were read
        return error(outcome_mod.FUNCTION_FORBIDDEN, refused,
                     function.version)
    return _run(conf, runner, builds, execution, subscription, function,
                stored.event, context, handoff or Handoff())


def _run(conf: cfg.ConfigOpts, runner: runners.Runner, builds: Builds,
         execution: Execution, subscription: Subscription,
         function: Function, event: Event,
         context: runners.RunContext, handoff: Handoff) -> Attempt:
    """Run ``function``, or wait for it to be built."""
    waited = builds.waited(execution, function)
    wait = None if waited is None else waited.seconds
    failure = builds.failure(function)
    if waited is not None and waited.code is not None:
        failure = (waited.code, waited.message or waited.code)
    if failure is not None:
        return error(*failure, function.version, build_wait=wait)
    if not builds.ready(function):
        return _wait_for_build(builds, function, execution.id)
    LOG.info('Execution %s (subscription %s, message %s): attempt %d of '
             '%d, function %s', execution.id, subscription.name,
             execution.message_id, execution.attempts,
             subscription.delivery.max_attempts, function.ref)
    run_limits = limits(conf, function, subscription)
    try:
        payload = handoff.payload(event, subscription, run_limits.timeout_s)
    except CredentialUnavailable as exc:
        return error(outcome_mod.CREDENTIAL_UNAVAILABLE, str(exc),
                     function.version, wait)
    except CredentialError as exc:
        return error(outcome_mod.CREDENTIAL_REFUSED, str(exc),
                     function.version, wait)
    try:
        outcome = runner.run(function, payload, run_limits, context)
    except runners.NotPrepared:  # removed since it was seen
        return _wait_for_build(builds, function, execution.id)
    except runners.BuildFailed as exc:
        return error(outcome_mod.BUILD_FAILED, f'build: {exc}',
                     function.version, wait)
    except runners.PayloadTooLarge as exc:  # never handed over
        return error(outcome_mod.PAYLOAD_TOO_LARGE,
                     f'{outcome_mod.PAYLOAD_TOO_LARGE}: {exc}',
                     function.version, wait)
    except runners.RunnerError as exc:
        return error(outcome_mod.RUNNER_FAILED, f'runner: {exc}',
                     function.version, wait)
    if outcome.status not in RUN_STATUSES:
        return error(outcome_mod.RUNNER_FAILED,
                     f'the runner returned the unknown status '
                     f'{outcome.status!r}', function.version, wait)
    return Attempt(dataclasses.replace(outcome, build_wait=wait),
                   function.version, outcome_mod.code_of(outcome))


def _age(execution: Execution) -> float:
    """Seconds since the execution's budget started (see Execution)."""
    return (datetime.datetime.now(datetime.UTC)
            - execution.budget_start).total_seconds()


def _function(store: Store, name: str) -> Function | Attempt:
    """The latest version of ``name``, or the attempt that failed to
    get it."""
    try:
        return store.get(name)
    except FunctionNotFound as exc:
        return error(outcome_mod.FUNCTION_GONE,
                     f'function {name} not found: {exc}')
    except InvalidStoredFunction as exc:  # no retry will mend it
        return error(outcome_mod.INVALID_FUNCTION, f'store: {exc}')
    except StoreError as exc:
        return error(outcome_mod.STORE_UNAVAILABLE, f'store: {exc}')


def _wait_for_build(builds: Builds, function: Function,
                    execution: int) -> Attempt:
    builds.wait_for(function, execution)
    now = time.time()
    return Attempt(Outcome(ERROR, error=f'waiting for {function.ref} to be '
                           'built', started_at=now, finished_at=now),
                   function.version, None, building=True)


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
