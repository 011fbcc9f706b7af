"""The trie walked as a lazily built automaton: one step per field.

Walking the trie node by node (:mod:`._trie`) visits every node an event
reaches, and nodes reached together each look up the same field: the
Swift rules of one project and the few that name no project both ask for
``details.method``, then both for ``details.container``. A :class:`State`
stands for the *set* of steps (one field of one node each) that the nodes
an event has reached still have to take, and holds one step for the
lowest-ranked field among them: the union of their steps for that field
(small ones merged into one, :func:`_trie.merge`). An event therefore
reads each field once and, for an exact-only field, makes one lookup
(the state remembers where each value leads), however many nodes share
it.

Why processing fields in rank order is exact: a clause's terms are sorted
by rank, so a node reached through a field of rank ``r`` only has steps
for fields of rank above ``r``. When a state takes its field of rank
``r``, every step that will ever read ``r`` is already in its set.

States are built on first use and kept (:class:`Automaton`), with where
they lead: for a value of an exact-only field, for whether an exists-only
field is there, for the slot of a number among a ranges-only field's
bounds, for an event type seen before (up to :data:`VALUES_PER_STATE` of
them), for the set of children a value reached. Each of these is bounded
by the tables, not by the events: values that no rule names are not kept
(past :data:`MISSES_PER_STATE`), nor the values of fields such as object
names, which rarely repeat (their lookups are made for each event). What
a state leads to is a pure function of the immutable trie, so a state
built twice by two threads at once is built the same way; each is kept
with one dict assignment, atomic under the GIL, and readers never see a
half-built state (it is stored only once complete). Past
:data:`MAX_STATES` states, new ones are built for the event at hand and
not kept (correct, only slower), which bounds the memory any stream of
events can make the automaton take.
"""

from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

from pratai_bridge.filters._conditions import value_key
from pratai_bridge.matcher import _read
from pratai_bridge.matcher import _trie

#: States kept per matcher; see the module doc.
MAX_STATES = 200_000
#: Steps of one field are merged into one when they have at most this
#: many edges between them; larger ones are looked up one by one, so a
#: state never copies a large table (the few hundred containers that
#: rules of no project name would be copied into every project's state).
MERGE_EDGES = 32
#: Distinct event types remembered per state (see State.remember).
VALUES_PER_STATE = 64
#: Values that lead nowhere remembered per EXACT state (project ids of
#: projects without rules...); past them such a value costs a lookup per
#: step.
MISSES_PER_STATE = 1024
#: Distinct children sets remembered per state.
CHILDREN_PER_STATE = 256

# A transition: (the next state or None at the end, subscription indexes
# reached on the way).
_Next = tuple['State | None', tuple[int, ...]]


# What decides a state's next state, when its field holds one scalar.
EXACT = 'exact'        # the value (every step is exact-only)
PRESENCE = 'presence'  # whether there is a value (only exists edges)
NUMERIC = 'numeric'    # the slot between bounds (only numeric ranges)
OTHER = 'other'        # the tables must be looked through (advance)

# A field value the fast path cannot take: a list, a mapping.
_SLOW = object()
_MISSING = _read.MISSING
_SCALARS = _read.SCALARS


def _kind(steps: Sequence[_trie.Step]) -> str:
    if all(step.only_exact for step in steps):
        return EXACT
    if all(step.only_presence for step in steps):
        return PRESENCE
    if all(step.only_numeric for step in steps):
        return NUMERIC
    return OTHER


def _slots(steps: tuple[_trie.Step, ...], value: Any) -> Any:
    """A NUMERIC state's key: the slot of the value in each step's bounds
    (one int for one step), -1 when it is not a finite number. As many
    keys as the bounds of all steps make slots, whatever the values."""
    if len(steps) == 1:
        return _trie.slot(steps[0], value)
    first = _trie.slot(steps[0], value)
    if first < 0:
        return -1
    return (first, *(_trie.slot(step, value) for step in steps[1:]))


class State:
    """The steps pending after some fields, and those of the one read next."""

    __slots__ = ('steps', 'read', 'head', 'key', 'kind', 'rest', 'by_key',
                 'by_children', 'miss', 'remember', 'misses', 'lookup')

    def __init__(self, steps: tuple[_trie.Step, ...],
                 rest: frozenset[_trie.Step]) -> None:
        #: The steps for this field (merged where small, see MERGE_EDGES).
        self.steps = steps
        path = steps[0].path
        #: Reads this field's leaf values from an event.
        self.read = steps[0].read
        #: The field, for the walk's own fast read: the Event attribute
        #: and the key in it (None: the attribute itself), or head None
        #: when the path is longer or not an attribute (read() then).
        simple = path[0] in _read.ATTRIBUTE_KEYS and len(path) <= 2
        self.head = path[0] if simple else None
        self.key = path[1] if simple and len(path) == 2 else None
        #: EXACT, PRESENCE or OTHER (see above).
        self.kind = _kind(steps)
        #: The pending steps of later fields (they go on unchanged).
        self.rest = rest
        #: Where one scalar leads: by its value key (EXACT, and OTHER when
        #: remember), by True/False (PRESENCE), by slot (NUMERIC).
        #: Bounded: EXACT keeps the keys some step has and
        #: MISSES_PER_STATE others, NUMERIC its slots, OTHER
        #: VALUES_PER_STATE.
        self.by_key: dict[Any, _Next] = {}
        #: Children reached -> next (OTHER): a frozenset, or the tuple
        #: that lookup returned.
        self.by_children: dict[Any, _Next] = {}
        #: Next when the value reaches no child (built on first use).
        self.miss: _Next | None = None
        #: Whether OTHER remembers values: only for the event type,
        #: whose values are few; an object name or a size repeats too
        #: seldom to be worth it.
        self.remember = path == ('event_type',)
        #: Values remembered that lead nowhere (EXACT).
        self.misses = 0
        #: OTHER of one step of one simple table: its Step.lookup.
        self.lookup = (steps[0].lookup if self.kind is OTHER
                       and len(steps) == 1 and not self.remember else None)


def _grouped(steps: list[_trie.Step]) -> tuple[_trie.Step, ...]:
    """The steps of one field, the small non-exact ones merged."""
    if len(steps) == 1:
        return (steps[0],)
    small = [step for step in steps
             if not step.only_exact and len(step.edges) <= MERGE_EDGES]
    if len(small) < 2:
        return tuple(steps)
    return (*(step for step in steps if step not in small),
            _trie.merge(small))


class Automaton:
    """The states of one matcher's trie, built as events need them."""

    def __init__(self, root: _trie.Node) -> None:
        # frozenset of pending steps -> its State (see MAX_STATES).
        self._states: dict[frozenset[_trie.Step], State] = {}
        #: Subscriptions every event reaches (clauses without terms).
        self.ends = root.ends
        #: The first state (None when no clause has a term).
        self.start = self.state(frozenset(root.steps))

    def state(self, pending: frozenset[_trie.Step]) -> State | None:
        """The state of a set of pending steps (None for the empty set)."""
        if not pending:
            return None
        found = self._states.get(pending)
        if found is not None:
            return found
        rank = min(step.path_id for step in pending)
        built = State(_grouped([step for step in pending
                                if step.path_id == rank]),
                      frozenset(step for step in pending
                                if step.path_id != rank))
        if len(self._states) < MAX_STATES:
            self._states[pending] = built
        return built

    def after(self, state: State, children: Iterable[_trie.Node]) -> _Next:
        """Where ``state`` goes when its field reached ``children``."""
        ends: list[int] = []
        pending = set(state.rest)
        for child in children:
            ends.extend(child.ends)
            pending.update(child.steps)
        return self.state(frozenset(pending)), tuple(ends)

    def keyed(self, state: State, key: Any) -> _Next:
        """The transition of an EXACT, PRESENCE or NUMERIC state."""
        reached: list[_trie.Node] = []
        if state.kind is PRESENCE:
            for step in state.steps:
                reached.extend(step.present if key else step.absent)
        elif state.kind is NUMERIC:
            if key.__class__ is tuple:
                for step, slot in zip(state.steps, key, strict=True):
                    step.advance_slot(slot, reached)
            elif key >= 0:
                state.steps[0].advance_slot(key, reached)
        elif key is not _MISSING:
            for step in state.steps:
                children = step.exact.get(key)
                if children:
                    reached.extend(children)
        if reached:
            found = self.after(state, reached)
        else:
            found = self._miss(state)
            if state.misses >= MISSES_PER_STATE:
                return found
            state.misses += 1
        state.by_key[key] = found
        return found

    def next(self, state: State, values: list[Any], unsure: bool
             ) -> _Next:
        """The transition for one event's leaf values of the state's field."""
        key = None
        if not unsure and len(values) < 2:
            if state.kind is not OTHER:
                if not values:
                    key = (False if state.kind is PRESENCE else -1
                           if state.kind is NUMERIC else _MISSING)
                else:
                    value = values[0]
                    key = (True if state.kind is PRESENCE
                           else _slots(state.steps, value)
                           if state.kind is NUMERIC
                           else value if value.__class__ is str
                           else value_key(value))
                return state.by_key.get(key) or self.keyed(state, key)
            if state.remember and values:
                value = values[0]
                key = value if value.__class__ is str else value_key(value)
                found = state.by_key.get(key)
                if found is not None:
                    return found
        reached: list[_trie.Node] = []
        for step in state.steps:
            step.advance(values, unsure, reached)
        if not reached:
            found = self._miss(state)
        else:
            group = frozenset(reached)
            found = state.by_children.get(group)
            if found is None:
                found = self.after(state, group)
                if len(state.by_children) < CHILDREN_PER_STATE:
                    state.by_children[group] = found
        if key is not None and len(state.by_key) < VALUES_PER_STATE:
            state.by_key[key] = found
        return found

    def looked_up(self, state: State, children: tuple[_trie.Node, ...]
                  ) -> _Next:
        """The transition for what a state's lookup returned."""
        if not children:
            return self._miss(state)
        found = self.after(state, children)
        if len(state.by_children) < CHILDREN_PER_STATE:
            state.by_children[children] = found
        return found

    def _miss(self, state: State) -> _Next:
        if state.miss is None:
            state.miss = (self.state(state.rest), ())
        return state.miss
    def walk(self, fields: _read.EventFields) -> tuple[list[int], bool]:
        """(indexes of the subscriptions reached, some read was ambiguous).

        An index may appear more than once.
        """
        found = list(self.ends)
        ambiguous = False
        event = fields.event
        state = self.start
        while state is not None:
            head = state.head
            if head is not None:
                # The common field: a scalar (or nothing) in the event or
                # one level down, read and keyed here without a call.
                value: Any = getattr(event, head)
                key: Any
                if state.key is not None:
                    value = (value.get(state.key, _MISSING)
                             if value.__class__ is dict else _SLOW)
                if value.__class__ is str:
                    key = value
                elif value is _MISSING or value is _SLOW:
                    key = value
                elif value.__class__ in _SCALARS:
                    key = value_key(value)
                else:
                    key = _SLOW
                if key is not _SLOW:
                    if state.kind is PRESENCE:
                        key = key is not _MISSING
                    elif state.kind is NUMERIC:
                        key = _slots(state.steps, value)
                    lookup = state.lookup
                    if lookup is not None:
                        # One simple table: its children tuple keys the
                        # next state.
                        children = lookup(value) if key is not _MISSING \
                            else ()
                        going = (state.by_children.get(children)
                                 if children else state.miss)
                        if going is None:
                            going = self.looked_up(state, children)
                        state, ends = going
                        if ends:
                            found.extend(ends)
                        continue
                    going = state.by_key.get(key)
                    if going is None:
                        if state.kind is OTHER:
                            going = self.next(
                                state, [] if key is _MISSING else [value],
                                False)
                        else:
                            going = self.keyed(state, key)
                    state, ends = going
                    if ends:
                        found.extend(ends)
                    continue
            values, unsure = state.read(fields)
            if unsure:
                ambiguous = True
            state, ends = self.next(state, values, unsure)
            if ends:
                found.extend(ends)
        return found, ambiguous
