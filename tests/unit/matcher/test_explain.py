"""Explanations: which filter, field, value and condition failed."""

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from pratai_bridge.filters import combinators
from pratai_bridge.filters.base import Mismatch
from pratai_bridge.filters.event_type import EventTypeFilter
from pratai_bridge.filters.pattern import PatternFilter
from pratai_bridge.filters.project import ProjectFilter
from pratai_bridge.matcher import Matcher
from pratai_bridge.matcher import explain
from tests.unit.test_matcher import FILTERS
from tests.unit.test_matcher import RANDOM_EVENTS
from tests.unit.test_matcher import Boom
from tests.unit.test_matcher import event
from tests.unit.test_matcher import sub


def one(matcher, evt, name=None):
    return {e.subscription: e for e in explain.explain(matcher, evt, name)}


def test_only_subscriptions_whose_event_type_applies_are_explained():
    matcher = Matcher([
        sub('nova', EventTypeFilter('compute.*'),
            PatternFilter({'payload': {'state': ['active']}})),
        sub('alarms', EventTypeFilter('alarm.*')),
        sub('any', PatternFilter({'source': ['nova']})),
    ])
    found = one(matcher, event(payload={'state': 'error'}))
    assert set(found) == {'nova', 'any'}
    assert found['any'].matched
    nova = found['nova']
    assert not nova.matched
    assert nova.filter == 'filters[1] pattern'
    assert nova.mismatches == (Mismatch('payload.state', '"error"',
                                        '["active"]'),)


def test_a_named_subscription_is_explained_whatever_its_type():
    matcher = Matcher([sub('alarms', EventTypeFilter('alarm.*'))])
    (only,) = explain.explain(matcher, event(), 'alarms')
    assert only.filter == 'filters[0] event_type'
    assert only.mismatches == (Mismatch(
        'event_type', '"compute.instance.create.end"',
        'one of the globs ["alarm.*"]'),)
    with pytest.raises(explain.UnknownSubscription):
        explain.explain(matcher, event(), 'nope')


def test_absent_values_projects_and_every_failed_field():
    matcher = Matcher([
        sub('p', EventTypeFilter('compute.*'), project='p9'),
        sub('fields', PatternFilter({'payload': {
            'state': ['active'], 'size': [{'numeric': ['>', 5]}],
            'tags': ['x']}})),
    ])
    found = one(matcher, event(payload={'size': 3, 'tags': ['a', 'b']}))
    assert found['p'].filter == 'project'
    assert found['p'].mismatches == (Mismatch('project_id', '"p1"',
                                              '"p9"'),)
    assert found['fields'].mismatches == (
        Mismatch('payload.state', 'absent', '["active"]'),
        Mismatch('payload.size', '3', '[{"numeric": [">", 5]}]'),
        Mismatch('payload.tags', '["a", "b"]', '["x"]'),
    )


def test_or_arrays_and_combinators_say_which_part():
    matcher = Matcher([
        sub('or', PatternFilter({'payload': {'$or': [
            {'a': ['1']}, {'b': ['2']}]}})),
        sub('array', PatternFilter({'payload': {'ips': {
            'v': [4], 'addr': [{'cidr': '10.0.0.0/8'}]}}})),
        sub('any', combinators.AnyFilter(None, [
            ProjectFilter('p2'), EventTypeFilter('alarm.*')])),
        sub('not', combinators.NotFilter(None, [ProjectFilter('p1')])),
    ])
    for name in ('any', 'not'):
        matcher.by_name[name].filters[0].name = name
    found = one(matcher, event(payload={'a': '0', 'ips': [
        {'v': 4, 'addr': '192.168.0.1'}, {'v': 6, 'addr': '10.0.0.1'}]}))
    assert [m.condition for m in found['or'].mismatches] == [
        '$or[0]: ["1"]', '$or[1]: ["2"]']
    assert [(m.field, m.found) for m in found['array'].mismatches] == [
        ('payload.ips[0].addr', '"192.168.0.1"'),
        ('payload.ips[1].v', '6')]
    assert [m.condition for m in found['any'].mismatches] == [
        'any[0] project: one of ["p2"]',
        'any[1] event_type: one of the globs ["alarm.*"]']
    assert found['not'].mismatches[0].condition == (
        'not project: "p1" matched')


def test_a_raising_filter_is_explained_as_such():
    matcher = Matcher([sub('bad', Boom(None))])
    (only,) = explain.explain(matcher, event(), 'bad')
    assert not only.matched
    assert only.error == 'ZeroDivisionError: division by zero'


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(FILTERS, max_size=3), min_size=1, max_size=6),
       RANDOM_EVENTS)
def test_explanations_agree_with_match(specs, evt):
    matcher = Matcher([sub(f's{i}', *f) for i, f in enumerate(specs)])
    matched = {s.name for s in matcher.match(evt)}
    for subscription in matcher.subscriptions:
        (explained,) = explain.explain(matcher, evt, subscription.name)
        assert explained.matched is (subscription.name in matched)
        if not explained.matched:
            assert explained.filter and (explained.mismatches
                                         or explained.error)
    # Whatever matched could apply, so the default listing shows it.
    listed = {e.subscription for e in explain.explain(matcher, evt)
              if e.matched}
    assert listed == matched
