"""The matcher: the index gives exactly what a linear scan gives."""

import dataclasses
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
from pratai_bridge.filters import combinators
from pratai_bridge.matcher import FilterFailure
from pratai_bridge.matcher import Matcher
from pratai_bridge.matcher import _read
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

    def test_combinators(self):
        matcher = Matcher([
            sub('any', combinators.AnyFilter(None, [
                EventTypeFilter('alarm.*'),
                PatternFilter({'payload': {'state': ['active']}})])),
            sub('all', combinators.AllFilter(None, [
                EventTypeFilter('compute.*'), ProjectFilter('p1')])),
            sub('not', combinators.NotFilter(None, [ProjectFilter('p1')])),
        ])
        assert names(matcher.match(event(payload={'state': 'active'}))) == [
            'any', 'all']
        assert names(matcher.match(event('alarm.x', project_id='p2'))) == [
            'any', 'not']
        assert names(matcher.match(event('x.y', project_id='p2'))) == ['not']
        assert matcher.could_match('x.y')

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

    def test_subscriptions_of_other_projects_are_never_looked_at(self):
        spies = {p: Spy(None) for p in ('p1', 'p2', 'p3')}
        matcher = Matcher([sub(p, EventTypeFilter('compute.*'), spy,
                               project=p) for p, spy in spies.items()])
        assert names(matcher.match(event(project_id='p2'))) == ['p2']
        assert {p: len(s.calls) for p, s in spies.items()} == {
            'p1': 0, 'p2': 1, 'p3': 0}

    def test_values_a_pattern_names_are_looked_up_not_scanned(self):
        # 2,000 subscriptions on one event type and one field: an event
        # reaches the one whose value it has, none of the others.
        spies = [Spy(None) for _ in range(2000)]
        matcher = Matcher([
            sub(f's{i}', PatternFilter({'event_type': ['a.b'],
                                        'payload': {'n': [i]}}), spy)
            for i, spy in enumerate(spies)])
        assert names(matcher.match(event('a.b', payload={'n': 7}))) == ['s7']
        assert [i for i, s in enumerate(spies) if s.calls] == [7]

    def test_the_document_is_built_only_for_filters_that_need_it(self):
        indexed = Matcher([
            sub(str(i), EventTypeFilter('compute.*'),
                PatternFilter({'payload': {'n': [i]}}))
            for i in range(20)])
        unindexed = Matcher([sub('spy', Spy(None))])
        with mock.patch.object(Event, 'as_document', autospec=True,
                               side_effect=Event.as_document) as built:
            assert names(indexed.match(event(payload={'n': 7}))) == ['7']
            assert indexed.match(event('alarm.update')) == []
            assert built.call_count == 0
            assert names(unindexed.match(event())) == ['spy']
            assert built.call_count == 1


class Boom(Filter):
    name = 'boom'

    def match(self, document):
        raise ZeroDivisionError('division by zero')


class TestRaisingFilters:
    def test_a_raising_filter_is_no_match_and_is_reported(self, caplog):
        matcher = Matcher([sub('bad', EventTypeFilter('compute.*'), Boom(1)),
                           sub('good', EventTypeFilter('compute.*'))])
        evt = event()
        assert names(matcher.match(evt)) == ['good']
        result = matcher.match_event(evt)
        assert names(result.subscriptions) == ['good']
        assert result.failures == (FilterFailure(
            'bad', 'boom', 'ZeroDivisionError: division by zero'),)
        logged = [r for r in caplog.records if r.levelname == 'ERROR']
        assert logged and logged[-1].exc_info is not None
        message = logged[-1].getMessage()
        assert 'bad' in message and evt.message_id in message

    def test_a_raising_index_only_costs_the_index(self, caplog):
        class BadIndex(Spy):
            def index(self):
                raise RuntimeError('no')

        matcher = Matcher([sub('s', BadIndex(None))])
        assert names(matcher.match(event())) == ['s']
        assert 'cannot be indexed' in caplog.text

    def test_nothing_matched_is_an_empty_result(self):
        result = Matcher([]).match_event(event())
        assert result.subscriptions == () and result.failures == ()


class TestArrays:
    """Lists of objects: the index reads flat, the pattern per element."""

    def test_fields_of_different_elements_never_combine(self):
        matcher = Matcher([sub('s', PatternFilter({'payload': {'d': {
            'a': ['1'], 'b': ['2']}}}))])
        split = event(payload={'d': [{'a': '1'}, {'b': '2'}]})
        together = event(payload={'d': [{'a': '1', 'b': '2'}, {'a': '3'}]})
        assert matcher.match(split) == []
        assert names(matcher.match(together)) == ['s']

    def test_exists_false_holds_per_element(self):
        matcher = Matcher([sub('s', PatternFilter({'payload': {'d': {
            'a': ['1'], 'b': [{'exists': False}]}}}))])
        assert names(matcher.match(event(payload={'d': [
            {'a': '1'}, {'b': 'x'}]}))) == ['s']
        assert matcher.match(event(payload={'d': [
            {'a': '1', 'b': 'x'}, {'b': 'y'}]})) == []


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


# Random patterns and combinators over random payloads, against the scan. -

from tests.unit.filters.test_pattern_properties import CONDITIONS  # noqa: E402
from tests.unit.filters.test_pattern_properties import VALUES  # noqa: E402

KEYS = st.sampled_from('fgh')
LEAVES = st.lists(CONDITIONS, min_size=1, max_size=3)
PATTERNS = st.recursive(
    st.dictionaries(KEYS, LEAVES, min_size=1, max_size=2),
    lambda inner: st.one_of(
        st.dictionaries(KEYS, inner, min_size=1, max_size=2),
        st.builds(lambda alts, rest: dict(rest, **{'$or': alts}),
                  st.lists(inner, min_size=2, max_size=3),
                  st.dictionaries(KEYS, LEAVES, max_size=1))),
    max_leaves=5)
TOP = st.fixed_dictionaries({}, optional={
    'source': st.lists(st.sampled_from(['nova', 'swift', {'prefix': 'sw'},
                                        {'anything-but': 'nova'}]),
                       min_size=1, max_size=2),
    'project_id': st.lists(st.sampled_from(['p1', 'p2', None,
                                            {'exists': False}]),
                           min_size=1, max_size=2),
})
SIMPLE_FILTERS = st.one_of(
    st.builds(lambda top, payload: PatternFilter(dict(top, payload=payload)),
              TOP, PATTERNS),
    st.builds(lambda g: EventTypeFilter(g),
              st.lists(st.sampled_from(GLOBS), min_size=1, max_size=2)),
    st.builds(ProjectFilter, st.lists(st.sampled_from(['p1', 'p2']),
                                      min_size=1, max_size=2)),
)
FILTERS = st.recursive(
    SIMPLE_FILTERS,
    lambda inner: st.one_of(
        st.builds(lambda c: combinators.AnyFilter(None, c),
                  st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: combinators.AllFilter(None, c),
                  st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: combinators.NotFilter(None, [c]), inner)),
    max_leaves=4)
PAYLOADS = st.dictionaries(KEYS, VALUES, max_size=3)
RANDOM_EVENTS = st.builds(
    event, event_type=st.sampled_from(EVENT_TYPES),
    project_id=st.sampled_from(['p1', 'p2', None]), payload=PAYLOADS,
    source=st.sampled_from(['nova', 'swift']))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(FILTERS, max_size=3),
                          st.sampled_from([None, 'p1'])),
                min_size=1, max_size=12),
       st.lists(RANDOM_EVENTS, min_size=1, max_size=10))
def test_compiled_matcher_equals_linear_scan_on_random_patterns(specs,
                                                                events):
    subscriptions = [sub(f's{i}', *filters, project=project)
                     for i, (filters, project) in enumerate(specs)]
    matcher = Matcher(subscriptions)
    for evt in events:
        expected = linear_scan(subscriptions, evt)
        assert matcher.match(evt) == expected
        if expected:
            assert matcher.could_match(evt.event_type)


@given(st.lists(KEYS, min_size=1, max_size=4), PAYLOADS)
def test_the_reader_reads_what_the_document_holds(keys, payload):
    # Reading a path leaf by leaf agrees with a one-leaf pattern on the
    # document: the index and the filters see the same values.
    evt = event(payload=payload)
    values, _ambiguous = _read.read(_read.EventFields(evt),
                                    ('payload', *keys))
    pattern = {'payload': {}}
    inner = pattern['payload']
    for key in keys[:-1]:
        inner[key] = {}
        inner = inner[key]
    inner[keys[-1]] = [{'exists': True}]
    assert bool(values) is PatternFilter(pattern).match(evt.as_document()) \
        or _ambiguous


def test_every_document_key_is_read_from_the_event():
    evt = event(payload={'x': 1})
    document = evt.as_document()
    fields = _read.EventFields(evt)
    for key, value in document.items():
        assert fields.top(key) == value


@given(st.sampled_from(['payload', 'details', 'source', 'nope']),
       st.lists(KEYS, max_size=2), PAYLOADS)
def test_a_paths_shortcut_reader_reads_as_the_general_one(head, keys,
                                                          payload):
    evt = dataclasses.replace(event(payload=payload), details=payload)
    path = (head, *keys)
    fields = _read.EventFields(evt)
    assert _read.reader(path)(fields) == _read.read(fields, path)
