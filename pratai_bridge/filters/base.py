"""The filter plugin contract (namespace ``pratai_bridge.filters``)."""

import abc
from collections.abc import Mapping
from typing import Any


class FilterSpecError(ValueError):
    """A filter's spec in a subscription file is invalid; the message says why.

    ``path`` names the part of the spec at fault (e.g. ``payload.state``),
    empty when the whole spec is.
    """

    def __init__(self, message: str, path: str = '') -> None:
        super().__init__(message)
        self.path = path


class Filter(abc.ABC):
    """One condition of a subscription, built from its spec in the file.

    A subscription's ``filters`` list holds one-key mappings; the key names
    the plugin, the value is its spec. ``__init__`` validates the spec and
    raises FilterSpecError, so a bad file fails when it is loaded, never when
    an event arrives. :meth:`match` is called with the event document
    (:meth:`pratai_bridge.events.Event.as_document`); it must be side-effect
    free, must not block, and is called from many threads at once.
    """

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    @abc.abstractmethod
    def match(self, document: Mapping[str, Any]) -> bool:
        """Whether the event document satisfies this filter."""

    def event_types(self) -> tuple[str, ...] | None:
        """The event-type globs this filter restricts to, or None for any.

        The matcher uses it to index subscriptions by event type, so that an
        event is only tested against subscriptions that can match it.
        """
        return None
