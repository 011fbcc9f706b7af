"""The Journal's execution lifecycle: claims, outcomes, leases, attempts,
replays and purges (see :mod:`._lifecycle` for the statements and the
rules). A mixin of :class:`pratai_bridge.journal.api.Journal`, kept apart
so that each module stays readable; it uses only the Journal's
transactions (``_write``, ``_read``) and its bridge id.
"""

import contextlib
import datetime
import logging
import os
import socket
from collections.abc import Collection
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pratai_bridge.events.model import Event
from pratai_bridge.journal import _build_wait
from pratai_bridge.journal import _lifecycle
from pratai_bridge.journal import _records
from pratai_bridge.journal import _replay
from pratai_bridge.journal import _retention
from pratai_bridge.journal import models
from pratai_bridge.outcome import Outcome
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger('pratai_bridge.journal.api')

__all__ = ['DEFAULT_LEASE', 'DEFAULT_LOG_TAIL_BYTES', 'ExecutionLifecycle',
           'RUN_STATUSES']

Execution = _records.Execution
StoredAttempt = _records.StoredAttempt
#: How an attempt can end, as a runner says (Outcome.status).
RUN_STATUSES = ('succeeded', 'failed', 'timeout', 'error')
#: Bytes of logs :meth:`ExecutionLifecycle.finish` keeps unless told
#: otherwise.
DEFAULT_LOG_TAIL_BYTES = 1024
#: Seconds a claim's lease lasts unless told otherwise.
DEFAULT_LEASE = 60.0
_EXECUTIONS = models.table(models.ExecutionRow)
_ATTEMPTS = models.table(models.AttemptRow)


class ExecutionLifecycle:
    """What a Journal does with executions once they are recorded."""

    # Set by the Journal: whether it is SQLite (no SKIP LOCKED), and this
    # process's bridge id with the pid it was made for.
    _sqlite: bool
    _owner: str
    _owner_pid: int

    def _write(self) -> contextlib.AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def _read(self) -> contextlib.AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def attempts(self, execution_ids: Collection[int]
                 ) -> dict[int, list[StoredAttempt]]:
        """Execution id -> its attempts, oldest first ([] when none)."""
        found: dict[int, list[StoredAttempt]] = {
            execution_id: [] for execution_id in execution_ids}
        ids = list(found)
        with self._read() as conn:
            for start in range(0, len(ids), 500):  # bound the IN list
                chunk = ids[start:start + 500]
                rows = conn.execute(
                    sa.select(_ATTEMPTS)
                    .where(_ATTEMPTS.c.execution_id.in_(chunk))
                    .order_by(_ATTEMPTS.c.id))
                for row in rows:
                    values = row._asdict()
                    del values['id']
                    found[values.pop('execution_id')].append(
                        StoredAttempt(**values))
        return found

    def claim(self, limit: int, now: datetime.datetime | None = None,
              exclude_subscriptions: Collection[str] = (),
              ordered: Collection[str] = (),
              lease: float = DEFAULT_LEASE) -> list[Execution]:
        """Start up to ``limit`` due pending executions, oldest first.

        Due means ``next_attempt_at`` is None or not after ``now`` (default:
        the current time). Each becomes ``running`` with ``started_at`` =
        ``now``, one more attempt (a new row of :meth:`attempts`), this
        bridge as ``owner`` and a lease of ``lease`` seconds; executions of
        ``exclude_subscriptions`` are left pending, and those of the
        ``ordered`` subscriptions wait for the earlier ones of their
        resource to finish. Bridges and threads claiming at once get
        disjoint executions.
        """
        if limit <= 0:
            return []
        now = now or _now()
        with self._write() as conn:
            rows = _lifecycle.claim(conn, limit, now, exclude_subscriptions,
                                    skip_locked=not self._sqlite,
                                    owner=self.owner(), lease=lease,
                                    ordered=ordered)
        return [Execution(**row) for row in rows]

    def finish(self, execution_id: int, outcome: Outcome,
               function_version: int | None, code: str | None = None,
               log_tail_bytes: int = DEFAULT_LOG_TAIL_BYTES) -> None:
        """End a running execution of this bridge's with ``outcome``.

        A success makes it ``succeeded``; anything else ``dead``, keeping
        the outcome's status, ``code`` (why it did not succeed) and error.
        Keeps the last ``log_tail_bytes`` of its logs. An execution that is
        not running for this bridge (finished already, or taken back by
        another bridge) is left as it is, with a warning. Raises
        ValueError for an outcome status no runner makes.
        """
        if outcome.status not in RUN_STATUSES:
            raise ValueError(f'not an outcome status: {outcome.status!r}')
        measured = 0 < outcome.started_at <= outcome.finished_at
        status = 'succeeded' if outcome.status == 'succeeded' else 'dead'
        values = {
            'status': status,
            'outcome': outcome.status,
            'error_code': code,
            'result': outcome.result,
            'error': outcome.error,
            'logs': _lifecycle.tail(outcome.logs or '', log_tail_bytes),
            'function_version': function_version,
            'duration': outcome.duration if measured else None,
            'warm': outcome.warm,
            'build_wait': outcome.build_wait,
        }
        now = _now()
        with self._write() as conn:
            done = _lifecycle.finish(conn, execution_id, values, now,
                                     self.owner())
            if done:
                _lifecycle.end_attempt(
                    conn, [execution_id], now, outcome.status, code,
                    _short(outcome.error), _details(outcome, function_version))
        if not done:
            LOG.warning('Execution %s is not running for this bridge; its '
                        'outcome %s was not recorded', execution_id,
                        outcome.status)

    def retry(self, execution_id: int, not_before: datetime.datetime,
              error: str, code: str | None = None,
              outcome: Outcome | None = None,
              function_version: int | None = None) -> None:
        """Put a running execution back to pending, due at ``not_before``.

        ``error`` says why the last attempt failed, ``code`` and
        ``outcome`` (its status) how. An execution that is not running for
        this bridge is left as it is, with a warning.
        """
        status = outcome.status if outcome is not None else 'error'
        values = {'error': error, 'error_code': code, 'outcome': status}
        now = _now()
        with self._write() as conn:
            done = _lifecycle.retry(conn, execution_id, not_before, values,
                                    now, self.owner())
            if done:
                details = (None if outcome is None
                           else _details(outcome, function_version))
                _lifecycle.end_attempt(conn, [execution_id], now, status,
                                       code, _short(error), details)
        if not done:
            LOG.warning('Execution %s is not running for this bridge; its '
                        'retry was not recorded', execution_id)

    def wait_for_build(self, execution_id: int) -> None:
        """Put a running execution back to pending, its attempt not
        counted, while its function is built (see :mod:`._build_wait`).

        An execution that is not running is left as it is, with a warning.
        """
        with self._write() as conn:
            done = _build_wait.wait_for_build(conn, execution_id, _now(),
                                              self.owner())
        if not done:
            LOG.warning('Execution %s is not running; its wait for a build '
                        'was not recorded', execution_id)

    def owner(self) -> str:
        """This bridge's id (``hostname:pid:random``), which :meth:`claim`
        stamps on what it claims, so runs can be marked with it too. A
        forked child gets an id of its own."""
        if self._owner_pid != os.getpid():
            self._owner, self._owner_pid = (_lifecycle.bridge_id(),
                                            os.getpid())
        return self._owner

    def renew_leases(self, lease: float) -> int:
        """Extend this bridge's running executions' leases to ``lease``
        seconds from now; how many it holds."""
        until = _now() + datetime.timedelta(seconds=lease)
        with self._write() as conn:
            return _lifecycle.renew(conn, self.owner(), until)

    def stale_owners(self) -> dict[str | None, list[int]]:
        """Bridges whose running executions may be taken back, with them:
        no owner, a dead process of this host, or an expired lease (see
        :mod:`._lifecycle`). Never this bridge's own."""
        abandoned = _lifecycle.abandoned_by(socket.gethostname(),
                                            os.getpid(), self.owner())
        with self._read() as conn:
            return _lifecycle.stale_owners(conn, _now(), abandoned,
                                           self.owner())

    def recover(self, stale: str | None, ids: Collection[int]) -> int:
        """Put the running executions ``ids`` of the bridge ``stale`` back
        to pending (their attempts ``interrupted``), as
        :meth:`stale_owners` found them: those of an owner that is not
        provably dead only while their lease is still expired. Call it
        once what ``stale`` left running is stopped. Returns how many."""
        abandoned = _lifecycle.abandoned_by(socket.gethostname(),
                                            os.getpid(), self.owner())
        with self._write() as conn:
            return _lifecycle.recover(conn, list(ids), stale, _now(),
                                      lease_checked=not abandoned(stale))

    def recover_running(self) -> int:
        """Take back every execution :meth:`stale_owners` finds, without
        stopping anything first; how many. For a bridge whose runner's
        runs die with their bridge (the local runner)."""
        return sum(self.recover(stale, ids)
                   for stale, ids in self.stale_owners().items())

    def requeue(self, ids: Collection[int] = (),
                subscription: str | None = None,
                status: str | None = None) -> list[int]:
        """``executions retry``: put finished executions back to pending,
        with a new budget of attempts and age; the ids put back.

        ``ids`` names them; otherwise every one of ``subscription`` and/or
        ``status`` (succeeded or dead). Pending and running ones are left.
        """
        where: sa.ColumnElement[bool] = sa.true()
        if ids:
            where = _EXECUTIONS.c.id.in_(list(ids))
        if subscription is not None:
            where = sa.and_(where, _EXECUTIONS.c.subscription == subscription)
        if status is not None:
            where = sa.and_(where, _EXECUTIONS.c.status == status)
        with self._write() as conn:
            return _lifecycle.requeue(conn, where, _now())

    def replay(self, matches: Sequence[tuple[Event, Subscription]]
               ) -> list[Execution]:
        """New pending executions replaying journaled events to
        subscriptions, each the next ``replay`` of its pair, in one
        transaction; they run like any other."""
        with self._write() as conn:
            rows = _replay.add(conn, matches, _now())
        return [Execution(**row) for row in rows]

    def purge(self, executions: datetime.datetime | None,
              matched: datetime.datetime | None,
              unmatched: datetime.datetime | None,
              dry_run: bool = False) -> dict[str, int]:
        """Delete finished executions (and their attempts) that ended
        before ``executions``, and events with no execution left received
        before ``matched`` or ``unmatched`` (as they matched or not when
        they came in), rejected notifications before ``matched``; None
        keeps that kind. Rows per kind; with ``dry_run`` only counted
        (events whose executions this purge would delete then count at
        the next). In chunks, each its own transaction."""
        return _retention.purge(self._write, executions, matched,
                                unmatched, dry_run)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _short(error: str | None) -> str | None:
    """What an attempt keeps of an error: its last 1,000 characters."""
    return None if error is None else error[-1000:]


def _details(outcome: Outcome, version: int | None) -> dict[str, Any]:
    measured = 0 < outcome.started_at <= outcome.finished_at
    details = {'warm': outcome.warm, 'build_wait': outcome.build_wait,
               'duration': outcome.duration if measured else None,
               'function_version': version}
    return {key: value for key, value in details.items()
            if value is not None}
