"""An execution's life in the journal, one statement set per transition.

::

    pending --claim--> running --finish--> succeeded | failed | timeout | error
       ^                  |
       +------retry-------+   (next_attempt_at: the backoff)
       +-----recover------+   (the bridge running it died)

Each function runs inside the caller's write transaction (see
:class:`pratai_bridge.journal.api.Journal`) and only moves rows out of the
state it expects them in, so a late or repeated call changes nothing.

Owners: claiming stamps ``owner`` with ``hostname:pid``. On restart a
bridge recovers the running executions it can prove abandoned: those with
no owner, its own pid's (it has just started, so nothing of its own runs
yet), and those of a process of its host that no longer exists. Those of
other hosts are left alone: a bridge cannot tell whether another machine's
bridge is alive, and running an execution twice at the same time is worse
than running it late. They are recovered when a bridge restarts on that
host. (Pid namespaces break the "same host" reasoning: bridges in
containers need distinct hostnames, which Docker gives them by default.)
"""

import datetime
import os
import socket
from collections.abc import Callable
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from pratai_bridge.journal import models

#: Where finish() may take an execution.
FINAL_STATUSES = ('succeeded', 'failed', 'timeout', 'error')

_EXECUTIONS = models.table(models.ExecutionRow)
_C = _EXECUTIONS.c


def owner() -> str:
    """``hostname:pid`` of this process, computed now (forks differ)."""
    return f'{socket.gethostname()}:{os.getpid()}'


def claim(conn: sa.Connection, limit: int, now: datetime.datetime,
          exclude: Collection[str], skip_locked: bool
          ) -> list[dict[str, Any]]:
    """Move up to ``limit`` due pending rows to running; oldest first.

    ``skip_locked`` (PostgreSQL) makes concurrent claimers take disjoint
    rows instead of waiting for each other's.
    """
    due = sa.or_(_C.next_attempt_at.is_(None), _C.next_attempt_at <= now)
    query = (sa.select(_C.id).where(_C.status == 'pending', due)
             .order_by(_C.id).limit(limit))
    if exclude:
        query = query.where(_C.subscription.not_in(list(exclude)))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    ids = conn.execute(query).scalars().all()
    if not ids:
        return []
    update = (sa.update(_EXECUTIONS)
              .where(_C.id.in_(ids), _C.status == 'pending')
              .values(status='running', started_at=now, updated_at=now,
                      finished_at=None, next_attempt_at=None,
                      attempts=_C.attempts + 1, owner=owner())
              .returning(*_C))
    rows = [row._asdict() for row in conn.execute(update)]
    return sorted(rows, key=lambda row: row['id'])


def finish(conn: sa.Connection, execution_id: int,
           values: dict[str, Any], now: datetime.datetime) -> bool:
    """Write the final ``values`` of a running row; False if not running.

    ``values['duration']`` None means the attempt's wall time.
    """
    started = conn.execute(
        sa.select(_C.started_at).where(_C.id == execution_id,
                                       _C.status == 'running')).first()
    if started is None:
        return False
    values = dict(values, finished_at=now, updated_at=now,
                  next_attempt_at=None)
    if values['duration'] is None and started.started_at is not None:
        values['duration'] = (now - started.started_at).total_seconds()
    conn.execute(sa.update(_EXECUTIONS)
                 .where(_C.id == execution_id, _C.status == 'running')
                 .values(**values))
    return True


def retry(conn: sa.Connection, execution_id: int,
          not_before: datetime.datetime, error: str,
          now: datetime.datetime) -> bool:
    """Put a running row back to pending until ``not_before``."""
    result = conn.execute(
        sa.update(_EXECUTIONS)
        .where(_C.id == execution_id, _C.status == 'running')
        .values(status='pending', next_attempt_at=not_before, error=error,
                updated_at=now))
    return bool(result.rowcount)


def recover(conn: sa.Connection, now: datetime.datetime,
            abandoned: Callable[[str | None], bool]) -> int:
    """Put running rows whose owner is ``abandoned`` back to pending."""
    running = conn.execute(sa.select(_C.id, _C.owner)
                           .where(_C.status == 'running')).all()
    by_owner: dict[str | None, list[int]] = {}
    for row in running:
        by_owner.setdefault(row.owner, []).append(row.id)
    recovered = 0
    for stale, ids in by_owner.items():
        if not abandoned(stale):
            continue
        result = conn.execute(
            sa.update(_EXECUTIONS)
            .where(_C.id.in_(ids), _C.status == 'running')
            .values(status='pending', next_attempt_at=None, updated_at=now,
                    error=f'interrupted: the bridge running it '
                          f'({stale or "unknown"}) stopped'))
        recovered += result.rowcount
    return recovered


def abandoned_by(host: str, pid: int) -> Callable[[str | None], bool]:
    """Whether an owner is provably dead, as seen by ``host``:``pid``.

    See the module docstring for the rules.
    """
    def abandoned(stale: str | None) -> bool:
        if not stale:
            return True
        stale_host, _, stale_pid = stale.rpartition(':')
        if stale_host != host or not stale_pid.isdigit():
            return False
        return int(stale_pid) == pid or not _alive(int(stale_pid))
    return abandoned


def _alive(pid: int) -> bool:
    if pid <= 0:
        return True  # kill() would signal a group; not an owner we wrote
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def tail(text: str, limit_bytes: int) -> str:
    """The last ``limit_bytes`` bytes of ``text`` (UTF-8), whole chars."""
    data = text.encode('utf-8', errors='replace')
    if len(data) <= limit_bytes:
        return text
    # Dropping the bytes of a character cut in two.
    return data[len(data) - limit_bytes:].decode('utf-8', errors='ignore')
