"""The loop guard's part of the journal: linking executions into chains.

See :mod:`pratai_bridge.chain` for the idea. Here:

* :func:`link` fills the chain columns of the execution rows
  :meth:`Journal.record` is about to insert, in its transaction: an
  event whose ``cause`` is the ``request_id`` of an execution the
  journal holds makes executions one deeper than that one, linked to it;
  any other cause is dropped (a user's own request). Those deeper than
  the maximum are inserted as ``loop``, finished, never claimed.
* :func:`chain` reads an execution's chain back, root first, and the
  executions it caused, for ``executions show``.

One indexed read per batch that holds causes; none otherwise.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pratai_bridge.chain import LOOP
from pratai_bridge.journal import models

__all__ = ['MAX_WALK', 'chain', 'caused_by', 'link']

_EXECUTIONS = models.table(models.ExecutionRow)
#: chains read back stop this far up (a journal from before the guard,
#: or one made by hand, must not make ``show`` walk forever)
MAX_WALK = 100


def link(conn: sa.Connection, rows: Sequence[dict[str, Any]],
         max_depth: int) -> None:
    """Set ``cause``, ``depth`` and, past ``max_depth``, the ``loop``
    status of execution ``rows`` (each with its event's cause)."""
    causes = {row['cause'] for row in rows if row['cause']}
    parents: dict[str, int] = {}
    if causes:
        found = conn.execute(
            sa.select(_EXECUTIONS.c.request_id, _EXECUTIONS.c.depth)
            .where(_EXECUTIONS.c.request_id.in_(sorted(causes))))
        parents = {request_id: depth or 0 for request_id, depth in found}
    for row in rows:
        parent = parents.get(row['cause'])
        if parent is None:
            row['cause'], row['depth'] = None, 0
            continue
        row['depth'] = parent + 1
        if row['depth'] > max_depth:
            row['status'] = LOOP
            row['finished_at'] = row['created_at']
            row['error'] = (
                f'loop: caused by a chain of {row["depth"]} executions '
                f'(request {row["cause"]}), deeper than [dispatcher] '
                f'max_chain_depth {max_depth}; not run')


def chain(conn: sa.Connection, execution_id: int) -> list[dict[str, Any]]:
    """The execution and those that caused it, root first (empty when
    there is no such execution)."""
    found: list[dict[str, Any]] = []
    where = _EXECUTIONS.c.id == execution_id
    while len(found) < MAX_WALK:
        row = conn.execute(sa.select(_EXECUTIONS).where(where)).first()
        if row is None:
            break
        found.append(row._asdict())
        if not row.cause:
            break
        where = _EXECUTIONS.c.request_id == row.cause
    return found[::-1]


def caused_by(conn: sa.Connection, request_id: str | None
              ) -> list[dict[str, Any]]:
    """The executions of the events that ``request_id`` caused."""
    if not request_id:
        return []
    return [row._asdict() for row in conn.execute(
        sa.select(_EXECUTIONS).where(_EXECUTIONS.c.cause == request_id)
        .order_by(_EXECUTIONS.c.id).limit(MAX_WALK))]
