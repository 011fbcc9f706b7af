"""The rows :meth:`Journal.record <pratai_bridge.journal.api.Journal.record>`
inserts, one per key, sorted by key (see the api module: sorted inserts
cannot deadlock each other on PostgreSQL). What is stored of a message
(an event's document, a rejected notification's raw message) is scrubbed
of its secrets first (:mod:`pratai_bridge.events.scrub`).
"""

import datetime
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from pratai_bridge import chain
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Rejected
from pratai_bridge.events.scrub import scrub
from pratai_bridge.subscriptions.model import Subscription


def event_rows(events: Sequence[Event],
               matches: Sequence[tuple[Event, Subscription]],
               now: datetime.datetime,
               filter_errors: Mapping[str, Sequence[Mapping[str, str]]]
               ) -> list[dict[str, Any]]:
    """``filter_errors``: by message id, the filters that raised on it."""
    unique = {event.message_id: event for event in events}
    matched = {event.message_id for event, _ in matches}
    for event, _ in matches:
        unique.setdefault(event.message_id, event)
    return [{
        'message_id': event.message_id,
        'source': event.source,
        'event_type': event.event_type,
        'publisher_id': event.publisher_id,
        'priority': event.priority,
        'timestamp': event.timestamp,
        'project_id': event.project_id,
        'user_id': event.user_id,
        'resource_id': event.resource_id,
        'exchange': event.exchange,
        'document': scrub(event.as_document()),
        'received_at': now,
        'matched': event.message_id in matched,
        'filter_errors': (
            [dict(error) for error in filter_errors[event.message_id]]
            if event.message_id in filter_errors else None),
    } for _, event in sorted(unique.items())]


def execution_rows(matches: Sequence[tuple[Event, Subscription]],
                   now: datetime.datetime) -> list[dict[str, Any]]:
    """One pending row per (message, subscription). ``seq`` is the match's
    place in the batch as delivered, which delivery.ordered follows (the
    rows themselves are inserted sorted by key)."""
    unique: dict[tuple[str, str], tuple[int, Event, Subscription]] = {}
    for seq, (event, sub) in enumerate(matches):
        unique.setdefault((event.message_id, sub.name), (seq, event, sub))
    return [{
        'message_id': event.message_id,
        'subscription': sub.name,
        'function': sub.function,
        'status': 'pending',
        'event_type': event.event_type,
        'source': event.source,
        'created_at': now,
        'updated_at': now,
        'attempts': 0,
        'resource_id': event.resource_id,
        'seq': seq,
        'replay': 0,
        # The loop guard's (pratai_bridge.journal._chain links them).
        'request_id': chain.request_id(event.message_id, sub.name),
        'cause': event.cause,
    } for _, (seq, event, sub) in sorted(unique.items())]


def rejected_rows(rejected: Sequence[Rejected],
                  now: datetime.datetime) -> list[dict[str, Any]]:
    unique = {item.message_id: item for item in rejected}
    return [{
        'message_id': item.message_id,
        'status': 'rejected',
        'exchange': item.exchange,
        'event_type': item.event_type,
        'reason': item.reason,
        'raw': scrub(item.raw),
        'received_at': now,
    } for _, item in sorted(unique.items())]
