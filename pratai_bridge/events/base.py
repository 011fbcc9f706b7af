"""The normalizer plugin contract (``pratai_bridge.normalizers``)."""

import abc
from typing import ClassVar

from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification


class NormalizationError(ValueError):
    """The notification cannot become an Event; the message says why."""


class Normalizer(abc.ABC):
    """Turn one source's notifications into Events.

    A normalizer is chosen by the notification's exchange and event type:
    ``exchanges`` lists the exchanges it serves and ``event_types`` the
    event-type globs (fnmatch) it understands; :meth:`accepts` may then look
    at the payload's shape to settle ties (Nova sends legacy and versioned
    notifications on the same exchange). When the exchange is unknown, only
    the event type and :meth:`accepts` decide.

    :meth:`normalize` must not block or keep state: it is called from
    several listener threads at once. It raises NormalizationError for a
    notification it accepted but cannot read; the pipeline parks it.
    """

    #: the Event.source value this normalizer produces
    source: ClassVar[str]
    #: exchanges this normalizer serves
    exchanges: ClassVar[tuple[str, ...]]
    #: event-type globs this normalizer understands
    event_types: ClassVar[tuple[str, ...]]

    def accepts(self, notification: Notification) -> bool:
        """Whether this normalizer reads ``notification``'s payload shape."""
        return True

    @abc.abstractmethod
    def normalize(self, notification: Notification) -> Event:
        """Return the Event for ``notification``; raise NormalizationError."""
