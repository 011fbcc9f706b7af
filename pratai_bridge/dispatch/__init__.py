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
subscription's ``delivery.max_attempts`` or ``delivery.max_age``; the
execution is then ``dead``, the dead letter, keeping the last outcome, its
error code and message (``executions list --status dead``; ``executions
retry`` puts them back). What no retry can fix (the permanent codes of
:mod:`pratai_bridge.outcome`: the subscription or the function is gone,
the zip is invalid, the image does not build) is dead at once. Store
outages and runner failures are retried like a function's failures and
count as attempts, so an execution never waits forever. Every attempt is
kept in the journal's ``attempts``.

Ordering: the executions of a subscription with ``delivery.ordered`` are
claimed one at a time per resource, in bus order (:meth:`Journal.claim
<pratai_bridge.journal.api.Journal.claim>` leaves out those with an
earlier one unfinished).

Limits: the function's memory; its network only when it asks for
``bridge``; and the shorter of the function's and the subscription's
timeouts, as both are upper bounds set by different people (the author
knows what the code needs, the operator what the subscription may take).

Failures of the dispatcher itself: every exception in a worker is logged
with the execution, subscription and message id and becomes an ``error``
outcome, retried like any other. When recording an outcome fails (the
database is away), the write is kept and retried by the loop; the
execution stays ``running`` meanwhile, so nobody runs it twice.

At-least-once, never twice at once: every running execution carries a
lease its bridge renews (:mod:`.leases`). A starting bridge stops the runs
of its dead predecessors on its host and puts their executions back to
``pending``; any bridge does the same for executions whose lease expired,
stopping their runs where it reaches their engine first. An attempt beyond
``max_attempts`` that way (a function that kills its bridge) is ended as
``dead`` (``attempts_exhausted``) without running it again.
"""

from pratai_bridge.dispatch.dispatcher import Dispatcher

__all__ = ['Dispatcher']
