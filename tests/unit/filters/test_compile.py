"""Pattern specs: what compiles to what, and every error with its path."""

import pytest

from pratai_bridge.filters import _compile
from pratai_bridge.filters import _conditions as c
from pratai_bridge.filters import _tree
from pratai_bridge.filters.base import FilterSpecError
from pratai_bridge.filters.pattern import PatternFilter


def condition(spec):
    (leaf,) = _compile.compile_pattern({'f': [spec]}).parts
    (only,) = leaf.conditions
    return only


class TestCompiles:
    @pytest.mark.parametrize('spec, expected', [
        ('x', c.Exact(('string', 'x'))),
        (5, c.Exact(('number', 5))),
        (True, c.Exact(('bool', True))),
        (None, c.Exact(('null', None))),
        ({'exact': 'x'}, c.Exact(('string', 'x'))),
        ({'prefix': 'a'}, c.Prefix('a')),
        ({'prefix': {'equals-ignore-case': 'A'}}, c.Prefix('A', True)),
        ({'suffix': 'a'}, c.Suffix('a')),
        ({'suffix': {'equals-ignore-case': 'A'}}, c.Suffix('A', True)),
        ({'equals-ignore-case': 'A'}, c.EqualsIgnoreCase(frozenset({'a'}))),
        ({'exists': True}, c.Exists(True)),
        ({'exists': False}, c.Exists(False)),
        ({'numeric': ['=', 3]}, c.Numeric(3, False, 3, False)),
        ({'numeric': ['>', 3]}, c.Numeric(low=3, low_open=True)),
        ({'numeric': ['>=', 3]}, c.Numeric(low=3)),
        ({'numeric': ['<', 3]}, c.Numeric(high=3, high_open=True)),
        ({'numeric': ['<=', 3]}, c.Numeric(high=3)),
        ({'numeric': ['>', 0, '<=', 5]}, c.Numeric(0, True, 5, False)),
        ({'numeric': ['>=', 0, '<', 5]}, c.Numeric(0, False, 5, True)),
        ({'anything-but': 'x'},
         c.AnythingBut(c.OneOf(frozenset({('string', 'x')})))),
        ({'anything-but': [1, 2.5]},
         c.AnythingBut(c.OneOf(frozenset({('number', 1),
                                          ('number', 2.5)})))),
        ({'anything-but': {'prefix': 'a'}}, c.AnythingBut(c.Prefix('a'))),
        ({'anything-but': {'suffix': 'a'}}, c.AnythingBut(c.Suffix('a'))),
        ({'anything-but': {'equals-ignore-case': ['A', 'b']}},
         c.AnythingBut(c.EqualsIgnoreCase(frozenset({'a', 'b'})))),
    ])
    def test_condition(self, spec, expected):
        assert condition(spec) == expected
        assert hash(condition(spec)) == hash(expected)

    def test_wildcard_and_cidr_compare_by_spec(self):
        assert condition({'wildcard': 'a*'}) == c.Wildcard.of('a*')
        assert condition({'wildcard': 'a*'}) != c.Wildcard.of('b*')
        assert condition({'cidr': '10.0.0.0/8'}) == c.Cidr.of('10.0.0.0/8')
        assert (condition({'anything-but': {'wildcard': 'a*'}})
                == c.AnythingBut(c.Wildcard.of('a*')))

    def test_tree_shape(self):
        tree = _compile.compile_pattern({
            'source': ['nova'],
            'payload': {'state': ['active', {'prefix': 'err'}]},
            '$or': [{'a': [1]}, {'b': [2]}],
        })
        assert tree == _tree.Pattern((
            _tree.Leaf('source', (c.Exact.of('nova'),)),
            _tree.Branch('payload', _tree.Pattern((
                _tree.Leaf('state', (c.Exact.of('active'),
                                     c.Prefix('err'))),))),
            _tree.AnyOf((
                _tree.Pattern((_tree.Leaf('a', (c.Exact.of(1),)),)),
                _tree.Pattern((_tree.Leaf('b', (c.Exact.of(2),)),)),
            )),
        ))

    def test_same_specs_compile_to_equal_trees(self):
        spec = {'payload': {'n': [{'numeric': ['>', 1]}, 'x']}}
        assert (PatternFilter(spec).pattern == PatternFilter(spec).pattern)


ERRORS = [
    ('not a mapping', ['a'], '',
     'a pattern must be a mapping of field names to lists of conditions, '
     'got ["a"]'),
    ('empty pattern', {}, '', 'a pattern must not be empty'),
    ('empty nested pattern', {'payload': {}}, 'payload',
     'payload: a pattern must not be empty'),
    ('leaf not a list', {'payload': {'state': 'active'}}, 'payload.state',
     'payload.state: must be a list of conditions or a nested pattern, '
     'got "active"'),
    ('leaf is a number', {'n': 5}, 'n',
     'n: must be a list of conditions or a nested pattern, got 5'),
    ('empty list', {'s': []}, 's', 's: needs at least one condition'),
    ('non-string key', {1: ['x']}, '', 'field names must be strings, got 1'),
    ('nested list', {'s': [['x']]}, 's[0]',
     "s: a condition cannot be a list; list the values in the field's own "
     'list, got ["x"]'),
    ('date value', {'s': [__import__('datetime').date(2024, 1, 2)]}, 's[0]',
     's: a condition must be a string, number, true, false, null or an '
     'operator mapping, got "2024-01-02"'),
    ('nan', {'s': [float('nan')]}, 's[0]',
     's: a condition must be a finite number, got nan'),
    ('two operators', {'s': [{'prefix': 'a', 'suffix': 'b'}]}, 's[0]',
     's: a condition mapping needs exactly one operator, got '
     '{"prefix": "a", "suffix": "b"}'),
    ('no operator', {'s': [{}]}, 's[0]',
     's: a condition mapping needs exactly one operator, got {}'),
    ('unknown operator', {'s': [{'prefx': 'a'}]}, 's[0]',
     "s: unknown operator 'prefx'; known operators: anything-but, cidr, "
     'equals-ignore-case, exact, exists, numeric, prefix, suffix, wildcard'),
    ('prefix number', {'a': {'s': [{'prefix': 5}]}}, 'a.s[0]',
     'a.s: prefix needs a string or {equals-ignore-case: string}, got 5'),
    ('prefix bad ignore-case', {'s': [{'prefix': {'equals-ignore-case': 1}}]},
     's[0]', 's: prefix needs a string, got 1'),
    ('suffix list', {'s': [{'suffix': ['a']}]}, 's[0]',
     's: suffix needs a string or {equals-ignore-case: string}, got ["a"]'),
    ('equals-ignore-case number', {'s': [{'equals-ignore-case': 1}]}, 's[0]',
     's: equals-ignore-case needs a string, got 1'),
    ('exact number', {'s': [{'exact': 1}]}, 's[0]',
     's: exact needs a string, got 1'),
    ('exists string', {'s': [{'exists': 'yes'}]}, 's[0]',
     's: exists needs true or false, got "yes"'),
    ('numeric not a list', {'payload': {'state': [{'numeric': 5}]}},
     'payload.state[0]',
     "payload.state: numeric needs ['=', n], ['<'|'<='|'>'|'>=', n] or "
     "['>'|'>=', n, '<'|'<=', m], got 5"),
    ('numeric 3 terms', {'n': [{'numeric': ['>', 1, '<']}]}, 'n[0]',
     "n: numeric needs ['=', n], ['<'|'<='|'>'|'>=', n] or "
     "['>'|'>=', n, '<'|'<=', m], got [\">\", 1, \"<\"]"),
    ('numeric bad op', {'n': [{'numeric': ['!=', 1]}]}, 'n[0]',
     "n: numeric: unknown operator \"!=\"; use one of '=', '<', '<=', '>', "
     "'>='"),
    ('numeric string value', {'n': [{'numeric': ['>', '1']}]}, 'n[0]',
     'n: numeric: "1" is not a number'),
    ('numeric bool value', {'n': [{'numeric': ['>', True]}]}, 'n[0]',
     'n: numeric: true is not a number'),
    ('numeric inverted', {'n': [{'numeric': ['>', 5, '<', 1]}]}, 'n[0]',
     'n: numeric: the lower bound 5 must be less than the upper bound 1'),
    ('numeric empty range', {'n': [{'numeric': ['>=', 5, '<=', 5]}]}, 'n[0]',
     'n: numeric: the lower bound 5 must be less than the upper bound 5'),
    ('numeric upper first', {'n': [{'numeric': ['<', 5, '>', 1]}]}, 'n[0]',
     "n: numeric needs ['=', n], ['<'|'<='|'>'|'>=', n] or "
     "['>'|'>=', n, '<'|'<=', m], got [\"<\", 5, \">\", 1]"),
    ('numeric = in a range', {'n': [{'numeric': ['=', 5, '<', 9]}]}, 'n[0]',
     "n: numeric needs ['=', n], ['<'|'<='|'>'|'>=', n] or "
     "['>'|'>=', n, '<'|'<=', m], got [\"=\", 5, \"<\", 9]"),
    ('anything-but mixed', {'s': [{'anything-but': ['a', 1]}]}, 's[0]',
     's: anything-but needs a string, a number, a list of only strings or '
     'only numbers, or a mapping of prefix, suffix, wildcard or '
     'equals-ignore-case; got ["a", 1]'),
    ('anything-but null', {'s': [{'anything-but': None}]}, 's[0]',
     's: anything-but needs a string, a number, a list of only strings or '
     'only numbers, or a mapping of prefix, suffix, wildcard or '
     'equals-ignore-case; got null'),
    ('anything-but bool', {'s': [{'anything-but': [True]}]}, 's[0]',
     's: anything-but needs a string, a number, a list of only strings or '
     'only numbers, or a mapping of prefix, suffix, wildcard or '
     'equals-ignore-case; got [true]'),
    ('anything-but empty list', {'s': [{'anything-but': []}]}, 's[0]',
     's: anything-but needs a string, a number, a list of only strings or '
     'only numbers, or a mapping of prefix, suffix, wildcard or '
     'equals-ignore-case; got []'),
    ('anything-but empty prefix', {'s': [{'anything-but': {'prefix': ''}}]},
     's[0]', 's: anything-but prefix needs a non-empty string, got ""'),
    ('anything-but exists', {'s': [{'anything-but': {'exists': True}}]},
     's[0]',
     "s: anything-but does not take 'exists'; use prefix, suffix, wildcard "
     'or equals-ignore-case'),
    ('anything-but two keys',
     {'s': [{'anything-but': {'prefix': 'a', 'suffix': 'b'}}]}, 's[0]',
     's: anything-but needs exactly one of prefix, suffix, wildcard, '
     'equals-ignore-case; got {"prefix": "a", "suffix": "b"}'),
    ('anything-but ignore-case number',
     {'s': [{'anything-but': {'equals-ignore-case': 5}}]}, 's[0]',
     's: anything-but equals-ignore-case needs a string or a non-empty '
     'list of strings, got 5'),
    ('wildcard consecutive', {'s': [{'wildcard': 'a**b'}]}, 's[0]',
     's: wildcard "a**b": consecutive \'*\' are not allowed in a wildcard'),
    ('wildcard bad escape', {'s': [{'wildcard': 'a\\b'}]}, 's[0]',
     's: wildcard "a\\\\b": a backslash in a wildcard may only escape \'*\' '
     "or '\\'"),
    ('wildcard trailing backslash', {'s': [{'wildcard': 'a\\'}]}, 's[0]',
     's: wildcard "a\\\\": a backslash in a wildcard may only escape \'*\' '
     "or '\\'"),
    ('cidr bad', {'ip': [{'cidr': '10.0.0.0/33'}]}, 'ip[0]',
     'ip: cidr needs an IP network such as 10.0.0.0/24, got "10.0.0.0/33"'),
    ('or not a list', {'$or': {'a': ['x']}}, '$or',
     '$or: needs a list of at least two patterns, got {"a": ["x"]}'),
    ('or one item', {'$or': [{'a': ['x']}]}, '$or',
     '$or: needs a list of at least two patterns, got [{"a": ["x"]}]'),
    ('or bad alternative', {'d': {'$or': [{'a': ['x']}, {'b': 'y'}]}},
     'd.$or[1].b',
     'd.$or[1].b: must be a list of conditions or a nested pattern, '
     'got "y"'),
    ('second condition', {'p': {'s': ['ok', {'exists': 'yes'}]}}, 'p.s[1]',
     'p.s: exists needs true or false, got "yes"'),
    ('long value is cut', {'s': 'x' * 100}, 's',
     's: must be a list of conditions or a nested pattern, got "'
     + 'x' * 56 + '...'),
]


@pytest.mark.parametrize('spec, path, message',
                         [case[1:] for case in ERRORS],
                         ids=[case[0] for case in ERRORS])
def test_spec_errors(spec, path, message):
    with pytest.raises(FilterSpecError) as caught:
        PatternFilter(spec)
    assert str(caught.value) == message
    assert caught.value.path == path
