"""Replays: journaled events read back, and new executions made of them.

An ordinary delivery is execution ``replay`` 0 of its (event,
subscription), and a redelivery adds nothing (the unique key). A deliberate
replay takes the next number, so it can be repeated, and names the
delivery's execution in ``replay_of`` when there is one.
"""

import datetime
import fnmatch
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pratai_bridge.events.model import Event
from pratai_bridge.journal import models
from pratai_bridge.subscriptions.model import Subscription

__all__ = ['add', 'events']

_EVENTS = models.table(models.EventRow)
_EXECUTIONS = models.table(models.ExecutionRow)
_C = _EXECUTIONS.c
#: Events read per query.
_PAGE = 1000


def events(conn: sa.Connection, since: datetime.datetime,
           until: datetime.datetime | None, event_type: str | None
           ) -> Iterator[dict[str, Any]]:
    """Event rows received in [since, until), oldest first, whose type
    matches the glob ``event_type`` (None: any), a page at a time."""
    where = _EVENTS.c.received_at >= since
    if until is not None:
        where = sa.and_(where, _EVENTS.c.received_at < until)
    if event_type is not None and not any(c in event_type for c in '*?['):
        where = sa.and_(where, _EVENTS.c.event_type == event_type)
    after: tuple[Any, str] | None = None
    while True:
        query = (sa.select(_EVENTS).where(where)
                 .order_by(_EVENTS.c.received_at, _EVENTS.c.message_id)
                 .limit(_PAGE))
        if after is not None:
            query = query.where(sa.tuple_(
                _EVENTS.c.received_at, _EVENTS.c.message_id) > after)
        rows = [row._asdict() for row in conn.execute(query)]
        if rows:  # before the caller takes the rows apart
            after = (rows[-1]['received_at'], rows[-1]['message_id'])
        for row in rows:
            if event_type is None or fnmatch.fnmatchcase(row['event_type'],
                                                         event_type):
                yield row
        if len(rows) < _PAGE:
            return


def add(conn: sa.Connection, matches: Sequence[tuple[Event, Subscription]],
        now: datetime.datetime) -> list[dict[str, Any]]:
    """Insert one replay execution per match (their events are in the
    journal); the new rows."""
    added = []
    for seq, (event, subscription) in enumerate(matches):
        key = sa.and_(_C.message_id == event.message_id,
                      _C.subscription == subscription.name)
        last, delivery = conn.execute(
            sa.select(sa.func.max(_C.replay),
                      sa.func.min(sa.case((_C.replay == 0, _C.id))))
            .where(key)).one()
        row = {
            'message_id': event.message_id,
            'subscription': subscription.name,
            'function': subscription.function,
            'status': 'pending', 'event_type': event.event_type,
            'source': event.source, 'created_at': now, 'updated_at': now,
            'attempts': 0, 'resource_id': event.resource_id, 'seq': seq,
            'replay': (last or 0) + 1, 'replay_of': delivery,
        }
        row['id'] = conn.execute(sa.insert(_EXECUTIONS).values(**row)
                                 .returning(_C.id)).scalar_one()
        added.append(row)
    return added
