"""Why a compiled pattern does not match a document, field by field.

The walk follows :meth:`._tree.Pattern.match` exactly (a test holds the two
together): a failed leaf is one :class:`~.base.Mismatch` with its path, the
leaf values found (or "absent") and the conditions as written; a branch
over a list of objects reports each element (``payload.ips[1].address``);
a failed ``$or`` reports every alternative, its condition prefixed with
``$or[i]``.
"""

from collections.abc import Mapping
from typing import Any

from pratai_bridge.filters import _tree
from pratai_bridge.filters.base import ABSENT
from pratai_bridge.filters.base import Mismatch
from pratai_bridge.filters.base import show

_MISSING = object()


def _join(path: str, key: str) -> str:
    return f'{path}.{key}' if path else key


def _leaf(leaf: _tree.Leaf, obj: Mapping[str, Any] | None,
          path: str) -> list[Mismatch]:
    if leaf.match(obj):
        return []
    value = _MISSING if obj is None else obj.get(leaf.key, _MISSING)
    values = [] if value is _MISSING else _tree.leaf_values(value)
    if not values:
        found = ABSENT
    else:
        found = show(values[0] if len(values) == 1
                     and not isinstance(value, list) else values)
    return [Mismatch(_join(path, leaf.key), found, show(leaf.spec))]


def _branch(branch: _tree.Branch, obj: Mapping[str, Any] | None,
            path: str) -> list[Mismatch]:
    if branch.match(obj):
        return []
    here = _join(path, branch.key)
    value = _MISSING if obj is None else obj.get(branch.key, _MISSING)
    if isinstance(value, Mapping):
        return explain(branch.pattern, value, here)
    if isinstance(value, (list, tuple)):
        objects = [v for v in _tree.flatten(value) if isinstance(v, Mapping)]
        if objects:
            found = []
            for index, element in enumerate(objects):
                found.extend(explain(branch.pattern, element,
                                     f'{here}[{index}]'))
            return found
    return explain(branch.pattern, None, here)


def _any_of(any_of: _tree.AnyOf, obj: Mapping[str, Any] | None,
            path: str) -> list[Mismatch]:
    if any_of.match(obj):
        return []
    found = []
    for index, alternative in enumerate(any_of.alternatives):
        for mismatch in explain(alternative, obj, path):
            found.append(Mismatch(mismatch.field, mismatch.found,
                                  f'$or[{index}]: {mismatch.condition}'))
    return found


def explain(pattern: _tree.Pattern, obj: Mapping[str, Any] | None,
            path: str = '') -> list[Mismatch]:
    """Every part of ``pattern`` that ``obj`` fails; empty if it matches."""
    found: list[Mismatch] = []
    for part in pattern.parts:
        if isinstance(part, _tree.Leaf):
            found.extend(_leaf(part, obj, path))
        elif isinstance(part, _tree.Branch):
            found.extend(_branch(part, obj, path))
        else:
            found.extend(_any_of(part, obj, path))
    return found
