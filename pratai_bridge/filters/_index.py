"""What a filter tells the matcher's index: clauses of field conditions.

A filter's :class:`Index` is a disjunction of *clauses*; a clause is a
conjunction of *terms*; a term is a field path and the conditions one of
which a leaf value there must meet::

    ((('event_type',), (Exact('a.b'),)), (('details', 'state'), (...)))

A term holds for a document when some leaf value read at its path
satisfies one of its conditions, or when there is no leaf value and a
condition matches an absent field (``exists: false``). A path is read the
way the pattern filter reads it (:mod:`._tree`): through mappings, and
through lists by taking every mapping in them; the leaf values are the
scalars found at the end (at any depth of lists).

``Index.exact`` says the filter matches exactly the documents some clause
holds for, provided no path crosses a list holding two or more mappings
(where a pattern keeps each element's fields together and a flat reading
does not; the matcher then calls the filter itself). Otherwise the clauses
only have to hold for every matching document: the index uses them to
rule subscriptions out, and the filter's own ``match`` decides.
"""

import dataclasses
import itertools
import re

from pratai_bridge.filters import _conditions as c
from pratai_bridge.filters import _tree

Path = tuple[str, ...]
Term = tuple[Path, tuple[c.Condition, ...]]
Clause = tuple[Term, ...]

#: More clauses than this for one subscription are not worth an index
#: entry each: the product is cut (see :func:`conjoin`).
MAX_CLAUSES = 64

_GLOB_SPECIAL = re.compile(r'[*?[]')


@dataclasses.dataclass(frozen=True)
class Index:
    """A filter as an OR of clauses; ``exact``: see the module doc."""

    clauses: tuple[Clause, ...]
    exact: bool = True


#: Holds for every document (one clause without terms).
ANYTHING = Index(((),), True)


def conjoin(parts: list[Index | None]) -> Index:
    """All of ``parts`` (None: a part the index knows nothing about).

    The clauses multiply out; past :data:`MAX_CLAUSES` the widest parts
    are left out (the result then only bounds, it is not exact).
    """
    terms: list[Term] = []
    for part in parts:
        if part is None or not part.exact or len(part.clauses) != 1:
            break
        terms.extend(part.clauses[0])
    else:
        # The common case, one clause each: no product to take.
        return Index((tuple(terms),))
    exact = True
    known: list[Index] = []
    for part in parts:
        if part is None:
            exact = False
        else:
            known.append(part)
            exact = exact and part.exact
    known.sort(key=lambda part: len(part.clauses))
    clauses: tuple[Clause, ...] = ((),)
    for part in known:
        if len(clauses) * len(part.clauses) > MAX_CLAUSES:
            exact = False
            continue
        clauses = tuple(left + right for left, right
                        in itertools.product(clauses, part.clauses))
    return Index(clauses, exact)


def disjoin(parts: list[Index | None]) -> Index | None:
    """Any of ``parts``; None when one of them is unknown (anything)."""
    if any(part is None for part in parts):
        return None
    known = [part for part in parts if part is not None]
    clauses = tuple(itertools.chain.from_iterable(p.clauses for p in known))
    if len(clauses) > MAX_CLAUSES:
        return None
    return Index(clauses, all(part.exact for part in known))


def glob_condition(glob: str) -> c.Condition:
    """The cheapest condition equal to one ``fnmatch`` glob."""
    if not _GLOB_SPECIAL.search(glob):
        return c.Exact.of(glob)
    head, star = glob[:-1], glob[-1:]
    if star == '*' and not _GLOB_SPECIAL.search(head):
        return c.Prefix(head)
    return c.Glob.of(glob)


def from_globs(globs: tuple[str, ...], exact: bool) -> Index:
    """An event-type filter of these globs."""
    conditions = tuple(dict.fromkeys(glob_condition(g) for g in globs))
    term: Term = (('event_type',), conditions)
    return Index(((term,),), exact)


def from_pattern(pattern: _tree.Pattern, path: Path = ()) -> Index:
    """The clauses of a compiled pattern (exact; ``$or`` multiplies out)."""
    terms: list[Term] = []
    parts: list[Index | None] = []
    for part in pattern.parts:
        if isinstance(part, _tree.Leaf):
            terms.append((path + (part.key,), part.conditions))
        elif isinstance(part, _tree.Branch):
            nested = from_pattern(part.pattern, path + (part.key,))
            if len(nested.clauses) == 1 and nested.exact:
                terms.extend(nested.clauses[0])  # no $or below: one clause
            else:
                parts.append(nested)
        else:
            parts.append(disjoin([from_pattern(alt, path)
                                  for alt in part.alternatives]))
    if not parts:
        return Index((tuple(terms),))
    return conjoin([Index((tuple(terms),)), *parts])
