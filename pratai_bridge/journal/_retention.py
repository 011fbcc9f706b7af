"""Purging what the journal no longer keeps (``[journal] *_max_age``).

Rows go in chunks, each its own short transaction, so that a purge of a
large journal never holds SQLite's one write lock (or PostgreSQL's row
locks) for long: intake goes on between two chunks. Order matters: an
execution's attempts before it, and an event only once none of its
executions is left (their foreign key), whatever its age.
"""

import datetime
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from pratai_bridge.journal import models

__all__ = ['CHUNK', 'purge']

#: Rows deleted per transaction.
CHUNK = 2000
_EVENTS = models.table(models.EventRow)
_EXECUTIONS = models.table(models.ExecutionRow)
_ATTEMPTS = models.table(models.AttemptRow)
_REJECTED = models.table(models.RejectedRow)
_FINAL = ('succeeded', 'dead')

Cutoff = datetime.datetime | None
Connect = Callable[[], AbstractContextManager[sa.Connection]]


def purge(write: Connect, executions: Cutoff, matched: Cutoff,
          unmatched: Cutoff, dry_run: bool = False) -> dict[str, int]:
    """Delete what is older than each cutoff (None keeps all); rows per
    kind (``executions``, ``attempts``, ``events``, ``rejected``), counted
    and not deleted when ``dry_run``."""
    counts = dict.fromkeys(('executions', 'attempts', 'events', 'rejected'),
                           0)
    if executions is not None:
        old = sa.and_(_EXECUTIONS.c.status.in_(_FINAL),
                      _EXECUTIONS.c.finished_at < executions)
        for ids in _chunks(write, _EXECUTIONS.c.id, old, dry_run):
            counts['executions'] += len(ids)
            counts['attempts'] += _delete_executions(write, ids, dry_run)
    events = _old_events(matched, unmatched)
    if events is not None:
        for ids in _chunks(write, _EVENTS.c.message_id, events, dry_run):
            counts['events'] += len(ids)
            if not dry_run:
                with write() as conn:
                    conn.execute(sa.delete(_EVENTS).where(
                        _EVENTS.c.message_id.in_(ids), events))
    if matched is not None:
        old = _REJECTED.c.received_at < matched
        for ids in _chunks(write, _REJECTED.c.message_id, old, dry_run):
            counts['rejected'] += len(ids)
            if not dry_run:
                with write() as conn:
                    conn.execute(sa.delete(_REJECTED).where(
                        _REJECTED.c.message_id.in_(ids)))
    return counts


def _old_events(matched: Cutoff, unmatched: Cutoff
                ) -> sa.ColumnElement[bool] | None:
    """Events past their age with no execution left."""
    ages = []
    if matched is not None:
        ages.append(sa.and_(_EVENTS.c.matched.is_(True),
                            _EVENTS.c.received_at < matched))
    if unmatched is not None:
        ages.append(sa.and_(sa.or_(_EVENTS.c.matched.is_(False),
                                   _EVENTS.c.matched.is_(None)),
                            _EVENTS.c.received_at < unmatched))
    if not ages:
        return None
    used = sa.exists().where(
        _EXECUTIONS.c.message_id == _EVENTS.c.message_id)
    return sa.and_(sa.or_(*ages), ~used)


def _chunks(write: Connect, key: sa.Column[Any],
            where: sa.ColumnElement[bool], dry_run: bool
            ) -> Iterator[list[Any]]:
    """Keys of the rows ``where`` selects, CHUNK at a time. Deleting, the
    next chunk is read after the last one is gone; counting (``dry_run``),
    it goes on from the last key."""
    after = None
    while True:
        query = sa.select(key).where(where).order_by(key).limit(CHUNK)
        if dry_run and after is not None:
            query = query.where(key > after)
        with write() as conn:
            ids = list(conn.execute(query).scalars())
        if not ids:
            return
        yield ids
        after = ids[-1]
        if len(ids) < CHUNK:
            return


def _delete_executions(write: Connect, ids: list[int], dry_run: bool
                       ) -> int:
    """Delete the executions ``ids`` and their attempts; attempts
    counted."""
    with write() as conn:
        attempts = _ATTEMPTS.c.execution_id.in_(ids)
        if dry_run:
            return int(conn.execute(sa.select(sa.func.count())
                                    .where(attempts)).scalar_one())
        deleted = conn.execute(sa.delete(_ATTEMPTS).where(attempts))
        conn.execute(sa.delete(_EXECUTIONS).where(
            _EXECUTIONS.c.id.in_(ids)))
        return int(deleted.rowcount)
