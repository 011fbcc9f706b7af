"""The filter plugin contract (namespace ``pratai_bridge.filters``)."""

import abc
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from pratai_bridge.filters import _index
from pratai_bridge.filters._index import Index


class FilterSpecError(ValueError):
    """A filter's spec in a subscription file is invalid; the message says why.

    ``path`` names the part of the spec at fault (e.g. ``payload.state``),
    empty when the whole spec is.
    """

    def __init__(self, message: str, path: str = '') -> None:
        super().__init__(message)
        self.path = path


#: What :attr:`Mismatch.found` holds for a field with no (leaf) value.
ABSENT = 'absent'


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """Why a filter did not match an event: one field and one condition.

    ``field`` is the dotted path in the event document (``details.state``),
    empty when the filter cannot say; ``found`` the value there as JSON
    text, or :data:`ABSENT`; ``condition`` what the filter wanted, as the
    subscription file writes it.
    """

    field: str
    found: str
    condition: str


def show(value: Any) -> str:
    """A spec or a value as JSON text, for messages and explanations."""
    return json.dumps(value, default=str, ensure_ascii=False)


class Filter(abc.ABC):
    """One condition of a subscription, built from its spec in the file.

    A subscription's ``filters`` list holds one-key mappings; the key names
    the plugin, the value is its spec. ``__init__`` validates the spec and
    raises FilterSpecError, so a bad file fails when it is loaded, never when
    an event arrives.

    :meth:`match` is called with the event document
    (:meth:`pratai_bridge.events.Event.as_document`); it must be side-effect
    free, must not block, and is called from many threads at once. It should
    not raise; if it does (any Exception), the matcher logs the traceback
    with the event's message id and the subscription, counts the filter as
    not matching for that event (the subscription's function does not run),
    and reports the failure with the match result so the journal can keep
    it; other subscriptions are not affected.

    A filter may help the matcher's index with :meth:`index` (what it
    constrains, as conditions on document fields); one that does not is
    still correct, only tested on every event its subscription's other
    filters let through. :meth:`explain` says why it did not match.

    ``name`` is the key the filter was written under in the file (the
    loader sets it; classes default it to their entry-point name).
    """

    name = ''

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    @abc.abstractmethod
    def match(self, document: Mapping[str, Any]) -> bool:
        """Whether the event document satisfies this filter."""

    def event_types(self) -> tuple[str, ...] | None:
        """The event-type globs this filter restricts to, or None for any.

        Kept for filters written before :meth:`index`: a filter that only
        declares globs is indexed by event type and still tested.
        """
        return None

    def index(self) -> Index | None:
        """The filter as conditions the matcher can index, or None.

        ``Index.clauses`` must hold for every document the filter matches
        (read as :mod:`pratai_bridge.filters._index` says); when
        ``Index.exact`` is true the filter matches exactly those documents
        and the matcher skips calling :meth:`match`. The default derives it
        from :meth:`event_types`.
        """
        globs = self.event_types()
        return None if globs is None else _index.from_globs(globs, False)

    def explain(self, document: Mapping[str, Any]) -> tuple[Mismatch, ...]:
        """Why the document does not match: empty when it does.

        The default names the filter's spec; filters that know which field
        failed say so.
        """
        if self.match(document):
            return ()
        return (Mismatch('', '', f'{self.name or type(self).__name__}: '
                                 f'{show(self.spec)}'),)
