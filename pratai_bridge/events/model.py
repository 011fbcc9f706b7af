"""Plain data passed between listener, normalizers and journal."""

import dataclasses
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class Notification:
    """One notification as an oslo.messaging listener endpoint receives it.

    ``exchange`` is the exchange it was consumed from (``nova``, ``swift``,
    ``aodh``...), or None when unknown (a file given to the CLI without
    ``--exchange``). ``priority`` is lower-case (``info``, ``sample``...).
    ``metadata`` holds ``message_id`` and ``timestamp`` as the sender set them.
    """

    exchange: str | None
    priority: str
    publisher_id: str | None
    event_type: str | None
    # Left out of repr (and so of any log line naming a notification):
    # payloads and contexts carry tokens and passwords.
    payload: Any = dataclasses.field(repr=False)
    metadata: Mapping[str, Any]
    ctxt: Mapping[str, Any] = dataclasses.field(default_factory=dict,
                                                repr=False)

    @property
    def message_id(self) -> str | None:
        return self.metadata.get('message_id')


@dataclasses.dataclass(frozen=True)
class Event:
    """A normalized notification: the same shape whatever the source.

    ``timestamp`` is ISO 8601 in UTC (``2026-11-28T03:02:28.177383Z``).
    ``payload`` is the original payload, unchanged. ``details`` holds the
    source-specific fields a normalizer derived from it (Swift's object path
    and HTTP method, an Aodh alarm's states...), so that subscriptions can
    match them without knowing each payload's layout.

    ``enrichment`` holds what the bridge looked up about the event before
    matching it (``{"server": {...}}``, see :mod:`pratai_bridge.enrich`):
    each key is a top-level key of the document, beside ``details``.
    ``cause`` is the global request id of the notification's context
    (``_context_global_request_id``): the request that made the source
    send it, which the loop guard (:mod:`pratai_bridge.chain`) follows; it
    is not part of the document.
    """

    message_id: str
    source: str
    event_type: str
    publisher_id: str | None
    priority: str
    timestamp: str
    project_id: str | None
    user_id: str | None
    resource_id: str | None
    # Left out of repr, as the Notification's: secrets may be in there.
    payload: Any = dataclasses.field(repr=False)
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict,
                                                   repr=False)
    exchange: str | None = None
    enrichment: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    cause: str | None = None

    def as_document(self) -> dict[str, Any]:
        """The dict that pattern filters match and a function receives."""
        document = {
            'message_id': self.message_id,
            'source': self.source,
            'event_type': self.event_type,
            'publisher_id': self.publisher_id,
            'priority': self.priority,
            'timestamp': self.timestamp,
            'project_id': self.project_id,
            'user_id': self.user_id,
            'resource_id': self.resource_id,
            'details': dict(self.details),
            'payload': self.payload,
        }
        if self.enrichment:
            document.update(self.enrichment)
        return document


#: The keys an enricher may add to the document: never one of the
#: normalized event's own (an enricher cannot overwrite what was received).
ENRICHMENT_KEYS = frozenset(('server',))


def enrichment_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The enrichment kept in a journaled event ``document``."""
    return {key: document[key] for key in ENRICHMENT_KEYS if key in document}


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A notification that could not be decoded or normalized.

    It is parked in the journal with the reason and the raw message so an
    operator can inspect and replay it; ``message_id`` is the sender's when
    it could be read, else one the bridge made up.
    """

    message_id: str
    exchange: str | None
    event_type: str | None
    reason: str
    raw: Any = dataclasses.field(repr=False)
