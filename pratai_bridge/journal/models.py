"""The journal's tables, declared once for SQLite and PostgreSQL.

The rows are only ever read and written through SQLAlchemy Core
(``Model.__table__``): :mod:`pratai_bridge.journal.api` turns them into
frozen dataclasses, so no ORM object leaves this package.

Two column types keep the schema portable: :class:`UTCDateTime` stores UTC
(``timestamptz`` on PostgreSQL, naive UTC text on SQLite, which has no time
zones) and always returns aware UTC datetimes; :class:`JSONText` stores JSON
as plain text rather than a dialect JSON type, so both databases hold the
same bytes. :class:`IntegerText` reads a text column as integers.

These classes describe the latest schema; :mod:`.migrations` brings older
databases to it.
"""

import datetime
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

UTC = datetime.UTC


def dump_json(value: Any) -> str:
    """The one JSON encoding of the journal: stable and never failing."""
    return json.dumps(value, sort_keys=True, default=str)


class UTCDateTime(sa.types.TypeDecorator[datetime.datetime]):
    """A timezone-aware UTC datetime on every dialect.

    Naive datetimes are refused on the way in: guessing their zone is how
    journals end up an hour off.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None,
                           dialect: sa.Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f'naive datetime given to the journal: {value!r}')
        value = value.astimezone(UTC)
        if dialect.name == 'sqlite':
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime.datetime | None,
                             dialect: sa.Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONText(sa.types.TypeDecorator[Any]):
    """Any JSON-serializable value, stored as text (see :func:`dump_json`)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any,
                           dialect: sa.Dialect) -> str | None:
        return None if value is None else dump_json(value)

    def process_result_value(self, value: str | None,
                             dialect: sa.Dialect) -> Any:
        return None if value is None else json.loads(value)


class IntegerText(sa.types.TypeDecorator[int]):
    """An integer kept in a text column.

    Schema version 1 declared ``executions.function_version`` as text,
    before functions had versions; changing a column's type in SQLite means
    rebuilding the table, so the column stays text and reads as ``int``.
    """

    impl = sa.String(255)
    cache_ok = True

    def process_bind_param(self, value: int | None,
                           dialect: sa.Dialect) -> str | None:
        return None if value is None else str(int(value))

    def process_result_value(self, value: str | None,
                             dialect: sa.Dialect) -> int | None:
        return None if value is None else int(value)


class Base(orm.DeclarativeBase):
    pass


class SchemaVersionRow(Base):
    """One row: the schema version, see :mod:`.migrations`."""

    __tablename__ = 'schema_version'

    version: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                                 autoincrement=False)


class EventRow(Base):
    """An accepted event; the first delivery of a ``message_id`` wins."""

    __tablename__ = 'events'
    __table_args__ = (sa.Index('ix_events_event_type', 'event_type'),
                      # Since schema version 6: replay and purge by time.
                      sa.Index('ix_events_received_at', 'received_at'))

    message_id: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    primary_key=True)
    source: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    event_type: orm.Mapped[str] = orm.mapped_column(sa.Text)
    publisher_id: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    priority: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    # As the Event holds it (ISO 8601 UTC text): kept verbatim so the
    # document a function receives on replay is byte for byte the same.
    timestamp: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    project_id: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    user_id: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    resource_id: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    exchange: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # Event.as_document(): payload and details live here, not in columns.
    document: orm.Mapped[Any] = orm.mapped_column(JSONText)
    received_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        UTCDateTime)
    # Since schema version 5: the filters that raised on this event, each
    # {"subscription", "filter", "error"} (they counted as no match); None
    # when none did.
    filter_errors: orm.Mapped[Any] = orm.mapped_column(JSONText,
                                                       nullable=True)
    # Since schema version 6: whether any subscription matched it when it
    # came in, which says how long it is kept (see [journal]).
    matched: orm.Mapped[bool | None] = orm.mapped_column(sa.Boolean)


class RejectedRow(Base):
    """A notification that could not be read, kept for inspection/replay."""

    __tablename__ = 'rejected'
    __table_args__ = (sa.Index('ix_rejected_received_at', 'received_at'),)

    message_id: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    primary_key=True)
    # Always 'rejected' for now; room for 'replayed' without a migration.
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    exchange: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    event_type: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    reason: orm.Mapped[str] = orm.mapped_column(sa.Text)
    raw: orm.Mapped[Any] = orm.mapped_column(JSONText, nullable=True)
    received_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        UTCDateTime)


class ExecutionRow(Base):
    """One run of one subscription's function for one event.

    ``event_type`` and ``source`` are copied from the event so listings
    need no join. The columns from ``attempts`` on are written by the
    dispatcher, as an attempt is claimed (``running``), retried (back to
    ``pending``) or finished (a final status).
    """

    __tablename__ = 'executions'
    __table_args__ = (
        # Since schema version 6 with ``replay``: a redelivery adds nothing
        # twice (replay 0), a deliberate replay adds the next number.
        sa.UniqueConstraint('message_id', 'subscription', 'replay',
                            name='uq_executions_delivery'),
        sa.Index('ix_executions_status', 'status'),
        sa.Index('ix_executions_function', 'function'),
        sa.Index('ix_executions_order', 'subscription', 'resource_id',
                 'status'),
        sa.Index('ix_executions_created_at', 'created_at'),
        sa.Index('ix_executions_request_id', 'request_id'),
        sa.Index('ix_executions_cause', 'cause'),
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    message_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(255), sa.ForeignKey('events.message_id'))
    subscription: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    function: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    event_type: orm.Mapped[str] = orm.mapped_column(sa.Text)
    source: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        UTCDateTime)
    attempts: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    function_version: orm.Mapped[int | None] = orm.mapped_column(
        IntegerText)
    started_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        UTCDateTime)
    finished_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        UTCDateTime)
    duration: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    result: orm.Mapped[Any] = orm.mapped_column(JSONText, nullable=True)
    error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    logs: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # Since schema version 2. A pending execution runs no earlier than this
    # (a retry's backoff); None means as soon as possible.
    next_attempt_at: orm.Mapped[datetime.datetime | None] = \
        orm.mapped_column(UTCDateTime)
    # Since schema version 2: "hostname:pid" of the bridge that claimed the
    # last attempt, so a restarting bridge recovers only its own dead runs.
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # Since schema version 4: whether the last attempt ran in a warm
    # process (None: it did not run, or its runner does not say), and the
    # seconds the execution waited for its function to be built (None: it
    # did not wait).
    warm: orm.Mapped[bool | None] = orm.mapped_column(sa.Boolean)
    build_wait: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    # Since schema version 6. Until when the running attempt's bridge
    # holds it: renewed while the bridge lives; past it, any bridge
    # sharing the journal may take it back (None when not running).
    lease_until: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        UTCDateTime)
    # The last attempt's outcome (succeeded, failed, timeout, error) and
    # why it did not succeed (a code of pratai_bridge.outcome).
    outcome: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    error_code: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    # The event's resource, and the match's place in its batch: what
    # delivery.ordered orders by (created_at, then seq).
    resource_id: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    seq: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0,
                                             server_default='0')
    # 0 for a delivery; 1, 2... for deliberate replays of the same event
    # to the same subscription, ``replay_of`` then naming the delivery's
    # execution (None when the event had not matched it).
    replay: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0,
                                                server_default='0')
    replay_of: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    # ``executions retry`` gives a dead execution a new budget: attempts
    # beyond ``attempts_base`` count against delivery.max_attempts, and
    # delivery.max_age runs from ``retried_at`` (None: from created_at).
    attempts_base: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, default=0, server_default='0')
    retried_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        UTCDateTime)

    # Since schema version 7, the loop guard (pratai_bridge.chain): the
    # execution's OpenStack request id (req-<uuid>, handed to the
    # function); the request id of the execution whose calls caused its
    # event (None: no execution of ours did); and how many executions
    # precede it in that chain (0 for a root, None before version 7).
    request_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    cause: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    depth: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)


class AttemptRow(Base):
    """One attempt at an execution, kept after it ends (schema 6).

    Written when an attempt is claimed and when it ends: ``outcome`` is the
    runner's status, or ``interrupted`` when its bridge stopped first;
    ``details`` holds what else is known (warm, build_wait, duration,
    function_version). An attempt given back while its function builds is
    removed: it did not run.
    """

    __tablename__ = 'attempts'
    __table_args__ = (sa.UniqueConstraint('execution_id', 'number',
                                          name='uq_attempts_number'),)

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    execution_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('executions.id', ondelete='CASCADE'))
    number: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    bridge: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    started_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        UTCDateTime)
    ended_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        UTCDateTime)
    outcome: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    error_code: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    details: orm.Mapped[Any] = orm.mapped_column(JSONText, nullable=True)


#: What :mod:`.migrations` creates on an empty database.
METADATA = Base.metadata


def table(model: type[Base]) -> sa.Table:
    """The Core table of ``model``, the only way rows are read or written."""
    return METADATA.tables[model.__tablename__]
