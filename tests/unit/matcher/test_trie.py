"""One trie step: its tables reach exactly the children whose condition
holds, whatever table a condition was filed in."""

from hypothesis import given
from hypothesis import strategies as st

from pratai_bridge.filters import _conditions as c
from pratai_bridge.filters import _index
from pratai_bridge.matcher import _trie

TEXT = st.text(alphabet='abAB.-*İı\u00df', max_size=5)
NUMBERS = (st.integers(-20, 20) | st.sampled_from([0.5, -0.5, 1e300, 2.0])
           | st.floats(allow_nan=True, allow_infinity=True))
VALUES = st.none() | st.booleans() | NUMBERS | TEXT
BOUND = st.integers(-10, 10) | st.sampled_from([0.5, 2.0])


def _numeric(low, low_open, high, high_open):
    if low is not None and high is not None and not low < high:
        low, high = min(low, high) - 1, max(low, high) + 1
    return c.Numeric(low, low_open, high, high_open)


def _wildcard(text):
    try:
        return c.Wildcard.of(text)
    except ValueError:
        return c.Exact.of(text)


CONDITIONS = st.one_of(
    VALUES.filter(lambda v: not isinstance(v, float) or v == v).map(
        c.Exact.of),
    st.builds(c.Prefix, TEXT, st.booleans()),
    st.builds(c.Suffix, TEXT, st.booleans()),
    st.builds(lambda vs: c.EqualsIgnoreCase.of(*vs),
              st.lists(TEXT, min_size=1, max_size=2)),
    st.builds(c.Exists, st.booleans()),
    st.builds(_numeric, st.none() | BOUND, st.booleans(),
              st.none() | BOUND, st.booleans()),
    TEXT.map(_wildcard),
    st.sampled_from(['a*', '*b', 'a?', '[ab]*', 'A.*']).map(
        _index.glob_condition),
    st.builds(lambda t: c.AnythingBut(c.OneOf(frozenset({c.value_key(t)}))),
              TEXT),
)


@given(st.lists(CONDITIONS, min_size=1, max_size=12),
       st.lists(VALUES, max_size=3), st.booleans())
def test_a_step_reaches_the_children_whose_condition_holds(conditions,
                                                           values,
                                                           ambiguous):
    children = [_trie.Node() for _ in conditions]
    step = _trie.Step(0, ('f',))
    _trie._fill(step, list(zip(conditions, children, strict=True)))
    reached = []
    step.advance(values, ambiguous, reached)
    got = {id(n) for n in reached}
    for condition, child in zip(conditions, children, strict=True):
        holds = (any(condition.test(v) for v in values) if values
                 else condition.matches_absent)
        if ambiguous and condition.matches_absent:
            holds = True  # the walk relaxes exists: false (see _trie)
        assert (id(child) in got) is holds, (condition, values)


SIMPLE = st.one_of(
    st.lists(st.builds(c.Prefix, TEXT), min_size=1, max_size=6),
    st.lists(st.builds(c.Suffix, TEXT), min_size=1, max_size=6),
    CONDITIONS.map(lambda condition: [condition]),
    st.lists(st.builds(
        lambda t: c.AnythingBut(c.OneOf(frozenset({c.value_key(t)}))),
        TEXT), min_size=2, max_size=4),
)


@given(SIMPLE, VALUES)
def test_a_steps_lookup_reaches_what_advance_reaches(conditions, value):
    # Prefixes (or suffixes) of one length, or one condition: the walk's
    # shortcut; it must agree with the tables (and with the conditions).
    children = [_trie.Node() for _ in conditions]
    step = _trie.Step(0, ('f',))
    _trie._fill(step, list(zip(conditions, children, strict=True)))
    if step.lookup is None:
        return
    reached = []
    step.advance([value], False, reached)
    assert {id(n) for n in step.lookup(value)} == {id(n) for n in reached}
    assert {id(n) for n in reached} == {
        id(child) for condition, child in zip(conditions, children,
                                              strict=True)
        if condition.test(value)}


def test_lookup_covers_the_simple_shapes():
    def step_of(conditions):
        step = _trie.Step(0, ('f',))
        _trie._fill(step, [(cond, _trie.Node()) for cond in conditions])
        return step

    assert step_of([c.Prefix('ab'), c.Prefix('cd')]).lookup is not None
    assert step_of([c.Suffix('.png')]).lookup is not None
    assert step_of([c.AnythingBut(c.OneOf(frozenset({('string', 'a')})))]
                   ).lookup is not None
    assert step_of([c.Prefix('ab'), c.Prefix('abc')]).lookup is None
    assert step_of([c.Suffix('')]).lookup is None
    assert step_of([c.Prefix('ab'), c.Exact.of('x')]).lookup is None


def test_many_overlapping_ranges_stay_logarithmic():
    children = [_trie.Node() for _ in range(800)]
    step = _trie.Step(0, ('f',))
    _trie._fill(step, [(c.Numeric(low=i), child)
                       for i, child in enumerate(children)])
    assert step.tested == ()
    # Each range is filed in O(log n) tree nodes, not in every slot.
    assert sum(len(node) for node in step.ranges) < 800 * 12
    reached = []
    step.advance([10], False, reached)
    assert {id(n) for n in reached} == {id(n) for n in children[:11]}
