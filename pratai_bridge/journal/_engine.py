"""The journal's SQLAlchemy engine, with SQLite set up for one writer.

SQLite runs in WAL mode with ``synchronous=FULL``: every commit syncs the
WAL to disk before it returns, so a batch the listener acked survives a
power loss, not only a crash of the process (``NORMAL``, WAL's usual
setting, syncs only at checkpoints: a power loss may take the last
commits, already acked, with it). ``benchmarks/intake.py --sync`` measures
what FULL costs.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import pool

# Seconds a SQLite writer from another process waits for the lock.
SQLITE_BUSY_TIMEOUT = 30
#: SQLite's synchronous setting (see the module doc); benchmarks may
#: override it to measure the difference, nothing else should.
SQLITE_SYNCHRONOUS = 'FULL'


def make_engine(url: sa.URL, memory: bool) -> sa.Engine:
    """An engine for ``url``; ``memory`` for an in-memory SQLite database.

    Transactions on SQLite start with the ``pratai_begin`` execution
    option when a connection sets it (``BEGIN IMMEDIATE`` for writers).
    """
    if url.get_backend_name() != 'sqlite':
        return sa.create_engine(url, pool_pre_ping=True)
    kwargs: dict[str, Any] = {'connect_args': {
        'timeout': SQLITE_BUSY_TIMEOUT, 'check_same_thread': False}}
    if memory:
        # One connection for everyone, or each thread gets its own empty
        # database.
        kwargs['poolclass'] = pool.StaticPool
    engine = sa.create_engine(url, **kwargs)
    sa.event.listen(engine, 'connect', _sqlite_connect)
    sa.event.listen(engine, 'begin', _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # pysqlite's own transaction handling issues no BEGIN before DDL, so a
    # failed migration would be half applied: turn it off and let
    # _sqlite_begin emit BEGIN (the recipe in SQLAlchemy's SQLite docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute('PRAGMA journal_mode=WAL')
        cursor.execute(f'PRAGMA synchronous={SQLITE_SYNCHRONOUS}')
        cursor.execute('PRAGMA foreign_keys=ON')
    finally:
        cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get('pratai_begin',
                                                          'BEGIN'))
