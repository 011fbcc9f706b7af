"""Read one field path of an event, as the index's terms read it.

Only the paths some subscription names are read, each once per event, and
straight from the :class:`~pratai_bridge.events.Event`'s attributes where
the document's top-level key is one: the document itself
(:meth:`Event.as_document`) is built only for a key that is not.

A path is read through mappings, and through lists by taking every mapping
in them (at any depth of lists); the *leaf values* are the scalars at the
end, a list's scalars included, never a mapping (see
:mod:`pratai_bridge.filters._index`). A read is *ambiguous* when it went
through a list holding two or more mappings: a pattern keeps each
element's fields together there, a flat reading cannot.
"""

import dataclasses
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from pratai_bridge.events.model import Event
from pratai_bridge.filters import _tree

_MISSING = object()
#: What a field that is not there reads as, before its leaf values.
MISSING = _MISSING


def _attribute_keys() -> frozenset[str]:
    """Document keys that are the Event attribute of the same name."""
    fields = {f.name for f in dataclasses.fields(Event)}
    probe = Event(message_id='m', source='s', event_type='t',
                  publisher_id='p', priority='info', timestamp='ts',
                  project_id='pr', user_id='u', resource_id='r',
                  payload={'k': 'v'}, details={'d': 1})
    document = probe.as_document()
    return frozenset(key for key, value in document.items()
                     if key in fields and getattr(probe, key) == value)


#: Computed once from the Event model itself, so a key added to the
#: document that is not an attribute is read from the document instead.
ATTRIBUTE_KEYS = _attribute_keys()


class EventFields:
    """The top-level fields of one event; the document only if needed."""

    __slots__ = ('event', '_document')

    def __init__(self, event: Event) -> None:
        self.event = event
        self._document: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        """The event document, built at most once."""
        if self._document is None:
            self._document = self.event.as_document()
        return self._document

    def top(self, key: str) -> Any:
        if key in ATTRIBUTE_KEYS:
            return getattr(self.event, key)
        return self.document().get(key, _MISSING)


def leaf_values(value: Any) -> list[Any]:
    return [] if value is _MISSING else _tree.leaf_values(value)


def read(fields: EventFields, path: tuple[str, ...]
         ) -> tuple[list[Any], bool]:
    """(leaf values at ``path``, whether the read was ambiguous)."""
    value = fields.top(path[0])
    if len(path) == 1:
        if value.__class__ in _SCALARS:
            return [value], False
        return leaf_values(value), False
    current = [value]
    ambiguous = False
    for key in path[1:]:
        following = []
        for item in current:
            if isinstance(item, Mapping):
                found = item.get(key, _MISSING)
                if found is not _MISSING:
                    following.append(found)
            elif isinstance(item, (list, tuple)):
                objects = [o for o in _tree.flatten(item)
                           if isinstance(o, Mapping)]
                ambiguous = ambiguous or len(objects) > 1
                for obj in objects:
                    found = obj.get(key, _MISSING)
                    if found is not _MISSING:
                        following.append(found)
        current = following
        if not current:
            return [], ambiguous
    if len(current) == 1:
        return leaf_values(current[0]), ambiguous
    values: list[Any] = []
    for item in current:
        values.extend(leaf_values(item))
    return values, ambiguous


_SCALARS = frozenset({str, int, float, bool, type(None)})
#: The classes of JSON scalars (subclasses take the general read).
SCALARS = _SCALARS

Reader = Callable[[EventFields], tuple[list[Any], bool]]


def reader(path: tuple[str, ...]) -> Reader:
    """:func:`read` for one path, with a shortcut for the common shapes
    (a top-level scalar; a scalar in ``details`` or ``payload``)."""
    head = path[0]
    if head not in ATTRIBUTE_KEYS or len(path) > 2:
        return lambda fields: read(fields, path)
    if len(path) == 1:
        def read_top(fields: EventFields) -> tuple[list[Any], bool]:
            value = getattr(fields.event, head)
            if value.__class__ in _SCALARS:
                return [value], False
            return leaf_values(value), False
        return read_top
    key = path[1]

    def read_nested(fields: EventFields) -> tuple[list[Any], bool]:
        top = getattr(fields.event, head)
        if top.__class__ is dict:
            value = top.get(key, _MISSING)
            if value.__class__ in _SCALARS:
                return [value], False
        return read(fields, path)
    return read_nested
