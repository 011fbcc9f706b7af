"""The matcher: the index gives exactly what a linear scan gives."""

import pathlib
import random
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from stevedore import extension

from pratai_bridge.events.model import Event
from pratai_bridge.filters.base import Filter
from pratai_bridge.filters.event_type import EventTypeFilter
from pratai_bridge.filters.pattern import PatternFilter
from pratai_bridge.filters.project import ProjectFilter
from pratai_bridge.matcher import Matcher
from pratai_bridge.subscriptions import loader
from pratai_bridge.subscriptions.model import Subscription
from tests.unit import samples

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / 'etc' / \
    'subscriptions.d'

EVENT_TYPES = [
    'compute.instance.create.end', 'compute.instance.create.start',
    'compute.instance.delete.end', 'instance.create.end',
    'instance.delete.end', 'objectstore.http.request', 'alarm.update',
    'alarm.state_transition', 'event', 'a', 'a.b', 'ab.c', 'weird[1].x',
    'compute', '.leading.dot', '',
]
GLOBS = EVENT_TYPES[:-1] + [
    'compute.*', 'compute.instance.*.end', '*.end', 'instance.*', '*',
    'alarm.?pdate', 'a*', '[ai]*.end', 'objectstore.*', '*.request', 'a.?',
    'weird[[]1].*', 'compute*', '?.b', '.*',
]


def event(event_type='compute.instance.create.end', project_id='p1',
          payload=None, source='nova'):
    return Event(message_id='m', source=source, event_type=event_type,
                 publisher_id=None, priority='info',
                 timestamp='2026-01-01T00:00:00Z', project_id=project_id,
                 user_id=None, resource_id=None,
                 payload={} if payload is None else payload)


def sub(name, *filters, project=None):
    return Subscription(name=name, function='f', filters=tuple(filters),
                        project=project)


def linear_scan(subscriptions, evt):
    document = evt.as_document()
    return [s for s in subscriptions
            if (s.project is None or s.project == evt.project_id)
            and all(f.match(document) for f in s.filters)]


def names(subscriptions):
    return [s.name for s in subscriptions]


class Spy(Filter):
    """Counts its match calls; declares the event types it is given."""

    def __init__(self, spec):
        super().__init__(spec)
        self.calls = []

    def match(self, document):
        self.calls.append(document['event_type'])
        return True

    def event_types(self):
        return self.spec


class TestMatch:
    def test_empty(self):
        matcher = Matcher([])
        assert matcher.match(event()) == []
        assert not matcher.could_match('compute.instance.create.end')
        assert len(matcher) == 0
        assert matcher.subscriptions == ()

    def test_results_keep_subscription_order(self):
        subscriptions = [
            sub('glob', EventTypeFilter('compute.*')),
            sub('any'),
            sub('literal', EventTypeFilter('compute.instance.create.end')),
            sub('floating', EventTypeFilter('*.end')),
            sub('other', EventTypeFilter('instance.create.end')),
        ]
        matcher = Matcher(subscriptions)
        assert names(matcher.match(event())) == [
            'glob', 'any', 'literal', 'floating']
        assert names(matcher.match(event('instance.create.end'))) == [
            'any', 'floating', 'other']
        assert names(matcher.match(event('image.upload'))) == ['any']
        assert matcher.subscriptions == tuple(subscriptions)
        assert len(matcher) == 5

    def test_a_subscription_is_listed_once(self):
        matcher = Matcher([sub('twice', EventTypeFilter(
            ['compute.*', 'compute.instance.create.end', '*',
             'compute.instance.create.end']))])
        assert names(matcher.match(event())) == ['twice']

    def test_project(self):
        matcher = Matcher([
            sub('mine', EventTypeFilter('compute.*'), project='p1'),
            sub('theirs', EventTypeFilter('compute.*'), project='p2'),
            sub('all', EventTypeFilter('compute.*')),
            sub('filter', ProjectFilter(['p2', 'p3'])),
        ])
        assert names(matcher.match(event(project_id='p1'))) == [
            'mine', 'all']
        assert names(matcher.match(event(project_id='p2'))) == [
            'theirs', 'all', 'filter']
        assert names(matcher.match(event(project_id=None))) == ['all']

    def test_every_filter_must_match(self):
        matcher = Matcher([sub(
            'both', EventTypeFilter('compute.*'),
            PatternFilter({'payload': {'state': ['active']}}),
            EventTypeFilter('*.end'))])
        assert names(matcher.match(event(payload={'state': 'active'}))) == [
            'both']
        assert matcher.match(event(payload={'state': 'error'})) == []
        assert matcher.match(event('compute.instance.create.start',
                                   payload={'state': 'active'})) == []

    def test_pattern_event_types_are_indexed(self):
        matcher = Matcher([sub('p', PatternFilter(
            {'event_type': [{'prefix': 'alarm.'}]}))])
        assert matcher.could_match('alarm.update')
        assert not matcher.could_match('objectstore.http.request')
        assert names(matcher.match(event('alarm.update'))) == ['p']

    def test_a_filter_declaring_no_event_types_matches_nothing(self):
        spy = Spy(())
        matcher = Matcher([sub('never', spy)])
        assert matcher.match(event()) == []
        assert not matcher.could_match('compute.instance.create.end')
        assert spy.calls == []


class TestCost:
    def test_only_candidates_are_tested(self):
        spies = {name: Spy((name,)) for name in EVENT_TYPES[:8]}
        matcher = Matcher([sub(n, spy) for n, spy in spies.items()])
        matcher.match(event('alarm.update'))
        assert {n: s.calls for n, s in spies.items() if s.calls} == {
            'alarm.update': ['alarm.update']}

    def test_globs_are_only_tried_for_their_first_segment(self):
        matcher = Matcher([sub('a', EventTypeFilter('compute.instance.*')),
                           sub('b', EventTypeFilter('alarm.*')),
                           sub('c', EventTypeFilter('*.request'))])
        tried = []
        for head, entries in matcher._by_head.items():
            for regex, _ in entries:
                tried.append((head, regex.pattern))
        assert [h for h, _ in tried] == ['compute', 'alarm']
        assert len(matcher._floating) == 1

    def test_the_document_is_built_once_and_only_when_needed(self):
        matcher = Matcher([
            sub(str(i), EventTypeFilter('compute.*'),
                PatternFilter({'payload': {'n': [i]}}))
            for i in range(20)])
        with mock.patch.object(Event, 'as_document', autospec=True,
                               side_effect=Event.as_document) as built:
            assert names(matcher.match(event(payload={'n': 7}))) == ['7']
            assert built.call_count == 1
            assert matcher.match(event('alarm.update')) == []
            assert built.call_count == 1


class TestCouldMatch:
    def test_drops_what_nobody_wants(self):
        matcher = Matcher([
            sub('nova', EventTypeFilter(['compute.instance.create.end',
                                         'instance.*'])),
            sub('alarms', EventTypeFilter('alarm.?pdate')),
        ])
        assert matcher.could_match('compute.instance.create.end')
        assert matcher.could_match('instance.delete.end')
        assert matcher.could_match('alarm.update')
        assert not matcher.could_match('objectstore.http.request')
        assert not matcher.could_match('compute.instance.create.start')
        assert not matcher.could_match('')

    def test_a_subscription_without_event_types_wants_everything(self):
        matcher = Matcher([sub('nova', EventTypeFilter('instance.*')),
                           sub('any', PatternFilter({'source': ['x']}))])
        assert matcher.could_match('objectstore.http.request')

    def test_project_does_not_matter_before_normalization(self):
        matcher = Matcher([sub('p', EventTypeFilter('a.b'), project='p')])
        assert matcher.could_match('a.b')


# Random subscriptions and events, compared with the linear scan. -----------

FILTER_SPECS = st.one_of(
    st.builds(lambda g: ('event_type', g),
              st.lists(st.sampled_from(GLOBS), min_size=1, max_size=3)),
    st.builds(lambda g: ('pattern', {'event_type': g}),
              st.lists(st.sampled_from(EVENT_TYPES), min_size=1,
                       max_size=2)),
    st.builds(lambda p: ('pattern', {'event_type': [{'prefix': p}]}),
              st.sampled_from(['compute.', 'a', 'alarm.s', ''])),
    st.builds(lambda s: ('pattern', {'payload': {'state': s}}),
              st.lists(st.sampled_from(['active', 'error', None]),
                       min_size=1, max_size=2)),
    st.builds(lambda s: ('pattern', {'source': [s]}),
              st.sampled_from(['nova', 'swift'])),
    st.builds(lambda p: ('project', p),
              st.lists(st.sampled_from(['p1', 'p2', 'p3']), min_size=1,
                       max_size=2)),
)
BUILD = {'event_type': EventTypeFilter, 'pattern': PatternFilter,
         'project': ProjectFilter}
SUBSCRIPTIONS = st.lists(
    st.tuples(st.lists(FILTER_SPECS, max_size=3),
              st.sampled_from([None, None, 'p1', 'p2'])),
    min_size=100, max_size=130)
EVENTS = st.builds(
    event,
    event_type=st.sampled_from(EVENT_TYPES) | st.text('abc.*[]', max_size=8),
    project_id=st.sampled_from(['p1', 'p2', 'p3', None]),
    payload=st.fixed_dictionaries({}, optional={
        'state': st.sampled_from(['active', 'error', None])}),
    source=st.sampled_from(['nova', 'swift']))


def build(specs):
    return [sub(f's{i}', *(BUILD[k](v) for k, v in filters), project=p)
            for i, (filters, p) in enumerate(specs)]


@settings(max_examples=25, deadline=None)
@given(SUBSCRIPTIONS, st.lists(EVENTS, min_size=1, max_size=20))
def test_index_equals_linear_scan(specs, events):
    subscriptions = build(specs)
    matcher = Matcher(subscriptions)
    for evt in events:
        expected = linear_scan(subscriptions, evt)
        assert matcher.match(evt) == expected
        if expected:
            assert matcher.could_match(evt.event_type)


@settings(max_examples=25, deadline=None)
@given(SUBSCRIPTIONS, st.sampled_from(EVENT_TYPES) | st.text('abc.*[]?'))
def test_could_match_false_means_no_event_of_that_type_matches(specs,
                                                               event_type):
    subscriptions = build(specs)
    matcher = Matcher(subscriptions)
    if matcher.could_match(event_type):
        return
    for project_id in ('p1', 'p2', 'p3', None):
        for payload in ({}, {'state': 'active'}, {'state': None}):
            for source in ('nova', 'swift'):
                assert linear_scan(subscriptions, event(
                    event_type, project_id, payload, source)) == []


def test_every_event_type_against_many_subscriptions():
    rng = random.Random(42)
    subscriptions = []
    for i in range(150):
        filters = [EventTypeFilter(rng.sample(GLOBS, rng.randint(1, 3)))]
        if rng.random() < 0.3:
            filters.append(PatternFilter(
                {'payload': {'state': [rng.choice(['active', 'error'])]}}))
        subscriptions.append(sub(f's{i}', *filters, project=rng.choice(
            [None, None, 'p1'])))
    subscriptions.append(sub('unindexed', PatternFilter({'source': ['x']})))
    matcher = Matcher(subscriptions)
    for event_type in EVENT_TYPES:
        for state in ('active', 'error'):
            for project_id in ('p1', 'p2'):
                evt = event(event_type, project_id, {'state': state})
                assert matcher.match(evt) == linear_scan(subscriptions, evt)


@pytest.fixture(scope='module')
def examples():
    manager = extension.ExtensionManager.make_test_instance([
        extension.Extension(name, None, cls, None)
        for name, cls in BUILD.items()])
    return Matcher(loader.load_directory(str(EXAMPLES), manager))


class TestExamplesAgainstSamples:
    """The example subscriptions match the samples they were written for."""

    # sample -> (subscriptions matched, could_match of its event type).
    # A Swift GET has the same event type as a PUT, so could_match keeps
    # it as soon as one subscription wants a Swift request.
    EXPECTED = {
        'nova-legacy/compute.instance.create.end.ceilometer-tests.json':
            (['on-instance-create'], True),
        'nova-versioned/instance-create-end.json':
            (['on-instance-create'], True),
        'nova-versioned/instance-create-start.json': ([], False),
        'nova-versioned/instance-delete-end.json': ([], False),
        'swift-ceilometermiddleware/objectstore.http.request.PUT.json':
            (['on-backup-uploaded'], True),
        'swift-ceilometermiddleware/objectstore.http.request.GET.json':
            ([], True),
        'aodh/alarm.update.threshold-alarm.json':
            (['on-cpu-above-80'], True),
        'aodh/alarm.update.threshold-ok.json': ([], True),
        'aodh/alarm.state_transition.evaluator-threshold-alarm.json':
            (['on-alarm-fired'], True),
        'aodh/alarm.state_transition.evaluator-threshold-ok.json':
            ([], True),
        'aodh/alarm.creation.json': ([], False),
    }

    @pytest.mark.parametrize('relative', sorted(EXPECTED))
    def test_sample(self, examples, relative):
        decode = pytest.importorskip('pratai_bridge.events.decode')
        normalize = pytest.importorskip('pratai_bridge.events.normalize')
        notification = decode.load_file(samples.path(relative))
        evt = normalize.Normalizers().normalize(notification)
        expected, could = self.EXPECTED[relative]
        assert names(examples.match(evt)) == expected
        assert examples.could_match(evt.event_type) is could
