"""An execution's life in the journal, one statement set per transition.

::

    pending --claim--> running --finish--> succeeded | dead
       ^                  |
       +------retry-------+   (next_attempt_at: the backoff)
       +-----recover------+   (its bridge died, or its lease expired)
    dead --requeue--> pending (executions retry: a new budget)

Each function runs inside the caller's write transaction (see
:class:`pratai_bridge.journal.api.Journal`) and only moves rows out of the
state it expects them in, and a running row only for the bridge that owns
it, so a late or repeated call, or one from a bridge whose execution was
taken back, changes nothing.

Every claim adds a row to ``attempts`` and every end of a running attempt
(finish, retry, recover) closes it, so the history of an execution is kept
whole.

Owners and leases: claiming stamps ``owner`` with the bridge's id
(``hostname:pid:random``, unique per process) and ``lease_until``, which
the owner renews while it lives (:func:`renew`). A bridge takes back
running executions in two cases. When it starts, those it can prove
abandoned at once: no owner, or an owner that is a process of its host that
no longer exists (:func:`abandoned_by`). At any time, those whose lease
expired (:func:`expired`), whoever owned them: a bridge that cannot renew
for a whole lease is taken to be gone. The caller stops what the dead owner
left running (its containers) first, so that nothing runs twice at once.
"""

import datetime
import os
import secrets
import socket
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pratai_bridge.journal import models

#: Where finish() may take an execution.
FINAL_STATUSES = ('succeeded', 'dead')

_EXECUTIONS = models.table(models.ExecutionRow)
_C = _EXECUTIONS.c
_ATTEMPTS = models.table(models.AttemptRow)
_A = _ATTEMPTS.c
#: The statuses an execution of an ordered subscription waits behind.
_UNFINISHED = ('pending', 'running')
#: What an attempt's outcome is when its bridge stopped before its end.
INTERRUPTED = 'interrupted'


def bridge_id() -> str:
    """A new id for this process: ``hostname:pid:random``.

    The pid lets a bridge restarting on the same host recognise its dead
    predecessors; the random part keeps ids unique when pids are reused
    (containers, reboots).
    """
    return f'{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}'


def claim(conn: sa.Connection, limit: int, now: datetime.datetime,
          exclude: Collection[str], skip_locked: bool, owner: str,
          lease: float, ordered: Collection[str] = ()
          ) -> list[dict[str, Any]]:
    """Move up to ``limit`` due pending rows to running; oldest first.

    Executions of the ``ordered`` subscriptions wait while an earlier one
    of the same subscription and resource (by ``created_at``, then
    ``seq``, then id) is pending or running. ``skip_locked`` (PostgreSQL)
    makes concurrent claimers take disjoint rows instead of waiting for
    each other's.
    """
    due = sa.or_(_C.next_attempt_at.is_(None), _C.next_attempt_at <= now)
    query = (sa.select(_C.id).where(_C.status == 'pending', due)
             .order_by(_C.id).limit(limit))
    if exclude:
        query = query.where(_C.subscription.not_in(list(exclude)))
    if ordered:
        query = query.where(_in_turn(list(ordered)))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    ids = conn.execute(query).scalars().all()
    if not ids:
        return []
    update = (sa.update(_EXECUTIONS)
              .where(_C.id.in_(ids), _C.status == 'pending')
              .values(status='running', started_at=now, updated_at=now,
                      finished_at=None, next_attempt_at=None,
                      attempts=_C.attempts + 1, owner=owner,
                      lease_until=now + datetime.timedelta(seconds=lease))
              .returning(*_C))
    rows = sorted((row._asdict() for row in conn.execute(update)),
                  key=lambda row: row['id'])
    if rows:
        conn.execute(sa.insert(_ATTEMPTS), [
            {'execution_id': row['id'], 'number': row['attempts'],
             'bridge': owner, 'started_at': now} for row in rows])
    return rows


def _in_turn(ordered: list[str]) -> sa.ColumnElement[bool]:
    """An execution is in its turn unless its subscription is ordered and
    an earlier one of the same resource has not finished."""
    earlier = _EXECUTIONS.alias('earlier')
    before = sa.or_(
        earlier.c.created_at < _C.created_at,
        sa.and_(earlier.c.created_at == _C.created_at,
                sa.or_(earlier.c.seq < _C.seq,
                       sa.and_(earlier.c.seq == _C.seq,
                               earlier.c.id < _C.id))))
    waiting = sa.exists().where(
        earlier.c.subscription == _C.subscription,
        earlier.c.resource_id == _C.resource_id,
        earlier.c.status.in_(_UNFINISHED), before)
    return sa.or_(_C.subscription.not_in(ordered), _C.resource_id.is_(None),
                  ~waiting)


def _running(execution_id: int, owner: str | None) -> sa.ColumnElement[bool]:
    """The row, while running for ``owner`` (None: for anyone)."""
    where = sa.and_(_C.id == execution_id, _C.status == 'running')
    return where if owner is None else sa.and_(where, _C.owner == owner)


def end_attempt(conn: sa.Connection, execution_ids: Sequence[int],
                now: datetime.datetime, outcome: str,
                code: str | None = None, error: str | None = None,
                details: dict[str, Any] | None = None) -> None:
    """Close the open attempts of ``execution_ids``."""
    conn.execute(sa.update(_ATTEMPTS)
                 .where(_A.execution_id.in_(list(execution_ids)),
                        _A.ended_at.is_(None))
                 .values(ended_at=now, outcome=outcome, error_code=code,
                         error=error, details=details))


def finish(conn: sa.Connection, execution_id: int,
           values: dict[str, Any], now: datetime.datetime,
           owner: str | None = None) -> bool:
    """Write the final ``values`` of a running row; False if not running
    (for ``owner``, when given).

    ``values['duration']`` None means the attempt's wall time.
    """
    started = conn.execute(
        sa.select(_C.started_at).where(_running(execution_id, owner))
    ).first()
    if started is None:
        return False
    values = dict(values, finished_at=now, updated_at=now,
                  next_attempt_at=None, lease_until=None)
    if values['duration'] is None and started.started_at is not None:
        values['duration'] = (now - started.started_at).total_seconds()
    conn.execute(sa.update(_EXECUTIONS)
                 .where(_running(execution_id, owner)).values(**values))
    return True


def retry(conn: sa.Connection, execution_id: int,
          not_before: datetime.datetime, values: dict[str, Any],
          now: datetime.datetime, owner: str | None = None) -> bool:
    """Put a running row back to pending until ``not_before``."""
    result = conn.execute(
        sa.update(_EXECUTIONS)
        .where(_running(execution_id, owner))
        .values(status='pending', next_attempt_at=not_before,
                updated_at=now, lease_until=None, **values))
    return bool(result.rowcount)


def renew(conn: sa.Connection, owner: str, until: datetime.datetime
          ) -> int:
    """Extend the lease of ``owner``'s running rows; how many it holds."""
    return conn.execute(
        sa.update(_EXECUTIONS)
        .where(_C.status == 'running', _C.owner == owner)
        .values(lease_until=until)).rowcount


def stale_owners(conn: sa.Connection, now: datetime.datetime,
                 abandoned: Callable[[str | None], bool], me: str
                 ) -> dict[str | None, list[int]]:
    """Owner -> ids of the running rows to take back: those of owners
    ``abandoned`` says are dead, and those whose lease expired; never
    those of the bridge ``me`` (its lease may lapse while the journal is
    away, its runs are still its own)."""
    rows = conn.execute(sa.select(_C.id, _C.owner, _C.lease_until)
                        .where(_C.status == 'running')).all()
    by_owner: dict[str | None, list[int]] = {}
    for row in rows:
        if row.owner == me:
            continue  # its own runs: never stopped by itself
        expired = row.lease_until is None or row.lease_until < now
        if expired or abandoned(row.owner):
            by_owner.setdefault(row.owner, []).append(row.id)
    return by_owner


def recover(conn: sa.Connection, ids: Sequence[int], stale: str | None,
            now: datetime.datetime, lease_checked: bool) -> int:
    """Put the running rows ``ids`` of owner ``stale`` back to pending.

    With ``lease_checked`` only those whose lease is still expired now
    (their owner may have renewed meanwhile).
    """
    where = sa.and_(_C.id.in_(list(ids)), _C.status == 'running')
    where = sa.and_(where, _C.owner.is_(None) if stale is None
                    else _C.owner == stale)
    if lease_checked:
        where = sa.and_(where, sa.or_(_C.lease_until.is_(None),
                                      _C.lease_until < now))
    taken = conn.execute(sa.select(_C.id).where(where)).scalars().all()
    if not taken:
        return 0
    error = (f'interrupted: the bridge running it ({stale or "unknown"}) '
             'stopped')
    conn.execute(sa.update(_EXECUTIONS).where(_C.id.in_(taken))
                 .values(status='pending', next_attempt_at=None,
                         updated_at=now, lease_until=None, error=error,
                         outcome=INTERRUPTED))
    end_attempt(conn, taken, now, INTERRUPTED, error=error)
    return len(taken)


def requeue(conn: sa.Connection, where: sa.ColumnElement[bool],
            now: datetime.datetime) -> list[int]:
    """Put the dead or succeeded rows ``where`` selects back to pending,
    with a new budget of attempts and age; their ids."""
    where = sa.and_(where, _C.status.in_(FINAL_STATUSES))
    ids = conn.execute(sa.select(_C.id).where(where)).scalars().all()
    if ids:
        conn.execute(sa.update(_EXECUTIONS).where(_C.id.in_(ids))
                     .values(status='pending', next_attempt_at=None,
                             finished_at=None, updated_at=now,
                             retried_at=now, attempts_base=_C.attempts))
    return list(ids)


def abandoned_by(host: str, pid: int, me: str
                 ) -> Callable[[str | None], bool]:
    """Whether an owner is provably dead, as seen by the bridge ``me``,
    process ``pid`` of ``host``: another id with this pid is a dead
    predecessor's.

    Owners are ``host:pid:random`` (``host:pid`` before schema version 6).
    See the module docstring for the rules.
    """
    def abandoned(stale: str | None) -> bool:
        if stale == me:
            return False
        if not stale:
            return True
        parts = stale.split(':')
        if len(parts) >= 3 and not parts[-2].isdigit():
            return False
        if len(parts) >= 3:
            stale_host, stale_pid = ':'.join(parts[:-2]), parts[-2]
        else:
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
