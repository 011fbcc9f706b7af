"""Which subscriptions an event matches, through one compiled index.

A subscription matches an event when its ``project`` (if set) is the
event's ``project_id`` and every one of its filters matches the event's
document (:meth:`pratai_bridge.events.Event.as_document`).

How it is fast

Every subscription becomes clauses of field conditions (what its
``project`` and filters require, :meth:`Filter.index`; ``$or``, ``any``
and ``all`` multiply out) and every clause a path in one trie
(:mod:`._trie`): ``event_type`` first, then ``project_id``, then the other
fields patterns name, each step a dict lookup on the event's value (exact
values, prefixes and suffixes by length, lower-cased values) or a short
list of the conditions no dict can look up, local to that node. An event
walks only the branches its own values open, reading only the fields those
branches name, so its cost follows the event and the few subscriptions
that could match it, not how many there are: a subscription that cannot
match is never looked at.

The trie is walked one field at a time (:mod:`._states`): the nodes an
event has reached together take each field once, through one state whose
transitions are remembered as events need them (where an exact value, the
presence of a field, a numeric slot or the set of children reached leads),
so the common field costs one read and one dict lookup however many rules
share it.

Invariants

* What a Matcher answers never changes: its subscriptions, entries and
  trie are set in ``__init__`` and nothing writes to them afterwards. The
  one thing that grows is the automaton's memory of transitions
  (:mod:`._states`), each a pure function of the trie, bounded in size
  whatever the events (past its bounds it computes and forgets).
* :meth:`Matcher.match` returns exactly what a linear scan over all
  subscriptions would (every filter's ``match`` on the document, a filter
  that raises counting as False), in the order the subscriptions were given
  (file name order, then order within each file); a list, empty when
  nothing matches, never None. The index only skips subscriptions that
  cannot match: where it is not exact it hands candidates to the filters
  themselves (below).
* :meth:`Matcher.could_match` is False only when :meth:`Matcher.match`
  would return nothing for every event of that type.
* A filter that raises never makes ``match`` raise: the subscription does
  not match that event, the traceback is logged with the message id and
  the subscription, and :meth:`Matcher.match_event` reports it.

Where the index is not the whole answer

* Filters that cannot be indexed (third-party plugins without
  :meth:`Filter.index`, ``not``) are called, with the document, only for
  the subscriptions the rest of the index leaves; a subscription of only
  such filters is a candidate for every event.
* Past 64 clauses for one subscription the widest parts are left out of
  the index and the filters decide (:data:`_index.MAX_CLAUSES`).
* Reading a path through a list of two or more objects (a Nova payload's
  list of addresses) cannot keep each object's fields together, as a
  pattern does; such an event is matched through the index with
  ``exists: false`` relaxed, then every candidate is checked by its
  filters.

Concurrency

* ``match``, ``match_event`` and ``could_match`` take no lock and may run
  in any number of threads at once; per-event state lives on the caller's
  stack. Filters promise the same (see
  :class:`pratai_bridge.filters.Filter`). The automaton's states are
  stored, each complete, with one dict assignment (atomic under the GIL);
  two threads that build the same state at once build equal ones, and
  either serves.
* A reload builds a new Matcher from the new files, away from the readers,
  and the owner replaces its reference in one assignment
  (``Pipeline.set_matcher``). A reader that took the old reference
  finishes with the old Matcher; no reader ever sees a half-built one.

Where it departs from aws/event-ruler, and why

* event-ruler's Machine lets one writer add and delete rules on a live
  machine, under a lock, with readers running. We rebuild: subscriptions
  change by whole files, a rebuild is a reload away from the readers
  (``benchmarks/matcher.py`` times it), and a matcher whose answers never
  change needs no reader/writer protocol at all.
* event-ruler's NameState automaton is built when rules are added; ours
  is built from the trie as events need it (an eager one would multiply
  out every project by every rule of no project at load time), and
  remembers only what the tables bound (exact values, slots, children
  sets), not the values of fields such as object names that rarely
  repeat.
* event-ruler matches strings byte by byte through one automaton per
  field (the ByteMachine), which makes every wildcard and prefix cost the
  same. In Python a dict lookup per prefix length beats a byte automaton
  by far, so exact values, prefixes, suffixes and ignore-case values are
  dicts, numeric ranges a segment tree, wildcards and globs are filed
  under their literal head or tail, and only anything-but, cidr and
  wildcards without a literal end are tested one by one (among the
  conditions of one node's field only).
* event-ruler keeps array consistency inside the automaton (array
  membership per field); we keep it by checking the candidates of the rare
  event whose read crossed a list of objects (above).
* Numbers compare as Python floats over the whole double range; event-ruler
  limits them to ±5e9 with six decimals.
"""

import dataclasses
import logging
import types
from collections.abc import Mapping
from collections.abc import Sequence

from pratai_bridge import _gc
from pratai_bridge.events.model import Event
from pratai_bridge.filters import _index
from pratai_bridge.filters import project as project_filter
from pratai_bridge.filters.base import Filter
from pratai_bridge.matcher import _read
from pratai_bridge.matcher import _states
from pratai_bridge.matcher import _trie
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)

__all__ = ['FilterFailure', 'MatchResult', 'Matcher']


@dataclasses.dataclass(frozen=True)
class FilterFailure:
    """A filter raised on an event: it counted as no match."""

    subscription: str
    #: The filter's name as written in the file (``pattern``...).
    filter: str
    #: ``ExceptionType: message``.
    error: str


@dataclasses.dataclass(frozen=True)
class MatchResult:
    """What :meth:`Matcher.match_event` found for one event."""

    #: The matched subscriptions, in subscription order.
    subscriptions: tuple[Subscription, ...]
    #: The filters that raised (their subscriptions did not match).
    failures: tuple[FilterFailure, ...] = ()


@dataclasses.dataclass(frozen=True)
class _Entry:
    """One subscription as the matcher holds it."""

    subscription: Subscription
    #: Its clauses (for explanations and could_match's reasoning).
    clauses: tuple[_index.Clause, ...]
    #: Whether the index alone decides (no filter need be called).
    exact: bool


def _index_of(subscription: Subscription) -> _index.Index:
    parts: list[_index.Index | None] = []
    if subscription.project is not None:
        parts.append(project_filter.project_index([subscription.project]))
    for subscription_filter in subscription.filters:
        try:
            parts.append(subscription_filter.index())
        except Exception:
            # A plugin's index() is only a help: without it the filter is
            # simply called for every candidate.
            LOG.exception('Filter %s of subscription %s cannot be indexed; '
                          'it will be tested on every candidate event',
                          subscription_filter.name, subscription.name)
            parts.append(None)
    return _index.conjoin(parts)


class Matcher:
    """Match events to subscriptions; safe to share (see above)."""

    def __init__(self, subscriptions: Sequence[Subscription]) -> None:
        # The subscriptions, in the order given; results keep this order.
        self._subscriptions = tuple(subscriptions)
        # Name -> subscription, for the dispatcher (names are unique).
        self._by_name = types.MappingProxyType(
            {sub.name: sub for sub in self._subscriptions})
        with _gc.paused():
            entries = []
            for subscription in self._subscriptions:
                found = _index_of(subscription)
                entries.append(_Entry(subscription, found.clauses,
                                      found.exact))
            # Per subscription (same order): its clauses and exactness.
            self._entries = tuple(entries)
            order = _trie.field_order(
                clause for entry in entries for clause in entry.clauses)
            # The trie of every clause (see _trie); all that match walks.
            self._root = _trie.build(
                ((index, clause) for index, entry in enumerate(entries)
                 for clause in entry.clauses), order)
            # The trie walked one field at a time, its states built on
            # first use (see _states: the only thing that changes).
            self._automaton = _states.Automaton(self._root)

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

    def clauses(self, index: int) -> tuple[_index.Clause, ...]:
        """The index clauses of the ``index``-th subscription."""
        return self._entries[index].clauses

    def could_match(self, event_type: str) -> bool:
        """Whether any subscription may match an event of this type.

        Cheap (the root's event_type step), for dropping what nobody wants
        before it is normalized. False means no event of this type can
        match; True means some may (their other fields decide).
        """
        root = self._root
        if root.ends:
            return True
        reached: list[_trie.Node] = []
        for step in root.steps:
            if step.path != ('event_type',):
                return True  # Some clause does not name the event type.
            step.advance([event_type], False, reached)
        return bool(reached)

    def match(self, event: Event) -> list[Subscription]:
        """The subscriptions ``event`` matches, in subscription order."""
        return self._match(event, [])

    def match_event(self, event: Event) -> MatchResult:
        """:meth:`match`, with the filters that raised on the way."""
        failures: list[FilterFailure] = []
        matched = self._match(event, failures)
        if not matched and not failures:
            return _NOTHING
        return MatchResult(tuple(matched), tuple(failures))

    def _match(self, event: Event, failures: list[FilterFailure]
               ) -> list[Subscription]:
        found, ambiguous, fields = self._walk(event)
        if not found:
            return []
        entries = self._entries
        matched = []
        for index in sorted(set(found)) if len(found) > 1 else found:
            entry = entries[index]
            if (ambiguous or not entry.exact) and not _check(
                    entry.subscription, fields, failures):
                continue
            matched.append(entry.subscription)
        return matched

    def _walk(self, event: Event
              ) -> tuple[list[int], bool, _read.EventFields]:
        """(candidate indexes, some read was ambiguous, the event's fields)."""
        fields = _read.EventFields(event)
        found, ambiguous = self._automaton.walk(fields)
        return found, ambiguous, fields


_NOTHING = MatchResult(())


def _check(subscription: Subscription, fields: _read.EventFields,
           failures: list[FilterFailure]) -> bool:
    """The subscription's own test, each filter guarded."""
    event = fields.event
    if (subscription.project is not None
            and subscription.project != event.project_id):
        return False
    document = fields.document()
    for subscription_filter in subscription.filters:
        if not guarded_match(subscription_filter, document, subscription,
                             event.message_id, failures):
            return False
    return True


def guarded_match(subscription_filter: Filter, document: Mapping,
                  subscription: Subscription, message_id: str,
                  failures: list[FilterFailure]) -> bool:
    """``filter.match(document)``; a raise is logged, recorded, False."""
    try:
        return bool(subscription_filter.match(document))
    except Exception as exc:
        # The filter contract: a raising filter is no match for this
        # subscription only; the event goes on to the others.
        LOG.exception('Filter %s of subscription %s raised on event %s; '
                      'counting it as no match',
                      subscription_filter.name or
                      type(subscription_filter).__name__,
                      subscription.name, message_id)
        failures.append(FilterFailure(
            subscription.name,
            subscription_filter.name or type(subscription_filter).__name__,
            f'{type(exc).__name__}: {exc}'))
        return False
