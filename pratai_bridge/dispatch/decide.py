"""What the journal records of an attempt: its end, or another attempt.

A failed, timed-out or erroring attempt that may do better goes back to
``pending`` after an exponential backoff (``retry_delay`` doubling up to
``retry_max_delay``, jittered), until the subscription's
``delivery.max_attempts``; otherwise its outcome is final.
"""

import datetime
import functools
import logging
from collections.abc import Callable
from typing import Any

from oslo_config import cfg

from pratai_bridge import _backoff
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
    if (outcome.status != SUCCEEDED and attempt.retryable
            and subscription is not None
            and execution.attempts < subscription.delivery.max_attempts):
        wait = _backoff.delay(execution.attempts, options.retry_delay,
                              options.retry_max_delay)
        error = outcome.error or outcome.status
        LOG.warning('Execution %s (subscription %s, message %s): '
                    'attempt %d %s (%s); retrying in %.1f s', *ids,
                    execution.attempts, outcome.status,
                    summary(error), wait)
        not_before = (datetime.datetime.now(datetime.UTC)
                      + datetime.timedelta(seconds=wait))
        return functools.partial(journal.retry, execution.id,
                                 not_before, error)
    log = LOG.info if outcome.status == SUCCEEDED else LOG.warning
    log('Execution %s (subscription %s, message %s): %s, attempt %d%s',
        *ids, outcome.status, execution.attempts,
        '' if outcome.error is None else f' ({summary(outcome.error)})')
    metrics.execution_finished(execution.function, outcome.status)
    return functools.partial(journal.finish, execution.id, outcome,
                             attempt.version,
                             log_tail_bytes=options.log_tail_bytes)


def summary(text: Any) -> str:
    """One line of an error for the log: a traceback's last, else first."""
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    if not lines:
        return ''
    return lines[-1] if lines[0].startswith('Traceback') else lines[0]
