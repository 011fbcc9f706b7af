"""The leaf conditions on their own: types never mix, tests are pure."""

import pytest

from pratai_bridge.filters import _conditions as c


class TestValueKey:
    def test_json_types_never_share_a_key(self):
        keys = [c.value_key(v) for v in ('1', 1, True, None, '', 0, False)]
        assert keys[1] != keys[2]  # 1 is not true
        assert keys[5] != keys[6]  # 0 is not false
        assert keys[4] != keys[3]  # "" is not null
        assert keys[0] != keys[1]  # "1" is not 1
        assert len(set(keys)) == len(keys)

    def test_numbers_share_a_key_by_value(self):
        assert c.value_key(1) == c.value_key(1.0)
        assert hash(c.value_key(1)) == hash(c.value_key(1.0))
        assert c.value_key(300) in {c.value_key(3e2)}

    @pytest.mark.parametrize('value', [[1], {'a': 1}, (1,), object()])
    def test_non_leaves(self, value):
        assert c.value_key(value) is c.NOT_A_LEAF

    def test_is_number(self):
        assert c.is_number(1) and c.is_number(1.5) and c.is_number(-0)
        assert not c.is_number(True)
        assert not c.is_number('1')
        assert not c.is_number(None)


class TestConditions:
    def test_only_exists_false_matches_absent(self):
        conditions = [c.Exact.of('x'), c.Prefix('x'), c.Suffix('x'),
                      c.EqualsIgnoreCase.of('x'), c.Wildcard.of('*'),
                      c.Numeric(low=0), c.Cidr.of('10.0.0.0/8'),
                      c.Exists(True), c.AnythingBut(c.OneOf(frozenset()))]
        assert not any(cond.matches_absent for cond in conditions)
        assert c.Exists(False).matches_absent

    def test_exact_value(self):
        assert c.Exact.of('x').value == 'x'
        assert c.Exact.of(None).value is None

    def test_anything_but_inverts_its_inner_condition(self):
        inner = c.Prefix('a')
        negated = c.AnythingBut(inner)
        for value in ('abc', 'b', 5, None, True, ''):
            assert negated.test(value) is not inner.test(value)

    def test_numeric_bounds(self):
        closed = c.Numeric(0, False, 1, False)
        opened = c.Numeric(0, True, 1, True)
        assert closed.test(0) and closed.test(1)
        assert not opened.test(0) and not opened.test(1)
        assert opened.test(0.5)
        assert c.Numeric().test(-1e300)  # unbounded both ways
        assert not c.Numeric().test(True)

    def test_wildcard_regex_is_not_part_of_equality(self):
        assert c.Wildcard.of('a*') == c.Wildcard.of('a*')
        assert hash(c.Wildcard.of('a*')) == hash(c.Wildcard.of('a*'))
        assert 'regex' not in repr(c.Wildcard.of('a*'))

    @pytest.mark.parametrize('pattern', ['**', 'a**', '\\', 'a\\b', 'a\\'])
    def test_invalid_wildcards(self, pattern):
        with pytest.raises(ValueError):
            c.Wildcard.of(pattern)

    def test_conditions_are_frozen(self):
        condition = c.Prefix('a')
        with pytest.raises(AttributeError):
            condition.prefix = 'b'


def _parts_or_error(parts, pattern):
    try:
        return parts(pattern)
    except ValueError as exc:
        return str(exc)


def test_a_wildcard_without_escapes_splits_as_the_general_parser_reads():
    # The shortcut for wildcards without a backslash agrees with the
    # character-by-character parser, errors included.
    import random
    rng = random.Random(3)
    for _ in range(3000):
        pattern = ''.join(rng.choice('ab*.-[]()?+$^') for _ in
                          range(rng.randint(0, 8)))
        assert (_parts_or_error(c._wildcard_parts, pattern)
                == _parts_or_error(c._escaped_parts, pattern)), pattern


def test_value_keys_by_class_agree_with_isinstance():
    class Text(str):
        pass

    assert c.value_key(Text('a')) == ('string', 'a')
    assert c.value_key(True) == ('bool', True)
    assert c.value_key(1) == c.value_key(1.0) == ('number', 1)
