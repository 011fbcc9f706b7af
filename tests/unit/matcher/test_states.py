"""The automaton's remembered transitions never change an answer.

A seeded differential test (no hypothesis: the same thousands of cases on
every run): random subscriptions of every operator, random events with
values the subscriptions name and values they do not, each event matched
cold, then again once its states are built and remembered, then with the
memory limits at zero (nothing kept), always equal to a linear scan.
"""

import random

import pytest

from pratai_bridge.events.model import Event
from pratai_bridge.filters.event_type import EventTypeFilter
from pratai_bridge.filters.pattern import PatternFilter
from pratai_bridge.matcher import Matcher
from pratai_bridge.matcher import _states
from pratai_bridge.subscriptions.model import Subscription

TYPES = ['compute.instance.create.end', 'instance.create.end',
         'objectstore.http.request', 'alarm.update', 'other']
PROJECTS = ['p0', 'p1', 'p2', 'p3']
WORDS = ['a', 'ab', 'abc', 'b', 'web-1', 'web-2', 'x.png', 'A', '']
NUMBERS = [0, 1, 5, 5.0, 10, 99.5, -3, 1e300]


def _condition(rng):
    word = rng.choice(WORDS)
    number = rng.choice(NUMBERS)
    return rng.choice([
        word, number, True, None,
        {'prefix': word}, {'suffix': word},
        {'prefix': {'equals-ignore-case': word}},
        {'equals-ignore-case': word},
        {'wildcard': rng.choice(['a*', '*b', 'web-*', '*.png', 'a*c'])},
        {'anything-but': rng.choice([word, [word, 'b'], number])},
        {'anything-but': {'prefix': word or 'a'}},
        {'exists': rng.choice([True, False])},
        {'numeric': rng.choice([['>', number], ['<=', number],
                                ['>=', -5, '<', 7], ['=', 5]])},
    ])


def _pattern(rng):
    details = {key: [_condition(rng) for _ in range(rng.randint(1, 2))]
               for key in rng.sample(['state', 'name', 'size', 'flag'],
                                     rng.randint(1, 2))}
    if rng.random() < 0.3:
        # Only ranges on a field: a state keyed by slot between bounds.
        details['size'] = [{'numeric': rng.choice([
            ['>', rng.choice(NUMBERS)], ['<=', rng.choice(NUMBERS)],
            ['>=', -5, '<', 7], ['=', 5], ['>', 0, '<=', 10]])}]
    pattern = {'details': details}
    if rng.random() < 0.3:
        pattern['details']['$or'] = [{'state': [_condition(rng)]},
                                     {'size': [_condition(rng)]}]
    if rng.random() < 0.5:
        pattern['event_type'] = [rng.choice(TYPES),
                                 {'prefix': rng.choice(['compute.', 'a'])}]
    return pattern


def _subscriptions(rng, count):
    found = []
    for number in range(count):
        filters = [PatternFilter(_pattern(rng))]
        if rng.random() < 0.7:
            filters.insert(0, EventTypeFilter(rng.sample(TYPES, 2)))
        project = rng.choice(PROJECTS + [None])
        found.append(Subscription(name=f's{number}', function='f',
                                  filters=tuple(filters), project=project))
    return found


def _value(rng):
    return rng.choice(WORDS + NUMBERS + [True, False, None, 'zzz', 7.25,
                                         ['a', 5], {'nested': 1}, []])


def _events(rng, count):
    events = []
    for number in range(count):
        details = {key: _value(rng) for key in
                   rng.sample(['state', 'name', 'size', 'flag'],
                              rng.randint(0, 4))}
        if rng.random() < 0.5:
            # A number on or near the bounds the rules name.
            details['size'] = rng.choice(NUMBERS + [-5, 7, 7.0, 6.5])
        if rng.random() < 0.05:
            # A list of objects: reads through it are ambiguous.
            details['name'] = [{'x': 1}, {'x': 2}]
        events.append(Event(
            message_id=f'm{number}', source='nova',
            event_type=rng.choice(TYPES + ['compute.x', 'a.b']),
            publisher_id=None, priority='info', timestamp='t',
            project_id=rng.choice(PROJECTS + [None, 'p9']),
            user_id=None, resource_id=None, payload={}, details=details))
    return events


def linear_scan(subscriptions, event):
    document = event.as_document()
    return [s for s in subscriptions
            if (s.project is None or s.project == event.project_id)
            and all(f.match(document) for f in s.filters)]


@pytest.mark.parametrize('seed', range(4))
def test_remembered_transitions_give_what_a_linear_scan_gives(seed):
    rng = random.Random(seed)
    subscriptions = _subscriptions(rng, 300)
    events = _events(rng, 400)
    expected = [linear_scan(subscriptions, event) for event in events]
    assert any(expected), 'the cases should match something'
    matcher = Matcher(subscriptions)
    for _pass in ('cold', 'warm'):
        assert [matcher.match(event) for event in events] == expected


@pytest.mark.parametrize('limit', ['MAX_STATES', 'MISSES_PER_STATE',
                                   'VALUES_PER_STATE', 'CHILDREN_PER_STATE',
                                   'MERGE_EDGES'])
def test_limits_at_zero_change_no_answer(monkeypatch, limit):
    # Nothing remembered (or nothing merged): every transition computed.
    monkeypatch.setattr(_states, limit, 0)
    rng = random.Random(limit)
    subscriptions = _subscriptions(rng, 200)
    events = _events(rng, 300)
    matcher = Matcher(subscriptions)
    for _pass in ('cold', 'warm'):
        for event in events:
            assert matcher.match(event) == linear_scan(subscriptions, event)


def test_states_are_bounded_by_the_tables_not_the_events():
    # A stream of values no rule names (fresh project ids) remembers at
    # most MISSES_PER_STATE of them.
    subscriptions = [Subscription(name=f's{n}', function='f', filters=(
        EventTypeFilter(['a.b']),), project=f'p{n}') for n in range(10)]
    matcher = Matcher(subscriptions)
    base = Event(message_id='m', source='nova', event_type='a.b',
                 publisher_id=None, priority='info', timestamp='t',
                 project_id='p0', user_id=None, resource_id=None,
                 payload={})
    for number in range(3 * _states.MISSES_PER_STATE):
        event = Event(**{**base.__dict__, 'project_id': f'q{number}'})
        assert matcher.match(event) == []
    remembered = sum(len(state.by_key)
                     for state in matcher._automaton._states.values())
    assert remembered <= _states.MISSES_PER_STATE + 10 + 1


def test_ranges_of_several_nodes_on_one_field_are_keyed_by_their_slots(
        monkeypatch):
    # Rules of a project and rules of none both read details.size with
    # ranges only: one state holds both steps (not merged: as if they were
    # large), keyed by a slot in each.
    monkeypatch.setattr(_states, 'MERGE_EDGES', 0)
    rng = random.Random(11)
    forms = [['>', 5], ['>=', 5], ['<', 7], ['<=', 7], ['=', 6],
             ['>', 0, '<=', 10], ['>=', 5, '<', 7]]
    subscriptions = [
        Subscription(name=f's{n}', function='f', filters=(
            EventTypeFilter(['a.b']),
            PatternFilter({'details': {'size': [
                {'numeric': rng.choice(forms)}]}})),
            project='p0' if n % 2 else None)
        for n in range(40)]
    events = [Event(message_id=f'm{n}', source='nova', event_type='a.b',
                    publisher_id=None, priority='info', timestamp='t',
                    project_id=rng.choice(['p0', 'p1']), user_id=None,
                    resource_id=None, payload={},
                    details={'size': rng.choice(
                        [0, 4.5, 5, 5.0, 6, 6.5, 7, 7.5, 10, 11, 'x', None])})
              for n in range(300)]
    matcher = Matcher(subscriptions)
    for _pass in ('cold', 'warm'):
        for event in events:
            assert matcher.match(event) == linear_scan(subscriptions, event)
    assert any(state.kind is _states.NUMERIC and len(state.steps) > 1
               for state in matcher._automaton._states.values())
