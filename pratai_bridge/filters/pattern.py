"""The ``pattern`` filter: an AWS EventBridge event pattern over the event.

::

    filters:
      - pattern:
          source: [nova]
          payload:
            state: [active]
            memory_mb: [{numeric: [">=", 4096]}]
            image_ref_url: [{prefix: "http://glance"}]
            fault: [{exists: false}]

The pattern has the shape of the event document
(:meth:`pratai_bridge.events.Event.as_document`): all its fields must match;
a field matches when any of its conditions does. The grammar is in
:mod:`._compile`, the matching rules in :mod:`._tree` and
:mod:`._conditions`; both follow EventBridge's (aws/event-ruler).
"""

import re
from collections.abc import Mapping
from typing import Any

from pratai_bridge.filters import _compile
from pratai_bridge.filters import _conditions
from pratai_bridge.filters import _explain
from pratai_bridge.filters import _index
from pratai_bridge.filters import _tree
from pratai_bridge.filters import base

_GLOB_SPECIAL = re.compile(r'([*?[])')


def _glob_escape(text: str) -> str:
    return _GLOB_SPECIAL.sub(r'[\1]', text)


def _event_type_globs(pattern: _tree.Pattern) -> tuple[str, ...] | None:
    """Globs for a top-level ``event_type`` leaf of exact or prefix strings.

    Kept for callers of :meth:`Filter.event_types`; the matcher indexes
    the whole pattern through :meth:`PatternFilter.index`.
    """
    leaves = [part for part in pattern.parts
              if isinstance(part, _tree.Leaf) and part.key == 'event_type']
    if not leaves:
        return None
    globs = []
    for condition in leaves[0].conditions:
        if (isinstance(condition, _conditions.Exact)
                and isinstance(condition.value, str)):
            globs.append(_glob_escape(condition.value))
        elif (isinstance(condition, _conditions.Prefix)
              and not condition.ignore_case):
            globs.append(_glob_escape(condition.prefix) + '*')
        else:
            return None
    return tuple(globs)


class PatternFilter(base.Filter):
    """Match the event document against an AWS EventBridge event pattern."""

    name = 'pattern'

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        # The compiled tree: every condition parsed and checked once, here.
        self.pattern = _compile.compile_pattern(spec)

    def match(self, document: Mapping[str, Any]) -> bool:
        return self.pattern.match(document)

    def event_types(self) -> tuple[str, ...] | None:
        return _event_type_globs(self.pattern)

    def index(self) -> _index.Index:
        return _index.from_pattern(self.pattern)

    def explain(self, document: Mapping[str, Any]
                ) -> tuple[base.Mismatch, ...]:
        return tuple(_explain.explain(self.pattern, document))
