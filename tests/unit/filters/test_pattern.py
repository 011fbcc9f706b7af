"""The pattern filter, condition by condition, with EventBridge semantics.

Each case is (pattern, document, expected). Documents are small; the last
tests use a real Event document.
"""

import fnmatch

import pytest

from pratai_bridge.events.model import Event
from pratai_bridge.filters.pattern import PatternFilter


def matches(pattern, document):
    return PatternFilter(pattern).match(document)


def check(cases):
    for pattern, document, expected in cases:
        assert matches(pattern, document) is expected, (pattern, document)


class TestExact:
    def test_strings(self):
        check([
            ({'s': ['active']}, {'s': 'active'}, True),
            ({'s': ['active']}, {'s': 'Active'}, False),
            ({'s': ['active']}, {'s': 'active '}, False),
            ({'s': ['a', 'b']}, {'s': 'b'}, True),
            ({'s': ['']}, {'s': ''}, True),
            ({'s': ['']}, {'s': None}, False),
            ({'s': ['5']}, {'s': 5}, False),
            ({'s': ['true']}, {'s': True}, False),
        ])

    def test_numbers_compare_by_value_not_type_of_number(self):
        check([
            ({'n': [5]}, {'n': 5}, True),
            ({'n': [5]}, {'n': 5.0}, True),
            ({'n': [300.0]}, {'n': 300}, True),
            ({'n': [5]}, {'n': 6}, False),
            ({'n': [5]}, {'n': '5'}, False),
            ({'n': [1]}, {'n': True}, False),
            ({'n': [0]}, {'n': False}, False),
            ({'n': [0]}, {'n': None}, False),
            ({'n': [-1.5]}, {'n': -1.5}, True),
        ])

    def test_bools_and_null(self):
        check([
            ({'b': [True]}, {'b': True}, True),
            ({'b': [True]}, {'b': 1}, False),
            ({'b': [False]}, {'b': False}, True),
            ({'b': [False]}, {'b': 0}, False),
            ({'b': [False]}, {'b': None}, False),
            ({'b': [None]}, {'b': None}, True),
            ({'b': [None]}, {'b': ''}, False),
            ({'b': [None]}, {'b': False}, False),
            ({'b': [None]}, {}, False),
        ])

    def test_missing_field_and_object_field_never_match(self):
        check([
            ({'s': ['x']}, {}, False),
            ({'s': ['x']}, {'t': 'x'}, False),
            ({'s': ['x']}, {'s': {'x': 'x'}}, False),
            ({'s': [None]}, {'s': {}}, False),
        ])

    def test_arrays_in_the_document_match_any_element(self):
        check([
            ({'tags': ['admin']}, {'tags': ['user', 'admin']}, True),
            ({'tags': ['root']}, {'tags': ['user', 'admin']}, False),
            ({'tags': ['admin']}, {'tags': [['user'], ['admin']]}, True),
            ({'tags': ['admin']}, {'tags': []}, False),
            ({'tags': [None]}, {'tags': [1, None]}, True),
            # Objects inside the array are not leaf values of "tags".
            ({'tags': ['admin']}, {'tags': [{'x': 'admin'}]}, False),
        ])

    def test_exact_operator(self):
        check([
            ({'s': [{'exact': 'x'}]}, {'s': 'x'}, True),
            ({'s': [{'exact': 'x'}]}, {'s': 'X'}, False),
        ])


class TestFieldsAndNesting:
    def test_all_fields_must_match(self):
        pattern = {'a': ['1'], 'b': ['2']}
        check([
            (pattern, {'a': '1', 'b': '2'}, True),
            (pattern, {'a': '1', 'b': '3'}, False),
            (pattern, {'a': '1'}, False),
            (pattern, {'a': '1', 'b': '2', 'c': '3'}, True),
        ])

    def test_nested_fields(self):
        pattern = {'payload': {'state': ['active']}}
        check([
            (pattern, {'payload': {'state': 'active'}}, True),
            (pattern, {'payload': {'state': 'error'}}, False),
            (pattern, {'payload': {}}, False),
            (pattern, {'payload': None}, False),
            (pattern, {'payload': 'active'}, False),
            (pattern, {}, False),
            (pattern, {'payload.state': 'active'}, False),
        ])

    def test_deeply_nested(self):
        pattern = {'a': {'b': {'c': {'d': [1]}}}}
        assert matches(pattern, {'a': {'b': {'c': {'d': 1}}}})
        assert not matches(pattern, {'a': {'b': {'c': {'d': 2}}}})

    def test_array_of_objects_matches_when_one_element_matches(self):
        pattern = {'d': {'a': ['x']}}
        check([
            (pattern, {'d': [{'a': 'y'}, {'a': 'x'}]}, True),
            (pattern, {'d': [{'a': 'y'}]}, False),
            (pattern, {'d': [[{'a': 'x'}]]}, True),
            (pattern, {'d': []}, False),
        ])

    def test_fields_never_combine_across_array_elements(self):
        pattern = {'d': {'name': ['alice'], 'status': ['active']}}
        check([
            (pattern, {'d': [{'name': 'alice', 'status': 'active'}]}, True),
            (pattern, {'d': [{'name': 'alice'}, {'status': 'active'}]},
             False),
            (pattern, {'d': [{'name': 'bob'}, {'name': 'alice',
                                               'status': 'active'}]}, True),
        ])

    def test_nested_arrays_of_objects_keep_consistency(self):
        pattern = {'u': {'t': {'k': ['color'], 'v': ['blue']}}}
        same = {'u': [{'t': [{'k': 'color', 'v': 'blue'}]}]}
        split = {'u': [{'t': [{'k': 'color'}, {'v': 'blue'}]}]}
        assert matches(pattern, same)
        assert not matches(pattern, split)

    def test_outer_split_does_not_match(self):
        pattern = {'d': {'name': [{'exists': True}], 'info': {'x': ['1']}}}
        assert matches(pattern, {'d': [{'name': 'a', 'info': {'x': '1'}}]})
        assert not matches(pattern,
                           {'d': [{'name': 'a'}, {'info': {'x': '1'}}]})

    def test_a_condition_list_is_an_or(self):
        pattern = {'s': [{'exists': False}, 'x']}
        check([
            (pattern, {}, True),
            (pattern, {'s': 'x'}, True),
            (pattern, {'s': 'y'}, False),
        ])


class TestPrefixSuffix:
    def test_prefix(self):
        check([
            ({'s': [{'prefix': 'us-'}]}, {'s': 'us-east-1'}, True),
            ({'s': [{'prefix': 'us-'}]}, {'s': 'us-'}, True),
            ({'s': [{'prefix': 'us-'}]}, {'s': 'eu-us-'}, False),
            ({'s': [{'prefix': 'us-'}]}, {'s': 'US-east'}, False),
            ({'s': [{'prefix': '1'}]}, {'s': 12}, False),
            ({'s': [{'prefix': ''}]}, {'s': ''}, True),
            ({'s': [{'prefix': ''}]}, {'s': 'x'}, True),
            ({'s': [{'prefix': ''}]}, {'s': None}, False),
            ({'s': [{'prefix': ''}]}, {}, False),
            ({'s': [{'prefix': 'ad'}]}, {'s': ['user', 'admin']}, True),
        ])

    def test_prefix_ignore_case(self):
        pattern = {'s': [{'prefix': {'equals-ignore-case': 'EventB'}}]}
        check([
            (pattern, {'s': 'eventbridge'}, True),
            (pattern, {'s': 'EVENTBRIDGE'}, True),
            (pattern, {'s': 'event'}, False),
        ])

    def test_suffix(self):
        check([
            ({'s': [{'suffix': '.png'}]}, {'s': 'a/b.png'}, True),
            ({'s': [{'suffix': '.png'}]}, {'s': 'a/b.PNG'}, False),
            ({'s': [{'suffix': '.png'}]}, {'s': 'a.png.txt'}, False),
            ({'s': [{'suffix': '5'}]}, {'s': 5}, False),
            ({'s': [{'suffix': '.png'}]}, {'s': None}, False),
        ])

    def test_suffix_ignore_case(self):
        pattern = {'s': [{'suffix': {'equals-ignore-case': '.PNG'}}]}
        assert matches(pattern, {'s': 'a.png'})
        assert matches(pattern, {'s': 'a.Png'})
        assert not matches(pattern, {'s': 'a.jpg'})


class TestEqualsIgnoreCase:
    def test_equals_ignore_case(self):
        check([
            ({'s': [{'equals-ignore-case': 'Active'}]}, {'s': 'ACTIVE'},
             True),
            ({'s': [{'equals-ignore-case': 'Active'}]}, {'s': 'active'},
             True),
            ({'s': [{'equals-ignore-case': 'Active'}]}, {'s': 'actives'},
             False),
            ({'s': [{'equals-ignore-case': '5'}]}, {'s': 5}, False),
            ({'s': [{'equals-ignore-case': 'x'}]}, {}, False),
        ])


class TestWildcard:
    def test_wildcard(self):
        check([
            ({'s': [{'wildcard': 'a*c'}]}, {'s': 'abc'}, True),
            ({'s': [{'wildcard': 'a*c'}]}, {'s': 'ac'}, True),
            ({'s': [{'wildcard': 'a*c'}]}, {'s': 'a.b.c'}, True),
            ({'s': [{'wildcard': 'a*c'}]}, {'s': 'abcd'}, False),
            ({'s': [{'wildcard': 'a*c'}]}, {'s': 'xabc'}, False),
            ({'s': [{'wildcard': '*/lib/*'}]}, {'s': '/usr/lib/x'}, True),
            ({'s': [{'wildcard': '*'}]}, {'s': ''}, True),
            ({'s': [{'wildcard': '*'}]}, {'s': 5}, False),
            ({'s': [{'wildcard': '*'}]}, {'s': None}, False),
            ({'s': [{'wildcard': 'a?c'}]}, {'s': 'abc'}, False),
            ({'s': [{'wildcard': 'a?c'}]}, {'s': 'a?c'}, True),
            ({'s': [{'wildcard': 'a.c'}]}, {'s': 'abc'}, False),
            ({'s': [{'wildcard': 'a*b*c'}]}, {'s': 'a\nb\nc'}, True),
        ])

    def test_escapes(self):
        check([
            ({'s': [{'wildcard': 'a\\*'}]}, {'s': 'a*'}, True),
            ({'s': [{'wildcard': 'a\\*'}]}, {'s': 'ab'}, False),
            ({'s': [{'wildcard': 'a\\\\b'}]}, {'s': 'a\\b'}, True),
            ({'s': [{'wildcard': 'a\\\\*'}]}, {'s': 'a\\xyz'}, True),
        ])


class TestAnythingBut:
    def test_single_string(self):
        pattern = {'s': [{'anything-but': 'initializing'}]}
        check([
            (pattern, {'s': 'running'}, True),
            (pattern, {'s': 'initializing'}, False),
            (pattern, {'s': 5}, True),
            (pattern, {'s': None}, True),
            (pattern, {'s': False}, True),
            (pattern, {}, False),
            (pattern, {'s': {'x': 1}}, False),
            (pattern, {'s': []}, False),
        ])

    def test_string_list(self):
        pattern = {'s': [{'anything-but': ['stopped', 'overloaded']}]}
        check([
            (pattern, {'s': 'running'}, True),
            (pattern, {'s': 'stopped'}, False),
            (pattern, {'s': 'overloaded'}, False),
        ])

    def test_numbers(self):
        check([
            ({'n': [{'anything-but': 100}]}, {'n': 100}, False),
            ({'n': [{'anything-but': 100}]}, {'n': 100.0}, False),
            ({'n': [{'anything-but': 100}]}, {'n': 101}, True),
            ({'n': [{'anything-but': 100}]}, {'n': '100'}, True),
            ({'n': [{'anything-but': [1, 2]}]}, {'n': 2}, False),
            ({'n': [{'anything-but': [1, 2]}]}, {'n': True}, True),
            ({'n': [{'anything-but': [1, 2]}]}, {'n': 3}, True),
        ])

    def test_array_values_match_when_any_element_is_not_excluded(self):
        pattern = {'tags': [{'anything-but': 'banned'}]}
        check([
            (pattern, {'tags': ['banned', 'ok']}, True),
            (pattern, {'tags': ['banned']}, False),
            (pattern, {'tags': ['banned', 'banned']}, False),
        ])

    def test_prefix_and_suffix(self):
        prefix = {'s': [{'anything-but': {'prefix': 'init'}}]}
        suffix = {'s': [{'anything-but': {'suffix': '.png'}}]}
        check([
            (prefix, {'s': 'initializing'}, False),
            (prefix, {'s': 'running'}, True),
            (prefix, {'s': 5}, True),
            (prefix, {}, False),
            (suffix, {'s': 'a.png'}, False),
            (suffix, {'s': 'a.jpg'}, True),
            (suffix, {'s': None}, True),
        ])

    def test_equals_ignore_case(self):
        one = {'s': [{'anything-but': {'equals-ignore-case': 'Init'}}]}
        many = {'s': [{'anything-but': {'equals-ignore-case': ['a', 'B']}}]}
        check([
            (one, {'s': 'INIT'}, False),
            (one, {'s': 'running'}, True),
            (many, {'s': 'b'}, False),
            (many, {'s': 'A'}, False),
            (many, {'s': 'c'}, True),
        ])

    def test_wildcard(self):
        pattern = {'s': [{'anything-but': {'wildcard': '*/lib/*'}}]}
        check([
            (pattern, {'s': '/usr/lib/x'}, False),
            (pattern, {'s': '/usr/bin/x'}, True),
            (pattern, {}, False),
        ])


class TestExists:
    def test_exists_true(self):
        pattern = {'f': [{'exists': True}]}
        check([
            (pattern, {'f': 'x'}, True),
            (pattern, {'f': ''}, True),
            (pattern, {'f': None}, True),
            (pattern, {'f': 0}, True),
            (pattern, {'f': False}, True),
            (pattern, {'f': [1]}, True),
            (pattern, {}, False),
            # Exists only looks at leaves: an object or [] is no leaf.
            (pattern, {'f': {'g': 1}}, False),
            (pattern, {'f': []}, False),
            (pattern, {'f': [{'g': 1}]}, False),
        ])

    def test_exists_false(self):
        pattern = {'f': [{'exists': False}]}
        check([
            (pattern, {}, True),
            (pattern, {'g': 1}, True),
            (pattern, {'f': {'g': 1}}, True),
            (pattern, {'f': []}, True),
            (pattern, {'f': None}, False),
            (pattern, {'f': 'x'}, False),
            (pattern, {'f': [None]}, False),
        ])

    def test_exists_false_under_a_missing_parent(self):
        pattern = {'a': {'b': [{'exists': False}]}}
        check([
            (pattern, {}, True),
            (pattern, {'a': None}, True),
            (pattern, {'a': 'scalar'}, True),
            (pattern, {'a': {}}, True),
            (pattern, {'a': {'b': 1}}, False),
            (pattern, {'a': [{'b': 1}]}, False),
            (pattern, {'a': [{'c': 1}]}, True),
        ])

    def test_exists_in_arrays_of_objects(self):
        pattern = {'d': {'a': [{'exists': True}], 'b': [{'exists': False}]}}
        check([
            (pattern, {'d': [{'a': 1}]}, True),
            (pattern, {'d': [{'a': 1, 'b': 2}]}, False),
            (pattern, {'d': [{'a': 1, 'b': 2}, {'a': 3}]}, True),
        ])


class TestNumeric:
    def test_range(self):
        pattern = {'n': [{'numeric': ['>', 0, '<=', 5]}]}
        check([
            (pattern, {'n': 0}, False),
            (pattern, {'n': 0.0001}, True),
            (pattern, {'n': 5}, True),
            (pattern, {'n': 5.0}, True),
            (pattern, {'n': 5.0001}, False),
            (pattern, {'n': -1}, False),
        ])

    def test_other_bounds(self):
        check([
            ({'n': [{'numeric': ['>=', 0, '<', 5]}]}, {'n': 0}, True),
            ({'n': [{'numeric': ['>=', 0, '<', 5]}]}, {'n': 5}, False),
            ({'n': [{'numeric': ['<', 10]}]}, {'n': 9.99}, True),
            ({'n': [{'numeric': ['<', 10]}]}, {'n': 10}, False),
            ({'n': [{'numeric': ['<=', 10]}]}, {'n': 10}, True),
            ({'n': [{'numeric': ['>', 10]}]}, {'n': 10}, False),
            ({'n': [{'numeric': ['>=', 10]}]}, {'n': 10}, True),
            ({'n': [{'numeric': ['>=', -1e12]}]}, {'n': -1e12}, True),
        ])

    def test_equals(self):
        pattern = {'n': [{'numeric': ['=', 301.8]}]}
        check([
            (pattern, {'n': 301.8}, True),
            (pattern, {'n': 301.80}, True),
            (pattern, {'n': 301}, False),
            ({'n': [{'numeric': ['=', 3]}]}, {'n': 3.0}, True),
        ])

    def test_only_numbers_match(self):
        pattern = {'n': [{'numeric': ['>', 0]}]}
        check([
            (pattern, {'n': '3'}, False),
            (pattern, {'n': True}, False),
            (pattern, {'n': None}, False),
            (pattern, {}, False),
            (pattern, {'n': {'v': 3}}, False),
        ])

    def test_arrays(self):
        pattern = {'vals': [{'numeric': ['>', 0, '<', 10]}]}
        assert matches(pattern, {'vals': [100, 5, 200]})
        assert not matches(pattern, {'vals': [100, 200, '5']})


class TestCidr:
    def test_ipv4(self):
        pattern = {'ip': [{'cidr': '10.0.0.0/24'}]}
        check([
            (pattern, {'ip': '10.0.0.33'}, True),
            (pattern, {'ip': '10.0.1.33'}, False),
            (pattern, {'ip': 'not an address'}, False),
            (pattern, {'ip': 10}, False),
            (pattern, {'ip': '::1'}, False),
        ])

    def test_ipv6(self):
        pattern = {'ip': [{'cidr': '2001:db8::/32'}]}
        assert matches(pattern, {'ip': '2001:db8::1'})
        assert not matches(pattern, {'ip': '2001:db9::1'})


class TestOr:
    def test_top_level(self):
        pattern = {'source': ['nova'],
                   '$or': [{'a': ['1']}, {'b': ['2'], 'c': ['3']}]}
        check([(pattern, document, expected) for document, expected in [
            ({'source': 'nova', 'a': '1'}, True),
            ({'source': 'nova', 'b': '2', 'c': '3'}, True),
            ({'source': 'nova', 'b': '2'}, False),
            ({'source': 'swift', 'a': '1'}, False),
            ({'source': 'nova'}, False),
        ]])

    def test_nested_and_both_legacy_and_versioned_nova(self):
        pattern = {'payload': {'$or': [
            {'state': ['active']},
            {'nova_object.data': {'state': ['active']}},
        ]}}
        check([
            (pattern, {'payload': {'state': 'active'}}, True),
            (pattern, {'payload': {'nova_object.data': {'state': 'active'}}},
             True),
            (pattern, {'payload': {'nova_object.data': {'state': 'error'}}},
             False),
            (pattern, {}, False),
        ])

    def test_or_inside_array_elements_is_per_element(self):
        pattern = {'d': {'x': ['1'], '$or': [{'y': ['2']}, {'z': ['3']}]}}
        assert matches(pattern, {'d': [{'x': '1', 'z': '3'}]})
        assert not matches(pattern, {'d': [{'x': '1'}, {'z': '3'}]})


class TestEventDocument:
    @pytest.fixture
    def document(self):
        return Event(
            message_id='m-1', source='nova',
            event_type='compute.instance.create.end',
            publisher_id='compute.host1', priority='info',
            timestamp='2026-11-28T03:02:28.177383Z', project_id='p1',
            user_id='u1', resource_id='r1',
            payload={'state': 'active', 'memory_mb': 512,
                     'fixed_ips': [{'address': '10.0.0.3', 'version': 4}],
                     'image_meta': {'os_type': None}},
            details={'state': 'active'}).as_document()

    def test_top_level_and_payload_fields(self, document):
        assert matches({'source': ['nova'],
                        'event_type': [{'prefix': 'compute.instance.'}],
                        'payload': {'state': ['active'],
                                    'memory_mb': [{'numeric': ['>=', 512]}]}},
                       document)
        assert not matches({'source': ['swift']}, document)

    def test_details_and_arrays_of_objects(self, document):
        assert matches({'details': {'state': ['active']},
                        'payload': {'fixed_ips': {
                            'address': [{'cidr': '10.0.0.0/8'}],
                            'version': [4]}}},
                       document)

    def test_null_is_a_value(self, document):
        assert matches({'payload': {'image_meta': {'os_type': [None]}}},
                       document)
        assert not matches(
            {'payload': {'image_meta': {'os_type': [{'exists': False}]}}},
            document)
        assert matches({'payload': {'fault': [{'exists': False}]}},
                       document)


class TestEventTypes:
    """The globs a pattern declares, for the matcher's index."""

    @pytest.mark.parametrize('pattern, expected', [
        ({'event_type': ['a.b', 'c']}, ('a.b', 'c')),
        ({'event_type': [{'prefix': 'compute.'}]}, ('compute.*',)),
        ({'event_type': ['a*b?[c]']}, ('a[*]b[?][[]c]',)),
        ({'event_type': ['a', {'prefix': 'b'}]}, ('a', 'b*')),
        ({'event_type': ['a', {'anything-but': 'b'}]}, None),
        ({'event_type': [{'prefix': {'equals-ignore-case': 'a'}}]}, None),
        ({'event_type': [{'wildcard': 'a*'}]}, None),
        ({'event_type': [5]}, None),
        ({'payload': {'event_type': ['a']}}, None),
        ({'$or': [{'event_type': ['a']}, {'event_type': ['b']}]}, None),
        ({'source': ['nova']}, None),
    ])
    def test_event_types(self, pattern, expected):
        assert PatternFilter(pattern).event_types() == expected

    def test_escaped_globs_match_only_the_literal(self):
        (glob,) = PatternFilter({'event_type': ['a*b?[c]']}).event_types()
        assert fnmatch.fnmatchcase('a*b?[c]', glob)
        assert not fnmatch.fnmatchcase('axxbz[c]', glob)
        assert not fnmatch.fnmatchcase('a*b?c', glob)
