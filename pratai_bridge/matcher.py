"""Which subscriptions an event matches, through an index built once.

A subscription matches an event when its ``project`` (if set) is the
event's ``project_id`` and every one of its filters matches the event's
document (:meth:`pratai_bridge.events.Event.as_document`).

Invariants

* A Matcher is immutable: every attribute is set in ``__init__`` and
  nothing writes to it, or to the tuples, frozensets and dicts it holds,
  afterwards.
* :meth:`Matcher.match` returns exactly what a linear scan over all
  subscriptions would, in the order the subscriptions were given (file name
  order, then order within each file); a list, empty when nothing matches,
  never None. The index only skips subscriptions that cannot match.
* :meth:`Matcher.could_match` is False only when :meth:`Matcher.match`
  would return nothing for every event of that type.

Concurrency

* ``match`` and ``could_match`` only read, take no lock and may run in any
  number of threads at once. Filters promise the same (see
  :class:`pratai_bridge.filters.Filter`).
* A reload (SIGHUP) builds a new Matcher from the new files and the owner
  replaces its reference in one assignment. A reader that took the old
  reference finishes with the old Matcher; no reader ever sees a half-built
  one. (event-ruler's Machine lets one writer add rules to a live machine;
  rebuilding is simpler and, at a few hundred rules, takes milliseconds.)

The index

The obvious matcher tests every subscription against every event; its cost
grows with the number of rules (StackStorm's and Aodh's problem), and the
bridge sees every Swift GET. Instead, subscriptions are indexed by the
event-type globs their filters declare (:meth:`Filter.event_types`):

* subscriptions that declare no event type are candidates for every event;
* a glob whose first dotted segment is literal (``compute.instance.*``)
  goes in a bucket for that segment, so an event only tries the globs that
  share its first segment; other globs (``*.end``) are tried for every
  event type;
* for each literal event type (no ``*``, ``?``, ``[``) some subscription
  names, the full candidate list (with the globs and the "always" ones
  that apply) is computed once, in ``__init__``: an event of a type a rule
  names costs one dict lookup.

Only candidates are tested with their filters, so the cost follows the
event (its type, the few rules that name it), not the rule count. The event
document is built once per event, and only if a candidate remains. Rules
that share one event type (every Swift rule names
``objectstore.http.request``) are still tested one by one; indexing their
patterns' exact values, event-ruler style, is the next step, and the
pattern filter's compiled conditions (:mod:`pratai_bridge.filters._tree`)
are the pieces to build it from.
"""

import fnmatch
import re
import types
from collections.abc import Mapping
from collections.abc import Sequence

from pratai_bridge.events.model import Event
from pratai_bridge.subscriptions.model import Subscription

_GLOB_CHARS = frozenset('*?[')

# A glob, compiled, with the indexes of the subscriptions that declare it.
_GlobEntry = tuple[re.Pattern[str], tuple[int, ...]]


def _is_literal(text: str) -> bool:
    return _GLOB_CHARS.isdisjoint(text)


def _declared_event_types(
        subscription: Subscription) -> tuple[str, ...] | None:
    """The event-type globs the first filter that declares any declares.

    All filters must match, so any one filter's globs bound the candidates;
    None when no filter restricts the event type.
    """
    for subscription_filter in subscription.filters:
        globs = subscription_filter.event_types()
        if globs is not None:
            return tuple(globs)
    return None


def _classify(subscriptions: Sequence[Subscription]) -> tuple[
        tuple[int, ...], dict[str, list[int]], dict[str, list[int]]]:
    """(always, literal -> indexes, glob -> indexes) of the subscriptions."""
    always = []
    literals: dict[str, list[int]] = {}
    globs: dict[str, list[int]] = {}
    for index, subscription in enumerate(subscriptions):
        declared = _declared_event_types(subscription)
        if declared is None:
            always.append(index)
            continue
        for glob in dict.fromkeys(declared):
            target = literals if _is_literal(glob) else globs
            target.setdefault(glob, []).append(index)
    return tuple(always), literals, globs


def _split_globs(globs: dict[str, list[int]]) -> tuple[
        dict[str, tuple[_GlobEntry, ...]], tuple[_GlobEntry, ...]]:
    """Globs by literal first segment, and the others ("floating")."""
    by_head: dict[str, list[_GlobEntry]] = {}
    floating = []
    for glob, indexes in globs.items():
        entry = (re.compile(fnmatch.translate(glob)), tuple(indexes))
        head, dot, _rest = glob.partition('.')
        if dot and _is_literal(head):
            by_head.setdefault(head, []).append(entry)
        else:
            floating.append(entry)
    return {k: tuple(v) for k, v in by_head.items()}, tuple(floating)


class Matcher:
    """Match events to subscriptions; immutable, safe to share (see above)."""

    def __init__(self, subscriptions: Sequence[Subscription]) -> None:
        # The subscriptions, in the order given; results keep this order.
        self._subscriptions = tuple(subscriptions)
        # Name -> subscription, for the dispatcher (names are unique).
        self._by_name = types.MappingProxyType(
            {sub.name: sub for sub in self._subscriptions})
        always, literals, globs = _classify(self._subscriptions)
        # Indexes of the subscriptions that declare no event type.
        self._always = always
        # First dotted segment -> the globs (regex, indexes) that start
        # with that literal segment; and the globs that do not, tried for
        # every event type.
        self._by_head, self._floating = _split_globs(globs)
        # Literal event type -> every candidate for it (globs and
        # "always" included), so that the common case, an event type some
        # subscription names, costs one dict lookup.
        self._by_type = {literal: self._find(literal, indexes)
                         for literal, indexes in literals.items()}
        # Every glob in one regex: could_match's one-call pre-check.
        self._any_glob = (re.compile('|'.join(
            fnmatch.translate(glob) for glob in globs)) if globs else None)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """Every subscription, in the order given."""
        return self._subscriptions

    @property
    def by_name(self) -> Mapping[str, Subscription]:
        """Every subscription by name (read-only)."""
        return self._by_name

    def __len__(self) -> int:
        return len(self._subscriptions)

    def could_match(self, event_type: str) -> bool:
        """Whether any subscription may match an event of this type.

        Cheap (a dict lookup, at most one regex), for dropping what nobody
        wants before it is normalized. False means no event of this type
        can match; True means some may (their other filters decide).
        """
        if self._always or event_type in self._by_type:
            return True
        return (self._any_glob is not None
                and self._any_glob.match(event_type) is not None)

    def _find(self, event_type: str,
              named: Sequence[int] = ()) -> tuple[Subscription, ...]:
        """Candidates: ``named``, "always" and the globs that match."""
        found = set(self._always)
        found.update(named)
        head = event_type.partition('.')[0]
        for entries in (self._by_head.get(head, ()), self._floating):
            for regex, indexes in entries:
                if regex.match(event_type) is not None:
                    found.update(indexes)
        return tuple(self._subscriptions[i] for i in sorted(found))

    def _candidates(self, event_type: str) -> tuple[Subscription, ...]:
        """The subscriptions the index cannot rule out, in order."""
        candidates = self._by_type.get(event_type)
        return self._find(event_type) if candidates is None else candidates

    def match(self, event: Event) -> list[Subscription]:
        """The subscriptions ``event`` matches, in subscription order."""
        project_id = event.project_id
        candidates = [
            subscription
            for subscription in self._candidates(event.event_type)
            if subscription.project is None
            or subscription.project == project_id
        ]
        if not candidates:
            return []
        document = event.as_document()
        found = []
        for subscription in candidates:
            for subscription_filter in subscription.filters:
                if not subscription_filter.match(document):
                    break
            else:
                found.append(subscription)
        return found
