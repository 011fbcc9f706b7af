"""What the journal records of an attempt: its end, or another attempt.

A failed, timed-out or erroring attempt that may do better goes back to
``pending`` after an exponential backoff (``retry_delay`` doubling up to
``retry_max_delay``, jittered), until the subscription's
``delivery.max_attempts`` or ``delivery.max_age``; otherwise the execution
ends: ``succeeded``, or ``dead`` with its last outcome, code and error.
Permanent errors (:data:`pratai_bridge.outcome.PERMANENT`) are dead at
once.
"""

import datetime
import functools
import logging
from collections.abc import Callable

from oslo_config import cfg

from pratai_bridge import _backoff
from pratai_bridge import outcome as outcome_mod
from pratai_bridge.dispatch.attempt import Attempt
from pratai_bridge.journal.api import Execution
from pratai_bridge.journal.api import Journal
from pratai_bridge.metrics import Metrics
from pratai_bridge.outcome import SUCCEEDED
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

__all__ = ['decide', 'summary']


def decide(conf: cfg.ConfigOpts, journal: Journal, execution: Execution,
           subscription: Subscription | None,
           attempt: Attempt, metrics: Metrics) -> Callable[[], None]:
    """The journal write that records ``attempt``: finish or retry
    (``metrics`` counts a finish by its final status)."""
    options = conf.dispatcher
    outcome = attempt.outcome
    ids = (execution.id, execution.subscription, execution.message_id)
    not_before = _retry_at(conf, execution, subscription, attempt)
    if not_before is not None:
        error = outcome.error or outcome.status
        LOG.warning('Execution %s (subscription %s, message %s): '
                    'attempt %d %s (%s); retrying at %s', *ids,
                    execution.attempts, outcome.status,
                    summary(error), not_before.isoformat())
        return functools.partial(journal.retry, execution.id,
                                 not_before, error, attempt.code, outcome,
                                 attempt.version)
    if outcome.status == SUCCEEDED:
        LOG.info('Execution %s (subscription %s, message %s): succeeded, '
                 'attempt %d', *ids, execution.attempts)
    else:
        LOG.warning('Execution %s (subscription %s, message %s): dead '
                    'after attempt %d, %s (%s: %s)', *ids,
                    execution.attempts, outcome.status, attempt.code,
                    summary(outcome.error))
    # By the status the journal records (succeeded or dead).
    metrics.execution_finished(
        execution.function, SUCCEEDED if outcome.status == SUCCEEDED
        else 'dead')
    return functools.partial(journal.finish, execution.id, outcome,
                             attempt.version, code=attempt.code,
                             log_tail_bytes=options.log_tail_bytes)


def _retry_at(conf: cfg.ConfigOpts, execution: Execution,
              subscription: Subscription | None,
              attempt: Attempt) -> datetime.datetime | None:
    """When the next attempt is due; None when there is none: a success,
    a permanent error, no attempts left, or a retry past max_age."""
    if (attempt.outcome.status == SUCCEEDED or not attempt.retryable
            or subscription is None):
        return None
    delivery = subscription.delivery
    if execution.budget_used >= delivery.max_attempts:
        return None
    wait = _backoff.delay(execution.budget_used, conf.dispatcher.retry_delay,
                          conf.dispatcher.retry_max_delay)
    not_before = (datetime.datetime.now(datetime.UTC)
                  + datetime.timedelta(seconds=wait))
    if delivery.max_age is not None and not_before > (
            execution.budget_start
            + datetime.timedelta(seconds=delivery.max_age)):
        return None
    return not_before


#: One line of an error for the log (kept here for callers).
summary = outcome_mod.summary
