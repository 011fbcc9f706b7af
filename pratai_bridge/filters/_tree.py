"""A compiled event pattern: a tree of fields over leaf conditions.

A :class:`Pattern` is the compiled form of one pattern mapping: its parts
must all match. A part is a :class:`Leaf` (a field and its list of
conditions, any of which may match), a :class:`Branch` (a field holding a
nested pattern) or an :class:`AnyOf` (``$or``: any of several patterns).

How a document's values are read, as in EventBridge:

* A leaf field's *leaf values* are its value when that is a scalar, every
  scalar in it (at any depth) when it is a list, and nothing when it is
  missing or a mapping (conditions only look at leaves). With no leaf value
  only ``exists: false`` matches; otherwise the field matches when any
  condition holds for any leaf value.
* A branch over a list of mappings matches when one element matches the
  whole nested pattern: matches never combine fields of different array
  elements (event-ruler's "array consistency").

Nodes are frozen dataclasses, immutable and safe to share between threads.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from pratai_bridge.filters._conditions import Condition

_MISSING = object()
# The types of JSON scalars, for a fast path (subclasses take the slow one).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _flatten(values: Any, into: list[Any]) -> list[Any]:
    for value in values:
        if isinstance(value, (list, tuple)):
            _flatten(value, into)
        else:
            into.append(value)
    return into


def flatten(values: Any) -> list[Any]:
    """The items of a list, and of the lists in it, at any depth."""
    return _flatten(values, [])


def leaf_values(value: Any) -> list[Any]:
    """The scalar values a leaf condition looks at (see module doc)."""
    if isinstance(value, (list, tuple)):
        return [v for v in _flatten(value, [])
                if not isinstance(v, Mapping)]
    if value is _MISSING or isinstance(value, Mapping):
        return []
    return [value]


@dataclasses.dataclass(frozen=True, slots=True)
class Leaf:
    """``key: [condition, ...]``: any condition on any leaf value."""

    key: str
    conditions: tuple[Condition, ...]
    #: Whether a field without leaf values matches (``exists: false``).
    absent: bool = dataclasses.field(init=False, compare=False)
    #: The condition list as written, for explanations.
    spec: Any = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        absent = False
        for condition in self.conditions:
            if condition.matches_absent:
                absent = True
                break
        object.__setattr__(self, 'absent', absent)

    def match(self, obj: Mapping[str, Any] | None) -> bool:
        # Plain loops rather than any(generator): this runs for every
        # candidate subscription of every event.
        value = _MISSING if obj is None else obj.get(self.key, _MISSING)
        if value.__class__ in _SCALARS:
            for condition in self.conditions:
                if condition.test(value):
                    return True
            return False
        values = leaf_values(value)
        if not values:
            return self.absent
        for value in values:
            for condition in self.conditions:
                if condition.test(value):
                    return True
        return False


@dataclasses.dataclass(frozen=True, slots=True)
class Branch:
    """``key: {nested pattern}``."""

    key: str
    pattern: 'Pattern'

    def match(self, obj: Mapping[str, Any] | None) -> bool:
        value = _MISSING if obj is None else obj.get(self.key, _MISSING)
        if value.__class__ is dict:
            return self.pattern.match(value)
        return self.pattern.match_value(value)


@dataclasses.dataclass(frozen=True, slots=True)
class AnyOf:
    """``$or: [pattern, pattern, ...]``, at the level it appears."""

    alternatives: tuple['Pattern', ...]

    def match(self, obj: Mapping[str, Any] | None) -> bool:
        return any(alt.match(obj) for alt in self.alternatives)


@dataclasses.dataclass(frozen=True, slots=True)
class Pattern:
    """Every part must match."""

    parts: tuple[Leaf | Branch | AnyOf, ...]

    def match(self, obj: Mapping[str, Any] | None) -> bool:
        """Match an object; None stands for "no object here"."""
        for part in self.parts:
            if not part.match(obj):
                return False
        return True

    def match_value(self, value: Any) -> bool:
        """Match whatever a branch's field holds (see module doc)."""
        if isinstance(value, Mapping):
            return self.match(value)
        if isinstance(value, (list, tuple)):
            objects = [v for v in _flatten(value, [])
                       if isinstance(v, Mapping)]
            if objects:
                return any(self.match(obj) for obj in objects)
        return self.match(None)
