"""Properties of pattern matching over random documents (hypothesis)."""

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from pratai_bridge.filters import _conditions as c
from pratai_bridge.filters.pattern import PatternFilter

TEXT = st.text(alphabet='ab.-*?\\Aé', max_size=6)
NUMBERS = (st.integers(-1000, 1000)
           | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=3)
                   | st.dictionaries(st.sampled_from('fgh'), inner,
                                     max_size=3)),
    max_leaves=8)
DOCUMENTS = st.dictionaries(st.sampled_from('fgh'), VALUES, max_size=3)

# Conditions a leaf may hold, as specs.
CONDITIONS = st.one_of(
    SCALARS,
    st.builds(lambda t: {'prefix': t}, TEXT),
    st.builds(lambda t: {'suffix': t}, TEXT),
    st.builds(lambda t: {'equals-ignore-case': t}, TEXT),
    st.builds(lambda t: {'anything-but': t}, TEXT | NUMBERS),
    st.builds(lambda t: {'anything-but': {'prefix': t}}, TEXT.filter(bool)),
    st.builds(lambda b: {'exists': b}, st.booleans()),
    st.builds(lambda n: {'numeric': ['>=', n]}, NUMBERS),
)


def matches(pattern, document):
    return PatternFilter(pattern).match(document)


@given(DOCUMENTS)
def test_exists_true_and_false_partition_every_document(document):
    present = matches({'f': [{'exists': True}]}, document)
    absent = matches({'f': [{'exists': False}]}, document)
    assert present is not absent


@given(DOCUMENTS)
def test_nested_exists_partitions_too(document):
    present = matches({'f': {'g': [{'exists': True}]}}, document)
    absent = matches({'f': {'g': [{'exists': False}]}}, document)
    # Across array elements both may hold (one element has g, one not),
    # but never neither.
    assert present or absent
    if not isinstance(document.get('f'), list):
        assert present is not absent


@given(TEXT | NUMBERS, DOCUMENTS)
def test_anything_but_never_matches_its_value(excluded, document):
    assert not matches({'f': [{'anything-but': [excluded]}]},
                       dict(document, f=excluded))
    assert not matches({'f': [{'anything-but': excluded}]},
                       dict(document, f=[excluded, excluded]))


@given(TEXT | NUMBERS, SCALARS)
def test_anything_but_is_not_exact_on_present_leaves(excluded, value):
    document = {'f': value}
    assert (matches({'f': [{'anything-but': [excluded]}]}, document)
            is not matches({'f': [excluded]}, document))


@given(TEXT | NUMBERS)
def test_anything_but_never_matches_a_missing_field(excluded):
    assert not matches({'f': [{'anything-but': excluded}]}, {})


@given(CONDITIONS, SCALARS)
def test_a_scalar_and_a_one_element_list_are_the_same(condition, value):
    pattern = {'f': [condition]}
    assert matches(pattern, {'f': value}) is matches(pattern, {'f': [value]})


@given(CONDITIONS, VALUES)
def test_an_object_and_a_one_element_list_of_it_are_the_same(condition,
                                                             value):
    pattern = {'f': {'g': [condition]}}
    assert (matches(pattern, {'f': {'g': value}})
            is matches(pattern, {'f': [{'g': value}]}))


@given(st.lists(CONDITIONS, min_size=1, max_size=4), DOCUMENTS)
def test_a_condition_list_is_the_or_of_its_conditions(conditions, document):
    each = [matches({'f': [cond]}, document) for cond in conditions]
    assert matches({'f': conditions}, document) is any(each)


@given(st.lists(CONDITIONS, min_size=1, max_size=3),
       st.lists(CONDITIONS, min_size=1, max_size=3), DOCUMENTS)
def test_fields_are_anded_and_or_is_ored(first, second, document):
    a = matches({'f': first}, document)
    b = matches({'g': second}, document)
    assert matches({'f': first, 'g': second}, document) is (a and b)
    assert matches({'$or': [{'f': first}, {'g': second}]},
                   document) is (a or b)


@given(NUMBERS, NUMBERS, NUMBERS)
def test_numeric_agrees_with_python_comparisons(low, high, value):
    if not low < high:
        low, high = min(low, high) - 1, max(low, high) + 1
    document = {'f': value}
    assert matches({'f': [{'numeric': ['>', low, '<=', high]}]},
                   document) is (low < value <= high)
    assert matches({'f': [{'numeric': ['>=', low]}]},
                   document) is (value >= low)
    assert matches({'f': [{'numeric': ['<', high]}]},
                   document) is (value < high)
    assert matches({'f': [{'numeric': ['=', low]}]},
                   document) is (value == low)


@given(NUMBERS)
def test_numeric_never_matches_the_number_as_a_string(value):
    assert not matches({'f': [{'numeric': ['=', value]}]},
                       {'f': str(value)})


@given(TEXT, TEXT)
def test_prefix_and_suffix(head, tail):
    document = {'f': head + tail}
    assert matches({'f': [{'prefix': head}]}, document)
    assert matches({'f': [{'suffix': tail}]}, document)
    assert matches({'f': [{'prefix': {'equals-ignore-case':
                                      head.upper()}}]}, document)


@given(st.lists(st.text(alphabet='ab.?[]', max_size=3), min_size=1,
                max_size=4), st.text(alphabet='ab.?[]', max_size=8))
def test_wildcard_agrees_with_fnmatch_star(segments, value):
    wildcard = '*'.join(segments)
    if '**' in wildcard:
        return
    # fnmatch with every special character but * escaped is the same rule.
    glob = ''.join(ch if ch == '*' else f'[{ch}]' for ch in wildcard)
    assert (matches({'f': [{'wildcard': wildcard}]}, {'f': value})
            is fnmatch.fnmatchcase(value, glob))


@given(CONDITIONS)
def test_compiling_twice_gives_equal_conditions(spec):
    first = PatternFilter({'f': [spec]}).pattern
    second = PatternFilter({'f': [spec]}).pattern
    assert first == second
    assert hash(first) == hash(second)


@given(SCALARS, SCALARS)
def test_exact_matches_exactly_equal_json_values(wanted, value):
    same = c.value_key(wanted) == c.value_key(value)
    assert matches({'f': [wanted]}, {'f': value}) is same
