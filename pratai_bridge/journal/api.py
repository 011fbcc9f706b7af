"""The Journal: the bridge's durable record of events and executions.

The listener acks a batch of notifications only once :meth:`Journal.record`
has committed it, so ``record`` is written for redelivery and batches:

* One transaction per call, made of three bulk ``INSERT .. ON CONFLICT DO
  NOTHING`` statements (events, executions, rejected), never one ORM object
  per row. A redelivered event, execution or rejection is silently skipped;
  ``record`` returns how many executions were new, so the caller dispatches
  only those.
* Rows are inserted sorted by key: two PostgreSQL transactions inserting
  overlapping batches then lock rows in the same order and cannot deadlock.

Executions then go ``pending`` -> ``running`` (:meth:`Journal.claim`) ->
a final status (:meth:`Journal.finish`) or back to ``pending`` for a later
attempt (:meth:`Journal.retry`); :meth:`Journal.recover_running` hands the
executions of a bridge that died back to ``pending`` (at-least-once). The
statements live in :mod:`._lifecycle`.

Concurrency: a Journal is shared by threads. PostgreSQL serializes writers
itself. SQLite allows one writer per database, and a second one waits on its
busy timeout (or fails), so writers take an in-process lock while readers go
on reading the last committed state (WAL). An in-memory SQLite database is a
single connection shared by all threads, so there every call takes the lock.
Other processes (``pratai-bridge-manage``) wait on the busy timeout.

Only SQLite and PostgreSQL are supported: ``ON CONFLICT`` is dialect SQL.
"""

import contextlib
import dataclasses
import datetime
import logging
import os
import socket
import threading
from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Rejected
from pratai_bridge.journal import _build_wait
from pratai_bridge.journal import _engine
from pratai_bridge.journal import _lifecycle
from pratai_bridge.journal import _records
from pratai_bridge.journal import _replay
from pratai_bridge.journal import _retention
from pratai_bridge.journal import _rows
from pratai_bridge.journal import migrations
from pratai_bridge.journal import models
from pratai_bridge.outcome import Outcome
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

#: Every status an execution can have; 'pending' is the one record() writes.
EXECUTION_STATUSES = ('pending', 'running', 'succeeded', 'dead')

#: The statuses an execution ends in (see :meth:`Journal.finish`).
FINAL_STATUSES = _lifecycle.FINAL_STATUSES
#: How an attempt can end, as a runner says (Outcome.status).
RUN_STATUSES = ('succeeded', 'failed', 'timeout', 'error')
#: Bytes of logs :meth:`Journal.finish` keeps unless told otherwise.
DEFAULT_LOG_TAIL_BYTES = 1024
# Each dialect's insert() has its own on_conflict_do_nothing().
_INSERTS: dict[str, Any] = {'sqlite': sqlite.insert,
                            'postgresql': postgresql.insert}
_EVENTS = models.table(models.EventRow)
_EXECUTIONS = models.table(models.ExecutionRow)
_REJECTED = models.table(models.RejectedRow)
_ATTEMPTS = models.table(models.AttemptRow)
#: Seconds a claim's lease lasts unless told otherwise.
DEFAULT_LEASE = 60.0
Execution = _records.Execution
StoredAttempt = _records.StoredAttempt


@dataclasses.dataclass(frozen=True)
class StoredEvent:
    """An Event as journaled, with when it arrived and its document.

    ``filter_errors`` lists the filters that raised on it as it arrived,
    each ``{"subscription", "filter", "error"}``: they counted as no match.
    """

    event: Event
    received_at: datetime.datetime
    document: dict[str, Any]
    filter_errors: tuple[dict[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class StoredRejected:
    """A rejected notification; ``raw`` is the decoded JSON kept for it."""

    message_id: str
    exchange: str | None
    event_type: str | None
    reason: str
    raw: Any
    received_at: datetime.datetime


class SchemaNotReady(migrations.SchemaVersionError):
    """The journal is missing or at an older schema version, which
    ``start()`` (the daemon's) would create or upgrade."""


class RecordRefused(Exception):
    """The database refused what was to be recorded, not the connection:
    recording the same rows again fails the same way."""


class Journal:
    """Events, executions and rejected notifications in one database."""

    def __init__(self, url: str) -> None:
        """Build the engine for ``url``; nothing connects before start().

        Raises ValueError for a database other than SQLite or PostgreSQL.
        """
        self._url = sa.make_url(url)
        dialect = self._url.get_backend_name()
        if dialect not in _INSERTS:
            raise ValueError(
                f'the journal needs SQLite or PostgreSQL, not {dialect}')
        self._sqlite = dialect == 'sqlite'
        self._memory = self._sqlite and self._url.database in (
            None, '', ':memory:')
        self._engine = _engine.make_engine(self._url, self._memory)
        self._insert = _INSERTS[dialect]
        # SQLite's single writer, taken in-process (see the module doc).
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self._sqlite else contextlib.nullcontext())
        self._read_lock = (self._write_lock if self._memory
                           else contextlib.nullcontext())
        # This process's bridge id, made again in a forked child.
        self._owner = ''
        self._owner_pid = 0

    def start(self, upgrade: bool = True) -> None:
        """Connect; create the schema or upgrade it to the latest version.

        Raises migrations.SchemaVersionError if the database is newer.
        With ``upgrade`` False (read-only callers, the admin CLI's
        listings) nothing is created or changed: a missing database, or
        one at an older schema version, raises SchemaNotReady (a newer one
        SchemaVersionError), saying what to run.
        """
        if not upgrade:
            self._check_schema()
            return
        if self._sqlite and not self._memory:
            path = os.path.abspath(str(self._url.database))
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with self._write() as conn:
            before, after = migrations.upgrade(conn)
        if before != after:
            LOG.info('Journal %s: schema version %s -> %d',
                     self._url.render_as_string(hide_password=True),
                     before, after)

    def _check_schema(self) -> None:
        where = self._url.render_as_string(hide_password=True)
        if (self._sqlite and not self._memory and
                not os.path.exists(str(self._url.database))):
            raise SchemaNotReady(
                f'no journal at {where} yet: pratai-bridge creates it when '
                'it starts')
        with self._read() as conn:
            version = migrations.current(conn)
        latest = migrations.latest()
        if version is None:
            raise SchemaNotReady(
                f'the journal {where} has no schema yet: start '
                'pratai-bridge once, which creates it')
        if version < latest:
            raise SchemaNotReady(
                f'the journal {where} is at schema version {version}, this '
                f'pratai-bridge reads {latest}: start pratai-bridge once, '
                'which upgrades it')
        if version > latest:
            raise migrations.SchemaVersionError(
                f'the journal {where} is at schema version {version}, newer '
                f'than the {latest} this pratai-bridge reads: upgrade '
                'pratai-bridge')

    def stop(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def record(self, events: Sequence[Event],
               matches: Sequence[tuple[Event, Subscription]],
               rejected: Sequence[Rejected],
               filter_errors: Mapping[str, Sequence[Mapping[str, str]]]
               | None = None) -> int:
        """Journal one batch in one transaction; returns new executions.

        Each match's event is journaled even when absent from ``events``.
        ``filter_errors`` maps a message id to the filters that raised on
        that event (``{"subscription", "filter", "error"}`` each), kept
        with the event.
        Raises RecordRefused when the rows themselves are at fault (a value
        the database or JSON cannot hold); other errors (the database is
        away, locked...) propagate as they are, for the caller to retry.
        """
        now = datetime.datetime.now(datetime.UTC)
        try:
            event_rows = _rows.event_rows(events, matches, now,
                                          filter_errors or {})
            execution_rows = _rows.execution_rows(matches, now)
            rejected_rows = _rows.rejected_rows(rejected, now)
        except (TypeError, ValueError) as exc:
            raise RecordRefused(str(exc)) from exc
        new = 0
        if not (event_rows or rejected_rows):
            return new
        try:
            with self._write() as conn:
                if event_rows:
                    conn.execute(self._ignore(_EVENTS), event_rows)
                if execution_rows:
                    statement = self._ignore(_EXECUTIONS).returning(
                        _EXECUTIONS.c.id)
                    new = len(conn.execute(statement, execution_rows).all())
                if rejected_rows:
                    conn.execute(self._ignore(_REJECTED), rejected_rows)
        except sa.exc.StatementError as exc:
            # A DB-API error is the rows' fault only when it says so; a
            # StatementError of another kind failed binding a value.
            if (isinstance(exc, sa.exc.DBAPIError) and not isinstance(
                    exc, (sa.exc.DataError, sa.exc.IntegrityError))):
                raise
            raise RecordRefused(str(exc.orig or exc)) from exc
        except (TypeError, ValueError) as exc:  # a value no driver can bind
            raise RecordRefused(str(exc)) from exc
        return new

    def list_executions(self, function: str | None = None,
                        status: str | None = None,
                        subscription: str | None = None,
                        limit: int | None = None,
                        since: datetime.datetime | None = None
                        ) -> list[Execution]:
        """Executions, newest first, filtered on what is not None
        (``since``: created at or after)."""
        query = sa.select(_EXECUTIONS).order_by(_EXECUTIONS.c.id.desc())
        for column, value in (('function', function), ('status', status),
                              ('subscription', subscription)):
            if value is not None:
                query = query.where(_EXECUTIONS.c[column] == value)
        if since is not None:
            query = query.where(_EXECUTIONS.c.created_at >= since)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [Execution(**row._asdict())
                    for row in conn.execute(query)]

    def get_execution(self, execution_id: int) -> Execution | None:
        query = sa.select(_EXECUTIONS).where(_EXECUTIONS.c.id == execution_id)
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else Execution(**row._asdict())

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

    def get_event(self, message_id: str) -> StoredEvent | None:
        query = sa.select(_EVENTS).where(_EVENTS.c.message_id == message_id)
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _stored_event(row._asdict())

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
            return _lifecycle.stale_owners(conn, _now(), abandoned)

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

    def events(self, since: datetime.datetime,
               until: datetime.datetime | None = None,
               event_type: str | None = None) -> Iterator[StoredEvent]:
        """Journaled events received from ``since`` to ``until`` (not
        included), oldest first, of the event types the glob
        ``event_type`` matches; read a page at a time."""
        with self._read() as conn:
            for row in _replay.events(conn, since, until, event_type):
                yield _stored_event(row)

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

    def list_rejected(self, limit: int | None = None) -> list[StoredRejected]:
        """Rejected notifications, newest first."""
        query = sa.select(*(_REJECTED.c[f.name]
                            for f in dataclasses.fields(StoredRejected)))
        query = query.order_by(_REJECTED.c.received_at.desc(),
                               _REJECTED.c.message_id)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [StoredRejected(**row._asdict())
                    for row in conn.execute(query)]

    def count_pending(self) -> int:
        """Pending executions (an indexed count), for intake's bound."""
        query = sa.select(sa.func.count()).select_from(_EXECUTIONS).where(
            _EXECUTIONS.c.status == 'pending')
        with self._read() as conn:
            return conn.execute(query).scalar_one()

    def counts(self) -> dict[str, int]:
        """Rows per kind: ``events``, ``rejected``, ``executions`` (all)
        and one key per execution status (0 when none), e.g. ``pending``.
        """
        count = sa.func.count()
        by_status = sa.select(_EXECUTIONS.c.status, count).group_by(
            _EXECUTIONS.c.status)
        with self._read() as conn:
            result = dict.fromkeys(EXECUTION_STATUSES, 0)
            result.update(conn.execute(by_status).all())
            result['executions'] = sum(result.values())
            for key, table in (('events', _EVENTS), ('rejected', _REJECTED)):
                result[key] = conn.execute(
                    sa.select(count).select_from(table)).scalar_one()
        return result

    def _ignore(self, table: sa.Table) -> Any:
        return self._insert(table).on_conflict_do_nothing()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        # BEGIN IMMEDIATE takes SQLite's write lock up front, so waiting for
        # another process happens in the busy handler rather than failing
        # when a read transaction tries to become a write one.
        with self._write_lock, self._engine.connect() as conn:
            conn = conn.execution_options(pratai_begin='BEGIN IMMEDIATE')
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._read_lock, self._engine.connect() as conn:
            yield conn


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


def _stored_event(row: dict[str, Any]) -> StoredEvent:
    document = row.pop('document')
    received_at = row.pop('received_at')
    row.pop('matched', None)
    filter_errors = tuple(row.pop('filter_errors', None) or ())
    event = Event(payload=document.get('payload'),
                  details=document.get('details') or {}, **row)
    return StoredEvent(event=event, received_at=received_at,
                       document=document, filter_errors=filter_errors)
