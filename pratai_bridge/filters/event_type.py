"""The ``event_type`` filter: shell-style globs on the event type.

::

    filters:
      - event_type: [compute.instance.create.end, "instance.*.end"]

``*`` matches any run of characters (dots included), ``?`` one character,
``[seq]`` one of a set, as in :mod:`fnmatch`; matching is case-sensitive.
Any glob may match.
"""

from collections.abc import Mapping
from typing import Any

from pratai_bridge.filters import _index
from pratai_bridge.filters import base


def _globs(spec: Any) -> tuple[str, ...]:
    globs = spec if isinstance(spec, list) else [spec]
    if not globs or not all(isinstance(g, str) and g for g in globs):
        raise base.FilterSpecError(
            'event_type needs a glob or a non-empty list of globs '
            f'(non-empty strings), got {spec!r}')
    return tuple(globs)


class EventTypeFilter(base.Filter):
    """Match the event type against one or more globs (any may match)."""

    name = 'event_type'

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        # The globs as written, for the matcher's event-type index.
        self.globs = _globs(spec)
        # Each glob as the cheapest equal condition: literal globs are
        # exact values and "x.*" a prefix, so loading 10,000 rules does not
        # translate 10,000 globs into regexes (most never need one).
        self._index = _index.from_globs(self.globs, True)
        ((_path, self._conditions),) = self._index.clauses[0]

    def match(self, document: Mapping[str, Any]) -> bool:
        event_type = document.get('event_type')
        if not isinstance(event_type, str):
            return False
        for condition in self._conditions:
            if condition.test(event_type):
                return True
        return False

    def event_types(self) -> tuple[str, ...]:
        return self.globs

    def index(self) -> _index.Index:
        return self._index

    def explain(self, document: Mapping[str, Any]
                ) -> tuple[base.Mismatch, ...]:
        if self.match(document):
            return ()
        found = document.get('event_type')
        return (base.Mismatch('event_type', base.ABSENT if found is None
                              else base.show(found),
                              'one of the globs ' + base.show(
                                  list(self.globs))),)
