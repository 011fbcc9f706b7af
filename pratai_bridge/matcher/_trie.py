"""The compiled index: a trie of field steps over every subscription clause.

Each clause (a conjunction of terms, see :mod:`pratai_bridge.filters._index`)
is a path from the root: its terms sorted by one global field order
(``event_type``, then ``project_id``, then the other fields by how many
clauses name them), one trie edge per term. Clauses that begin with the
same terms share nodes, so the ten thousand Swift rules of a cloud share
their ``event_type`` step and split on ``project_id``, then on what they
look at in the object. A node lists the subscriptions whose clause ends
there.

A :class:`Step` is one field of one node: the field's leaf values move the
walk to children through a dict of exact values, dicts of prefixes and
suffixes by length, a dict of lower-cased values, a segment tree of
numeric ranges, dicts of wildcards and globs by their literal head or tail
(then tested), the present/absent edges of ``exists``, and, for the
conditions nothing can look up (anything-but, cidr), a list tested one by
one: only the conditions of this node's field, never those of other
subscriptions.
"""

import bisect
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from math import isfinite
from typing import Any

from pratai_bridge.filters import _conditions as c
from pratai_bridge.filters._index import Clause
from pratai_bridge.matcher import _read

# A trie edge's target list: the children one value (or one length) leads to.
_Children = tuple['Node', ...]


class Node:
    """A trie node: the subscriptions ending here and the steps going on."""

    __slots__ = ('ends', 'steps')

    def __init__(self) -> None:
        #: Indexes of the subscriptions one of whose clauses ends here.
        self.ends: tuple[int, ...] = ()
        #: One Step per field some clause reads next from here.
        self.steps: tuple[Step, ...] = ()


class Step:
    """The edges for one field out of one node (see the module doc)."""

    __slots__ = ('path_id', 'path', 'read', 'exact', 'prefixes', 'suffixes',
                 'folded_prefixes', 'folded_suffixes', 'folded', 'guarded',
                 'bounds', 'ranges', 'tested', 'present', 'absent',
                 'needs_fold', 'only_exact', 'only_presence', 'only_numeric',
                 'lookup', 'edges')

    def __init__(self, path_id: int, path: tuple[str, ...],
                 read: _read.Reader | None = None) -> None:
        #: The field's number (its rank in the field order) and its path.
        self.path_id = path_id
        self.path = path
        #: Reads the field's leaf values from an event (see _read); one
        #: reader serves every step of a field.
        self.read = _read.reader(path) if read is None else read
        #: Exact values: a str itself, other scalars by value_key.
        self.exact: dict[Any, _Children] = {}
        #: (length, {prefix: children}) for each prefix length in use;
        #: the folded ones compare lower-cased text (ignore-case forms).
        self.prefixes: tuple[tuple[int, dict[str, _Children]], ...] = ()
        self.suffixes: tuple[tuple[int, dict[str, _Children]], ...] = ()
        self.folded_prefixes: tuple[
            tuple[int, dict[str, _Children]], ...] = ()
        self.folded_suffixes: tuple[
            tuple[int, dict[str, _Children]], ...] = ()
        #: equals-ignore-case: lower-cased value -> children.
        self.folded: dict[str, _Children] = {}
        #: Wildcards and globs filed under their literal head (True) or
        #: tail (False): (is head, length, {text: ((condition, child),)}),
        #: so only those whose literal part fits the value are tested.
        self.guarded: tuple[tuple[bool, int, dict[
            str, tuple[tuple[c.Condition, Node], ...]]], ...] = ()
        #: Numeric ranges: the sorted distinct bounds, and a segment tree
        #: (heap order, leaves from len/2) over the slots (2i: between
        #: bounds i-1 and i; 2i+1: on bound i) listing the children.
        self.bounds: list[float] = []
        self.ranges: tuple[_Children, ...] = ()
        #: (condition, child) tested one by one on each value.
        self.tested: tuple[tuple[c.Condition, Node], ...] = ()
        #: exists: true (any leaf value) and exists: false (none).
        self.present: _Children = ()
        self.absent: _Children = ()
        #: Whether any folded edge exists (saves a lower() per value).
        self.needs_fold = False
        #: Whether the exact dict is all there is (the walk's fast path).
        self.only_exact = False
        #: Whether only exists edges (present, absent) go on from here.
        self.only_presence = False
        #: Whether only numeric ranges go on from here.
        self.only_numeric = False
        #: For a step of one simple table (prefixes or suffixes of one
        #: length, or conditions tested one by one): one present scalar ->
        #: the children it reaches, a tuple (so it can key a dict), () for
        #: none. None for other steps (see advance).
        self.lookup: Callable[[Any], _Children] | None = None
        #: The (condition, child) pairs the tables were filled from, so
        #: steps of one field can be merged (:func:`merge`).
        self.edges: tuple[tuple[c.Condition, Node], ...] = ()

    def advance(self, values: Sequence[Any], ambiguous: bool,
                into: list['Node']) -> None:
        """Append to ``into`` the children these leaf values reach.

        ``ambiguous`` (see :mod:`._read`) also takes the absent edge: a
        pattern may find the field missing in one array element.
        """
        exact = self.exact
        for value in values:
            if isinstance(value, str):
                found = exact.get(value)
                if found:
                    into.extend(found)
                if self.prefixes:
                    _affixes(self.prefixes, value, True, into)
                if self.suffixes:
                    _affixes(self.suffixes, value, False, into)
                if self.needs_fold:
                    self._fold(value.lower(), into)
                if self.guarded:
                    self._guarded(value, into)
            else:
                if exact:
                    found = exact.get(c.value_key(value))
                    if found:
                        into.extend(found)
                if self.ranges and c.is_number(value) and isfinite(value):
                    self._numeric(value, into)
            for condition, child in self.tested:
                if condition.test(value):
                    into.append(child)
        if values:
            into.extend(self.present)
        if not values or ambiguous:
            into.extend(self.absent)

    def _numeric(self, value: float, into: list['Node']) -> None:
        self.advance_slot(_slot(self.bounds, value), into)

    def advance_slot(self, slot: int, into: list['Node']) -> None:
        """Append the children of the ranges over one slot (see slot())."""
        ranges = self.ranges
        node = slot + len(ranges) // 2
        while node:
            found = ranges[node]
            if found:
                into.extend(found)
            node //= 2

    def _guarded(self, value: str, into: list['Node']) -> None:
        size = len(value)
        for head, length, table in self.guarded:
            if length > size:
                continue
            found = table.get(value[:length] if head
                              else value[size - length:])
            if found:
                for condition, child in found:
                    if condition.test(value):
                        into.append(child)

    def _fold(self, lowered: str, into: list['Node']) -> None:
        found = self.folded.get(lowered)
        if found:
            into.extend(found)
        if self.folded_prefixes:
            _affixes(self.folded_prefixes, lowered, True, into)
        if self.folded_suffixes:
            _affixes(self.folded_suffixes, lowered, False, into)


def slot(step: Step, value: Any) -> int:
    """Which of a numeric step's slots a value falls in; -1: none (not a
    finite number). Values in one slot reach the same ranges."""
    if c.is_number(value) and isfinite(value):
        return _slot(step.bounds, value)
    return -1


def _slot(bounds: list[float], value: float) -> int:
    index = bisect.bisect_left(bounds, value)
    if index < len(bounds) and bounds[index] == value:
        return 2 * index + 1
    return 2 * index


def _affixes(tables: tuple[tuple[int, dict[str, _Children]], ...],
             value: str, prefix: bool, into: list[Node]) -> None:
    size = len(value)
    for length, table in tables:
        if length > size:
            break  # Sorted by length: no longer one fits.
        found = table.get(value[:length] if prefix
                          else value[size - length:])
        if found:
            into.extend(found)


# Building -----------------------------------------------------------------

class _Draft:
    """A node while clauses are added; frozen into a Node at the end."""

    __slots__ = ('ends', 'children')

    def __init__(self) -> None:
        self.ends: list[int] = []
        # (path id, conditions) -> child draft, in insertion order.
        self.children: dict[tuple[int, tuple[c.Condition, ...]],
                            _Draft] = {}


def field_order(clauses: Iterable[Clause]) -> dict[tuple[str, ...], int]:
    """Path -> rank: event_type, project_id, then by use, then by name."""
    uses: dict[tuple[str, ...], int] = {}
    for clause in clauses:
        for path, _conditions in clause:
            uses[path] = uses.get(path, 0) + 1
    first: dict[tuple[str, ...], int] = {('event_type',): 0,
                                         ('project_id',): 1}
    ranked = sorted(uses, key=lambda p: (first.get(p, 2), -uses[p], p))
    return {path: rank for rank, path in enumerate(ranked)}


def build(entries: Iterable[tuple[int, Clause]],
          order: dict[tuple[str, ...], int]) -> Node:
    """The trie of (subscription index, clause) entries."""
    root = _Draft()
    for index, clause in entries:
        node = root
        for path, conditions in sorted(
                clause, key=lambda term: order[term[0]]):
            key = (order[path], conditions)
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Draft()
            node = child
        if not node.ends or node.ends[-1] != index:
            node.ends.append(index)
    fields = {rank: (path, _read.reader(path)) for path, rank in order.items()}
    return _freeze(root, fields)


def _freeze(draft: _Draft,
            fields: dict[int, tuple[tuple[str, ...], _read.Reader]]) -> Node:
    node = Node()
    node.ends = tuple(draft.ends)
    steps: dict[int, Step] = {}
    edges: dict[int, list[tuple[c.Condition, Node]]] = {}
    for (path_id, conditions), child_draft in draft.children.items():
        child = _freeze(child_draft, fields)
        if path_id not in steps:
            steps[path_id] = Step(path_id, *fields[path_id])
            edges[path_id] = []
        edges[path_id].extend((cond, child) for cond in conditions)
    for path_id, step in steps.items():
        _fill(step, edges[path_id])
        step.edges = tuple(edges[path_id])
    node.steps = tuple(steps[k] for k in sorted(steps))
    return node


def merge(steps: Sequence[Step]) -> Step:
    """One step for the same field as ``steps``, reaching all they reach."""
    merged = Step(steps[0].path_id, steps[0].path, steps[0].read)
    edges = [edge for step in steps for edge in step.edges]
    _fill(merged, edges)
    merged.edges = tuple(edges)
    return merged


class _Tables:
    """A field's edges being sorted by kind (see Step for each table)."""

    def __init__(self) -> None:
        self.exact: dict[Any, list[Node]] = {}
        self.folded: dict[str, list[Node]] = {}
        # (is prefix, ignores case) -> length -> text -> children
        self.affixes: dict[tuple[bool, bool],
                           dict[int, dict[str, list[Node]]]] = {
            (p, f): {} for p in (True, False) for f in (True, False)}
        self.guarded: dict[tuple[bool, int], dict[
            str, list[tuple[c.Condition, Node]]]] = {}
        self.numeric: list[tuple[c.Numeric, Node]] = []
        self.tested: list[tuple[c.Condition, Node]] = []
        self.present: list[Node] = []
        self.absent: list[Node] = []

    def file(self, condition: c.Condition, child: Node) -> None:
        if isinstance(condition, c.Exact):
            kind, value = condition.key
            self.exact.setdefault(
                value if kind == 'string' else condition.key,
                []).append(child)
        elif isinstance(condition, (c.Prefix, c.Suffix)):
            is_prefix = isinstance(condition, c.Prefix)
            text = (condition.prefix if isinstance(condition, c.Prefix)
                    else condition.suffix)
            if condition.ignore_case:
                text = text.lower()
            self.affixes[(is_prefix, condition.ignore_case)].setdefault(
                len(text), {}).setdefault(text, []).append(child)
        elif isinstance(condition, c.EqualsIgnoreCase):
            for value in condition.values:
                self.folded.setdefault(value, []).append(child)
        elif isinstance(condition, c.Exists):
            (self.present if condition.present
             else self.absent).append(child)
        elif isinstance(condition, c.Numeric):
            self.numeric.append((condition, child))
        elif (literal := _literal_part(condition)) is not None:
            head, text = literal
            self.guarded.setdefault((head, len(text)), {}).setdefault(
                text, []).append((condition, child))
        else:
            self.tested.append((condition, child))

    def affix_tables(self, prefix: bool, folded: bool) -> tuple[
            tuple[int, dict[str, _Children]], ...]:
        if not self.affixes[(prefix, folded)]:
            return ()
        return tuple(sorted(
            (length, {k: _unique(v) for k, v in table.items()})
            for length, table in self.affixes[(prefix, folded)].items()))


def _fill(step: Step, edges: list[tuple[c.Condition, Node]]) -> None:
    """Sort a field's (condition, child) edges into the step's tables."""
    if all(condition.__class__ is c.Exact for condition, _ in edges):
        # Most steps: exact values only (an event type, a project, a
        # container); no other table to build.
        exact: dict[Any, list[Node]] = {}
        for condition, child in edges:
            key = condition.key  # type: ignore[attr-defined]
            exact.setdefault(key[1] if key[0] == 'string' else key,
                             []).append(child)
        step.exact = {k: _unique(v) for k, v in exact.items()}
        step.only_exact = True
        return
    tables = _Tables()
    for condition, child in edges:
        tables.file(condition, child)
    step.exact = {k: _unique(v) for k, v in tables.exact.items()}
    step.folded = {k: _unique(v) for k, v in tables.folded.items()}
    step.prefixes = tables.affix_tables(True, False)
    step.folded_prefixes = tables.affix_tables(True, True)
    step.suffixes = tables.affix_tables(False, False)
    step.folded_suffixes = tables.affix_tables(False, True)
    step.guarded = tuple(
        (head, length, {k: tuple(v) for k, v in table.items()})
        for (head, length), table in sorted(tables.guarded.items()))
    _fill_ranges(step, tables.numeric)
    step.tested = tuple(tables.tested)
    step.present = _unique(tables.present)
    step.absent = _unique(tables.absent)
    step.needs_fold = bool(step.folded or step.folded_prefixes
                           or step.folded_suffixes)
    looked_up = (step.needs_fold or step.prefixes or step.suffixes
                 or step.guarded or step.ranges or step.tested)
    step.only_exact = not (looked_up or step.present or step.absent)
    step.only_presence = not (looked_up or step.exact)
    step.only_numeric = bool(step.ranges) and not (
        step.needs_fold or step.prefixes or step.suffixes or step.guarded
        or step.tested or step.present or step.absent or step.exact)
    step.lookup = _lookup(step)


def _lookup(step: Step) -> Callable[[Any], _Children] | None:
    """Step.lookup for the simple shapes; None for the others."""
    tables = [step.exact, step.folded, step.prefixes, step.suffixes,
              step.folded_prefixes, step.folded_suffixes, step.guarded,
              step.ranges, step.tested, step.present, step.absent]
    if sum(1 for table in tables if table) != 1:
        return None
    if len(step.prefixes) == 1:
        length, table = step.prefixes[0]

        def prefix(value: Any) -> _Children:
            if value.__class__ is str:
                return table.get(value[:length], ())
            return ()
        return prefix
    if len(step.suffixes) == 1 and step.suffixes[0][0]:
        length, table = step.suffixes[0]

        def suffix(value: Any) -> _Children:
            if value.__class__ is str:
                return table.get(value[-length:], ())
            return ()
        return suffix
    if len(step.tested) == 1:
        ((condition, child),) = step.tested
        test = condition.test
        reached = (child,)

        def tested(value: Any) -> _Children:
            return reached if test(value) else ()
        return tested
    if step.tested:
        edges = step.tested

        def all_tested(value: Any) -> _Children:
            return tuple({id(child): child for condition, child in edges
                          if condition.test(value)}.values())
        return all_tested
    return None


def _literal_part(condition: c.Condition) -> tuple[bool, str] | None:
    """(is the head, text) of a wildcard's or glob's longest literal end."""
    if isinstance(condition, c.Wildcard):
        if len(condition.tail) > len(condition.head):
            return False, condition.tail
        return (True, condition.head) if condition.head else None
    if isinstance(condition, c.Glob) and condition.literal:
        return True, condition.literal
    return None


def _fill_ranges(step: Step, numeric: list[tuple[c.Numeric, Node]]
                 ) -> None:
    """File a step's numeric ranges in a segment tree over the slots.

    The obvious table, every slot listing every range that covers it, is
    quadratic when ranges overlap (a few hundred ">= n" rules made it
    200,000 entries); a segment tree files each range in O(log n) nodes
    and a value collects its ranges on one leaf-to-root path.
    """
    if not numeric:
        return
    bounds = sorted({b for cond, _ in numeric for b in (cond.low, cond.high)
                     if b is not None})
    position = {bound: index for index, bound in enumerate(bounds)}
    size = 1
    while size < 2 * len(bounds) + 1:
        size *= 2
    tree: list[list[Node]] = [[] for _ in range(2 * size)]
    for cond, child in numeric:
        first = (0 if cond.low is None else
                 2 * position[cond.low] + (2 if cond.low_open else 1))
        last = (2 * len(bounds) if cond.high is None else
                2 * position[cond.high] + (0 if cond.high_open else 1))
        low, high = first + size, last + size + 1
        while low < high:
            if low & 1:
                tree[low].append(child)
                low += 1
            if high & 1:
                high -= 1
                tree[high].append(child)
            low //= 2
            high //= 2
    step.bounds = bounds
    step.ranges = tuple(_unique(node) if node else () for node in tree)


def _unique(nodes: list[Node]) -> _Children:
    if len(nodes) == 1:
        return (nodes[0],)  # Most tables: one child per value.
    return tuple({id(n): n for n in nodes}.values())
