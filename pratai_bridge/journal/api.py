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
``succeeded`` or ``dead`` (:meth:`Journal.finish`) or back to ``pending``
for a later attempt (:meth:`Journal.retry`); :meth:`Journal.recover` hands
the executions of a bridge that died, or whose lease expired, back to
``pending`` (at-least-once). Those methods are in :mod:`._execution_api`,
their statements in :mod:`._lifecycle`.

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
import threading
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Rejected
from pratai_bridge.events.model import enrichment_of
from pratai_bridge import chain
from pratai_bridge.journal import _chain
from pratai_bridge.journal import _engine
from pratai_bridge.journal import _execution_api
from pratai_bridge.journal import _lifecycle
from pratai_bridge.journal import _records
from pratai_bridge.journal import _replay
from pratai_bridge.journal import _rows
from pratai_bridge.journal import migrations
from pratai_bridge.journal import models
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

#: Every status an execution can have; 'pending' is the one record() writes.
EXECUTION_STATUSES = ('pending', 'running', 'succeeded', 'dead', chain.LOOP)

#: The statuses an execution ends in (see :meth:`Journal.finish`).
FINAL_STATUSES = _lifecycle.FINAL_STATUSES
RUN_STATUSES = _execution_api.RUN_STATUSES
DEFAULT_LOG_TAIL_BYTES = _execution_api.DEFAULT_LOG_TAIL_BYTES
# Each dialect's insert() has its own on_conflict_do_nothing().
_INSERTS: dict[str, Any] = {'sqlite': sqlite.insert,
                            'postgresql': postgresql.insert}
_EVENTS = models.table(models.EventRow)
_EXECUTIONS = models.table(models.ExecutionRow)
_REJECTED = models.table(models.RejectedRow)
DEFAULT_LEASE = _execution_api.DEFAULT_LEASE
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


class Journal(_execution_api.ExecutionLifecycle):
    """Events, executions and rejected notifications in one database."""

    def __init__(self, url: str,
                 max_chain_depth: int = chain.DEFAULT_MAX_DEPTH,
                 on_loop: Callable[[str], None] | None = None) -> None:
        """Build the engine for ``url``; nothing connects before start().

        Executions deeper than ``max_chain_depth`` in a causal chain are
        recorded as ``loop`` (see :mod:`._chain`); ``on_loop`` is called
        with the subscription of each, once it is committed (a redelivery
        adds no second call). Raises ValueError for a database other than
        SQLite or PostgreSQL.
        """
        self._max_chain_depth = max_chain_depth
        self._on_loop = on_loop
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
        inserted: Sequence[Any] = ()
        if not (event_rows or rejected_rows):
            return 0
        try:
            with self._write() as conn:
                if event_rows:
                    conn.execute(self._ignore(_EVENTS), event_rows)
                if execution_rows:
                    _chain.link(conn, execution_rows, self._max_chain_depth)
                    statement = self._ignore(_EXECUTIONS).returning(
                        _EXECUTIONS.c.status, _EXECUTIONS.c.subscription)
                    inserted = conn.execute(statement, execution_rows).all()
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
        if self._on_loop is not None:
            for status, subscription in inserted:
                if status == chain.LOOP:
                    self._on_loop(subscription)
        return len(inserted)

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

    def chain(self, execution_id: int) -> tuple[list[Execution],
                                                 list[Execution]]:
        """(the execution's causal chain, root first and ending with it;
        the executions its calls caused), see :mod:`pratai_bridge.chain`.
        """
        with self._read() as conn:
            up = _chain.chain(conn, execution_id)
            down = _chain.caused_by(conn, up[-1]['request_id']) if up \
                else []
        return ([Execution(**row) for row in up],
                [Execution(**row) for row in down])

    def get_event(self, message_id: str) -> StoredEvent | None:
        query = sa.select(_EVENTS).where(_EVENTS.c.message_id == message_id)
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _stored_event(row._asdict())

    def events(self, since: datetime.datetime,
               until: datetime.datetime | None = None,
               event_type: str | None = None) -> Iterator[StoredEvent]:
        """Journaled events received from ``since`` to ``until`` (not
        included), oldest first, of the event types the glob
        ``event_type`` matches; read a page at a time."""
        with self._read() as conn:
            for row in _replay.events(conn, since, until, event_type):
                yield _stored_event(row)

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


def _stored_event(row: dict[str, Any]) -> StoredEvent:
    document = row.pop('document')
    received_at = row.pop('received_at')
    row.pop('matched', None)
    filter_errors = tuple(row.pop('filter_errors', None) or ())
    event = Event(payload=document.get('payload'),
                  details=document.get('details') or {},
                  enrichment=enrichment_of(document), **row)
    return StoredEvent(event=event, received_at=received_at,
                       document=document, filter_errors=filter_errors)
