"""The ``event_type`` filter: shell-style globs on the event type.

::

    filters:
      - event_type: [compute.instance.create.end, "instance.*.end"]

``*`` matches any run of characters (dots included), ``?`` one character,
``[seq]`` one of a set, as in :mod:`fnmatch`; matching is case-sensitive.
Any glob may match.
"""

import fnmatch
import re
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
        # All globs in one regex, so a match costs one regex call.
        self._regex = re.compile(
            '|'.join(fnmatch.translate(glob) for glob in self.globs))

    def match(self, document: Mapping[str, Any]) -> bool:
        event_type = document.get('event_type')
        return (isinstance(event_type, str)
                and self._regex.match(event_type) is not None)

    def event_types(self) -> tuple[str, ...]:
        return self.globs

    def index(self) -> _index.Index:
        return _index.from_globs(self.globs, True)

    def explain(self, document: Mapping[str, Any]
                ) -> tuple[base.Mismatch, ...]:
        if self.match(document):
            return ()
        found = document.get('event_type')
        return (base.Mismatch('event_type', base.ABSENT if found is None
                              else base.show(found),
                              'one of the globs ' + base.show(
                                  list(self.globs))),)
