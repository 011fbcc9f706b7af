"""Putting a claimed execution back while its function's image builds.

::

    pending --claim--> running --wait_for_build--> pending

The attempt the claim counted is taken back: the function did not run, and
the execution is claimed again once the build ends (the dispatcher claims
nothing of a function being built), and its row in ``attempts`` is
removed. Like every transition, it runs inside the caller's write
transaction and moves only a row still ``running``.
"""

import datetime

import sqlalchemy as sa

from pratai_bridge.journal import models

_EXECUTIONS = models.table(models.ExecutionRow)
_C = _EXECUTIONS.c
_ATTEMPTS = models.table(models.AttemptRow)


def wait_for_build(conn: sa.Connection, execution_id: int,
                   now: datetime.datetime, owner: str | None = None) -> bool:
    """Put the running row back to pending, one attempt fewer (for
    ``owner`` only, when given)."""
    where = sa.and_(_C.id == execution_id, _C.status == 'running')
    if owner is not None:
        where = sa.and_(where, _C.owner == owner)
    result = conn.execute(
        sa.update(_EXECUTIONS).where(where)
        .values(status='pending', attempts=_C.attempts - 1,
                next_attempt_at=None, updated_at=now, lease_until=None))
    if not result.rowcount:
        return False
    conn.execute(sa.delete(_ATTEMPTS).where(
        _ATTEMPTS.c.execution_id == execution_id,
        _ATTEMPTS.c.ended_at.is_(None)))
    return True
