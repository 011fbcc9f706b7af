"""``any``, ``all`` and ``not``: filters made of other filters.

::

    filters:
      - any:                               # at least one must match
          - event_type: [compute.instance.create.end]
          - all:                           # every one must match
              - event_type: "instance.*"
              - pattern: {details: {state: [active]}}
      - not: {project: [6f70656e737461636b20697320]}   # must not match

They nest to any depth, as Knative's trigger filters do. The names are
part of the subscription language, not plugins: the loader builds the
children (each a one-key mapping, like an item of ``filters``) and hands
them over; a plugin registered under one of these names is never used.

In the matcher's index, ``all`` takes part as the conjunction of its
children and ``any`` as their disjunction when every child can be indexed;
``not`` cannot (the absence of a match is no key to look up), so a
subscription whose only filters are ``not`` is tested on every event.
"""

import types
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from pratai_bridge.filters import _index
from pratai_bridge.filters import base

#: The combinator names, reserved in the subscription language.
NAMES = ('any', 'all', 'not')


class _Combinator(base.Filter):
    """A filter over already-built child filters."""

    def __init__(self, spec: Any, children: Sequence[base.Filter]) -> None:
        super().__init__(spec)
        # The child filters, in the order written.
        self.children = tuple(children)

    def _explain_children(self, document: Mapping[str, Any]
                          ) -> list[base.Mismatch]:
        found = []
        for index, child in enumerate(self.children):
            for mismatch in child.explain(document):
                found.append(base.Mismatch(
                    mismatch.field, mismatch.found,
                    f'{self.name}[{index}] {child.name}: '
                    f'{mismatch.condition}'))
        return found


class AllFilter(_Combinator):
    """Every child filter must match."""

    name = 'all'

    def match(self, document: Mapping[str, Any]) -> bool:
        for child in self.children:
            if not child.match(document):
                return False
        return True

    def index(self) -> _index.Index:
        return _index.conjoin([child.index() for child in self.children])

    def explain(self, document: Mapping[str, Any]
                ) -> tuple[base.Mismatch, ...]:
        return tuple(self._explain_children(document))


class AnyFilter(_Combinator):
    """At least one child filter must match."""

    name = 'any'

    def match(self, document: Mapping[str, Any]) -> bool:
        for child in self.children:
            if child.match(document):
                return True
        return False

    def index(self) -> _index.Index | None:
        return _index.disjoin([child.index() for child in self.children])

    def explain(self, document: Mapping[str, Any]
                ) -> tuple[base.Mismatch, ...]:
        if self.match(document):
            return ()
        return tuple(self._explain_children(document))


class NotFilter(_Combinator):
    """The one child filter must not match."""

    name = 'not'

    def match(self, document: Mapping[str, Any]) -> bool:
        return not self.children[0].match(document)

    def index(self) -> None:
        return None

    def explain(self, document: Mapping[str, Any]
                ) -> tuple[base.Mismatch, ...]:
        if self.match(document):
            return ()
        child = self.children[0]
        return (base.Mismatch('', '', f'not {child.name}: '
                                      f'{base.show(child.spec)} matched'),)


#: The combinator class of each reserved name.
BY_NAME: Mapping[str, type[_Combinator]] = types.MappingProxyType({
    'any': AnyFilter, 'all': AllFilter, 'not': NotFilter})
