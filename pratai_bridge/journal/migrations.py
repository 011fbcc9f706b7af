"""Schema versions: create an empty journal, upgrade an old one, refuse newer.

The ``schema_version`` table holds one integer. An empty database is created
straight from :mod:`.models` and stamped with :func:`latest`; a database at an
older version gets the missing :data:`STEPS`, in order; a database newer than
this code is refused, because an older bridge writing to it could lose what
the newer one relies on. Everything happens in the caller's transaction, so a
failed upgrade leaves the database as it was (SQLite and PostgreSQL both have
transactional DDL).

The obvious alternative, making version 1 the first step and always replaying
every step, was not taken: step 1 would have to freeze a copy of the tables
forever, and drift silently from :mod:`.models`. Here the models are the
truth and each step is only the delta from the version before it.

To change the schema: edit :mod:`.models`, then append ``(n + 1, upgrade)``
to :data:`STEPS` where ``upgrade(connection)`` turns version ``n`` into
``n + 1`` (``ALTER TABLE ... ADD COLUMN`` and the like, through
``connection.execute``).
"""

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pratai_bridge.journal import models

#: The first schema version, the one a database with no steps run has.
BASELINE = 1

Step = tuple[int, Callable[[sa.Connection], None]]


def _add_columns(connection: sa.Connection, table: str,
                 *columns: sa.Column[Any]) -> None:
    """``ALTER TABLE table ADD COLUMN`` each of ``columns`` (nullable).

    Each column is rendered by the connection's dialect, as create_all()
    would render it: the same types on a migrated and a new database.
    """
    sa.Table(table, sa.MetaData(), *columns)
    for column in columns:
        spec = sa.schema.CreateColumn(column).compile(
            dialect=connection.dialect)
        connection.execute(sa.text(f'ALTER TABLE {table} ADD COLUMN {spec}'))


def _v2_dispatch(connection: sa.Connection) -> None:
    """Version 2: when a retry may run, and who runs an execution."""
    _add_columns(connection, 'executions',
                 sa.Column('next_attempt_at', models.UTCDateTime()),
                 sa.Column('owner', sa.String(255)))


#: Columns whose values a notification's sender chooses, so no length
#: limit may refuse them (a Swift object path is up to ~1 KiB).
_SENDER_TEXT = (('events', ('event_type', 'publisher_id', 'project_id',
                            'user_id', 'resource_id')),
                ('rejected', ('event_type',)),
                ('executions', ('event_type',)))


def _v3_unbounded_text(connection: sa.Connection) -> None:
    """Version 3: sender-chosen fields become TEXT (were VARCHAR(255))."""
    if connection.dialect.name != 'postgresql':
        return  # SQLite never enforced the length
    for table, columns in _SENDER_TEXT:
        for column in columns:
            connection.execute(sa.text(
                f'ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT'))


def _v4_warm_and_build_wait(connection: sa.Connection) -> None:
    """Version 4: whether an execution ran warm, and how long it waited
    for its function's image to be built."""
    _add_columns(connection, 'executions', sa.Column('warm', sa.Boolean()),
                 sa.Column('build_wait', sa.Float()))


def _v5_filter_errors(connection: sa.Connection) -> None:
    """Version 5: the filters that raised on an event, kept with it."""
    _add_columns(connection, 'events',
                 sa.Column('filter_errors', models.JSONText()))


#: The columns executions had at version 5 (as at 4), copied by the
#: version 6 rebuild on SQLite.
_V5_EXECUTION_COLUMNS = (
    'id', 'message_id', 'subscription', 'function', 'status', 'event_type',
    'source', 'created_at', 'updated_at', 'attempts', 'function_version',
    'started_at', 'finished_at', 'duration', 'result', 'error', 'logs',
    'next_attempt_at', 'owner', 'warm', 'build_wait')
#: Version 6's new columns of executions (PostgreSQL adds them in place).
_V6_EXECUTION_COLUMNS = (
    ('lease_until', models.UTCDateTime), ('outcome', lambda: sa.String(16)),
    ('error_code', lambda: sa.String(64)), ('resource_id', sa.Text),
    ('replay_of', sa.Integer), ('retried_at', models.UTCDateTime))


def _v6_lifecycle(connection: sa.Connection) -> None:
    """Version 6: leases, the dead letter, ordering, replays, attempts.

    The unique key of executions gains ``replay``; SQLite cannot change a
    table's constraints in place, so there the table is rebuilt from the
    model and the rows copied. Executions that ended failed, timeout or
    error become ``dead``, keeping that as their outcome.
    """
    executions = models.table(models.ExecutionRow)
    if connection.dialect.name == 'sqlite':
        _rebuild_sqlite(connection, executions, _V5_EXECUTION_COLUMNS)
    else:
        _add_columns(connection, 'executions',
                     *(sa.Column(name, kind())
                       for name, kind in _V6_EXECUTION_COLUMNS),
                     *(sa.Column(name, sa.Integer(), nullable=False,
                                 server_default='0')
                       for name in ('seq', 'replay', 'attempts_base')))
        connection.execute(sa.text(
            'ALTER TABLE executions DROP CONSTRAINT '
            'uq_executions_message_id_subscription'))
        connection.execute(sa.text(
            'ALTER TABLE executions ADD CONSTRAINT uq_executions_delivery '
            'UNIQUE (message_id, subscription, replay)'))
        for name in ('ix_executions_order', 'ix_executions_created_at'):
            _index(executions, name).create(connection)
    connection.execute(sa.text(
        "UPDATE executions SET outcome = status, status = 'dead', "
        "error_code = CASE status WHEN 'failed' THEN 'function_failed' "
        "WHEN 'timeout' THEN 'timed_out' ELSE 'runner_failed' END "
        "WHERE status IN ('failed', 'timeout', 'error')"))
    connection.execute(sa.text(
        "UPDATE executions SET outcome = 'succeeded' "
        "WHERE status = 'succeeded'"))
    connection.execute(sa.text(
        'UPDATE executions SET seq = 0, resource_id = (SELECT '
        'events.resource_id FROM events WHERE events.message_id = '
        'executions.message_id)'))
    _add_columns(connection, 'events', sa.Column('matched', sa.Boolean()))
    connection.execute(sa.text(
        'UPDATE events SET matched = EXISTS (SELECT 1 FROM executions '
        'WHERE executions.message_id = events.message_id)'))
    models.table(models.AttemptRow).create(connection)
    _index(models.table(models.EventRow),
           'ix_events_received_at').create(connection)
    _index(models.table(models.RejectedRow),
           'ix_rejected_received_at').create(connection)


def _index(table: sa.Table, name: str) -> sa.Index:
    return next(index for index in table.indexes if index.name == name)


def _rebuild_sqlite(connection: sa.Connection, table: sa.Table,
                    kept: Sequence[str]) -> None:
    """Rebuild ``table`` as the model declares it, keeping the ``kept``
    columns of its rows (SQLite's recipe: new table, copy, drop, rename).
    """
    metadata = sa.MetaData()
    for other in table.foreign_keys:  # what its foreign keys refer to
        other.column.table.to_metadata(metadata)
    new = table.to_metadata(metadata, name=f'{table.name}_new')
    connection.execute(sa.schema.CreateTable(new))
    columns = ', '.join(kept)
    connection.execute(sa.text(
        f'INSERT INTO {new.name} ({columns}) SELECT {columns} '
        f'FROM {table.name}'))
    connection.execute(sa.text(f'DROP TABLE {table.name}'))
    connection.execute(sa.text(
        f'ALTER TABLE {new.name} RENAME TO {table.name}'))
    for index in table.indexes:
        index.create(connection)


def _v7_chain(connection: sa.Connection) -> None:
    """Version 7: the loop guard's request id, cause and depth of each
    execution (see :mod:`pratai_bridge.chain`), indexed for the lookups
    of the causes of a batch and of ``executions show``.

    Version 6 rebuilds executions from the model on SQLite, so there the
    columns may be there already: only what is missing is added.
    """
    have = {c['name'] for c in sa.inspect(connection).get_columns(
        'executions')}
    _add_columns(connection, 'executions', *(
        column for column in (sa.Column('request_id', sa.String(64)),
                              sa.Column('cause', sa.String(64)),
                              sa.Column('depth', sa.Integer()))
        if column.name not in have))
    indexes = {i['name'] for i in sa.inspect(connection).get_indexes(
        'executions')}
    for column in ('request_id', 'cause'):
        if f'ix_executions_{column}' not in indexes:
            connection.execute(sa.text(
                f'CREATE INDEX ix_executions_{column} ON executions '
                f'({column})'))


#: Upgrades from the version before each one, in order.
STEPS: tuple[Step, ...] = (
    (2, _v2_dispatch),
    (3, _v3_unbounded_text),
    (4, _v4_warm_and_build_wait),
    (5, _v5_filter_errors),
    (6, _v6_lifecycle),
    (7, _v7_chain),
)

# Any constant will do: it names "the journal migration" to PostgreSQL so
# that bridges starting together upgrade one after the other.
_PG_LOCK_KEY = 0x70726174


class SchemaVersionError(Exception):
    """The database cannot be used at the schema version it is at."""


def latest(steps: Sequence[Step] | None = None) -> int:
    """The schema version this code writes."""
    steps = STEPS if steps is None else steps
    return steps[-1][0] if steps else BASELINE


def current(connection: sa.Connection) -> int | None:
    """The database's schema version, None when it has no journal yet."""
    if not sa.inspect(connection).has_table(
            models.SchemaVersionRow.__tablename__):
        return None
    versions = connection.execute(
        sa.select(models.SchemaVersionRow.version)).scalars().all()
    if len(versions) != 1:
        raise SchemaVersionError(
            'schema_version must hold exactly one row, it holds '
            f'{len(versions)}')
    return versions[0]


def upgrade(connection: sa.Connection,
            steps: Sequence[Step] | None = None) -> tuple[int | None, int]:
    """Bring the database to :func:`latest`; returns (before, after).

    ``connection`` must be in a transaction, which the caller commits.
    Raises SchemaVersionError for a database newer than this code, or one
    holding journal tables but no version.
    """
    steps = STEPS if steps is None else steps
    _check_steps(steps)
    target = latest(steps)
    if connection.dialect.name == 'postgresql':
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(
            _PG_LOCK_KEY)))
    before = current(connection)
    if before is None:
        _create(connection, target)
        return None, target
    if before > target:
        raise SchemaVersionError(
            f'the journal database is at schema version {before}, newer '
            f'than the {target} this pratai-bridge knows; upgrade '
            'pratai-bridge or point it at another database')
    for version, step in steps:
        if version > before:
            step(connection)
    _stamp(connection, target)
    return before, target


def _create(connection: sa.Connection, version: int) -> None:
    existing = set(sa.inspect(connection).get_table_names())
    clash = sorted(existing & set(models.METADATA.tables))
    if clash:
        raise SchemaVersionError(
            f'the database has journal tables ({", ".join(clash)}) but no '
            'schema_version; refusing to guess their version')
    models.METADATA.create_all(connection)
    connection.execute(sa.insert(models.table(models.SchemaVersionRow)),
                       {'version': version})


def _stamp(connection: sa.Connection, version: int) -> None:
    connection.execute(sa.update(models.table(models.SchemaVersionRow))
                       .values(version=version))


def _check_steps(steps: Sequence[Step]) -> None:
    versions = [version for version, _ in steps]
    expected = list(range(BASELINE + 1, BASELINE + 1 + len(steps)))
    if versions != expected:
        # A programming error, caught by the unit tests before release.
        raise ValueError(
            f'migration steps must be numbered {expected}, got {versions}')
