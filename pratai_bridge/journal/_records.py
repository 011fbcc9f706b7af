"""What the journal hands out about executions: frozen dataclasses."""

import dataclasses
import datetime
from typing import Any

__all__ = ['Execution', 'StoredAttempt']


@dataclasses.dataclass(frozen=True)
class Execution:
    """One execution row. Times are aware UTC; ``result`` is decoded JSON.

    ``status`` is pending, running, succeeded or dead (the dead letter:
    what will not be tried again). ``outcome`` is the last attempt's
    (succeeded, failed, timeout, error, or interrupted when its bridge
    stopped first) and ``error_code`` why it did not succeed (a code of
    :mod:`pratai_bridge.outcome`), with ``error`` the message.

    ``attempts`` counts the attempts claimed so far, the running one
    included; ``started_at`` is when the last one was claimed, and
    ``duration`` (seconds) how long the function ran, as the runner
    measured it, or the attempt's wall time when it never ran.
    ``next_attempt_at`` is when a pending retry is due, ``owner`` the id
    (``hostname:pid:random``) of the bridge that claimed the last attempt,
    and ``lease_until`` until when it holds a running one. ``warm`` says
    whether the last attempt reused a warm process, ``build_wait`` how
    many seconds the execution waited for its function to be built (see
    :class:`~pratai_bridge.outcome.Outcome`).

    ``replay`` is 0 for a delivery, n for the n-th deliberate replay of the
    event to the subscription, ``replay_of`` then the delivery's id.
    ``resource_id`` and ``seq`` (the place in its batch) order the
    executions of an ordered subscription. ``attempts_base`` and
    ``retried_at`` are where ``executions retry`` restarted its budget.
    """

    id: int
    message_id: str
    subscription: str
    function: str
    status: str
    event_type: str
    source: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    attempts: int
    function_version: int | None = None
    started_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    duration: float | None = None
    result: Any = None
    error: str | None = None
    logs: str | None = None
    next_attempt_at: datetime.datetime | None = None
    owner: str | None = None
    warm: bool | None = None
    build_wait: float | None = None
    lease_until: datetime.datetime | None = None
    outcome: str | None = None
    error_code: str | None = None
    resource_id: str | None = None
    seq: int = 0
    replay: int = 0
    replay_of: int | None = None
    attempts_base: int = 0
    retried_at: datetime.datetime | None = None
    #: the loop guard's (pratai_bridge.chain): this execution's request
    #: id, the request id of the execution that caused its event, and its
    #: depth in that chain (None before schema version 7)
    request_id: str | None = None
    cause: str | None = None
    depth: int | None = None

    @property
    def budget_used(self) -> int:
        """Attempts counted against delivery.max_attempts."""
        return self.attempts - self.attempts_base

    @property
    def budget_start(self) -> datetime.datetime:
        """When delivery.max_age started counting."""
        return self.retried_at or self.created_at


@dataclasses.dataclass(frozen=True)
class StoredAttempt:
    """One attempt at an execution: who ran it, when, and how it ended
    (``outcome`` None while it runs; ``interrupted`` when its bridge
    stopped first); ``details`` holds warm, build_wait, duration and the
    function version when known."""

    number: int
    bridge: str | None
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    outcome: str | None
    error_code: str | None
    error: str | None
    details: dict[str, Any] | None
