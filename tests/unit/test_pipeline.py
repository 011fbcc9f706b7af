"""The pipeline: one commit per batch, and no batch held by one message."""

import pytest
import sqlalchemy as sa

from pratai_bridge.events.model import Notification
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.filters.base import Filter
from pratai_bridge.filters.event_type import EventTypeFilter
from pratai_bridge.journal import Journal
from pratai_bridge.matcher import Matcher
from pratai_bridge.metrics import Metrics
from pratai_bridge.pipeline import Pipeline
from pratai_bridge.subscriptions.model import Subscription
from tests.unit.test_metrics import metric_samples

CREATED = Subscription(name='created', function='hello', filters=(
    EventTypeFilter('compute.instance.create.end'),))


def _notification(n: int, **payload) -> Notification:
    return Notification(
        exchange='nova', priority='info', publisher_id='compute.host1',
        event_type='compute.instance.create.end',
        payload={'instance_id': f'i-{n}', 'tenant_id': 'p1', **payload},
        metadata={'message_id': f'm-{n}',
                  'timestamp': '2026-11-28 03:02:20.653504'})


@pytest.fixture
def journal(tmp_path):
    made = Journal(f'sqlite:///{tmp_path}/journal.sqlite')
    made.start()
    yield made
    made.stop()


def _pipeline(journal, woken=None) -> Pipeline:
    return Pipeline(Normalizers(), Matcher([CREATED]), journal,
                    on_new_executions=woken)


def test_a_batch_is_journaled_and_wakes_the_dispatcher(journal):
    woken = []
    result = _pipeline(journal, lambda: woken.append(1)).handle(
        [_notification(n) for n in range(3)])
    assert (result.received, result.recorded, result.matched,
            result.new_executions) == (3, 3, 3, 3)
    assert woken == [1]
    again = _pipeline(journal, lambda: woken.append(1)).handle(
        [_notification(n) for n in range(3)])
    assert again.new_executions == 0 and woken == [1]


def test_a_poison_event_is_parked_and_the_rest_recorded(journal):
    # A lone surrogate is valid JSON on the wire and cannot be stored.
    batch = [_notification(0), _notification(1, instance_id='\ud800'),
             _notification(2)]
    result = _pipeline(journal).handle(batch)
    assert result.new_executions == 2
    assert result.rejected == 1
    assert {e.message_id for e in journal.list_executions()} == {'m-0', 'm-2'}
    (parked,) = journal.list_rejected()
    assert parked.event_type == 'compute.instance.create.end'
    assert 'refused' in parked.reason
    assert parked.message_id.startswith('rejected-')


def test_an_unreadable_payload_is_parked(journal):
    bad = Notification(exchange='swift', priority='info',
                       publisher_id='ceilometermiddleware',
                       event_type='objectstore.http.request',
                       payload='not a CADF event',
                       metadata={'message_id': 'm-bad', 'timestamp': None})
    result = _pipeline(journal).handle([bad, _notification(1)])
    assert (result.rejected, result.new_executions) == (1, 1)
    assert [r.message_id for r in journal.list_rejected()] == ['m-bad']


class _RaisingFilter(Filter):
    """A third-party filter with a bug on events of instance i-1."""

    name = 'buggy'

    def match(self, document):
        if document['payload']['instance_id'] == 'i-1':
            raise KeyError('flavor')
        return True


BUGGY = Subscription(name='buggy', function='hello', filters=(
    EventTypeFilter('compute.instance.create.end'), _RaisingFilter(None)))


def test_a_raising_filter_is_no_match_and_kept_with_the_event(journal,
                                                              caplog):
    pipeline = Pipeline(Normalizers(), Matcher([BUGGY, CREATED]), journal)
    result = pipeline.handle([_notification(n) for n in range(3)])
    # Every event went on to the other subscription, and the batch was
    # committed: buggy matched the two events it did not raise on.
    assert (result.received, result.recorded, result.rejected,
            result.new_executions) == (3, 3, 0, 5)
    assert sorted((e.message_id, e.subscription)
                  for e in journal.list_executions()) == [
        ('m-0', 'buggy'), ('m-0', 'created'), ('m-1', 'created'),
        ('m-2', 'buggy'), ('m-2', 'created')]
    assert journal.get_event('m-1').filter_errors == ({
        'subscription': 'buggy', 'filter': 'buggy',
        'error': "KeyError: 'flavor'"},)
    assert journal.get_event('m-0').filter_errors == ()
    (logged,) = [r for r in caplog.records if 'raised on event' in
                 r.getMessage()]
    assert 'm-1' in logged.getMessage() and 'buggy' in logged.getMessage()
    assert logged.exc_info is not None


def test_an_event_a_filter_raised_on_is_kept_even_unmatched(journal):
    only_buggy = Subscription(name='buggy', function='hello',
                              filters=(_RaisingFilter(None),))
    pipeline = Pipeline(Normalizers(), Matcher([only_buggy]), journal,
                        record_unmatched=False)
    result = pipeline.handle([_notification(1)])
    assert (result.recorded, result.new_executions) == (1, 0)
    assert journal.get_event('m-1').filter_errors[0]['subscription'] == (
        'buggy')


class _BrokenNormalizers(Normalizers):
    """A normalizer plugin with a bug (not a NormalizationError)."""

    def normalize(self, notification):
        if notification.message_id == 'm-1':
            raise AttributeError('oops')
        return super().normalize(notification)


def test_any_other_failure_parks_only_that_message(journal):
    pipeline = Pipeline(_BrokenNormalizers(), Matcher([CREATED]), journal)
    result = pipeline.handle([_notification(n) for n in range(3)])
    assert (result.rejected, result.new_executions) == (1, 2)
    (parked,) = journal.list_rejected()
    assert (parked.message_id, parked.reason) == ('m-1',
                                                  'AttributeError: oops')


class _AwayJournal:
    def record(self, events, matches, rejected, filter_errors=None):
        raise sa.exc.OperationalError('INSERT', {}, Exception('gone'))


def test_a_journal_that_is_away_fails_the_batch():
    with pytest.raises(sa.exc.OperationalError):
        _pipeline(_AwayJournal()).handle([_notification(0)])


def test_metrics_count_a_committed_batch(journal):
    metrics = Metrics()
    bad = Notification(exchange='swift', priority='info',
                       publisher_id='ceilometermiddleware',
                       event_type='objectstore.http.request',
                       payload='not a CADF event',
                       metadata={'message_id': 'm-bad', 'timestamp': None})
    other = Notification(exchange='nova', priority='info',
                         publisher_id='compute.host1',
                         event_type='compute.instance.delete.end',
                         payload={'instance_id': 'i-9', 'tenant_id': 'p1'},
                         metadata={'message_id': 'm-9', 'timestamp': None})
    pipeline = Pipeline(Normalizers(), Matcher([CREATED]), journal,
                        metrics=metrics)
    pipeline.handle([_notification(1), _notification(2), bad, other])
    samples = metric_samples(metrics)
    assert {(dict(labels)['source'], dict(labels)['event_type']): value
            for (name, labels), value in samples.items()
            if name == 'pratai_notifications_received_total'} == {
        ('nova', 'compute.instance.create.end'): 2,
        ('nova', 'compute.instance.delete.end'): 1,
        ('swift', 'objectstore.http.request'): 1}
    assert samples[('pratai_notifications_parked_total', (
        ('event_type', 'objectstore.http.request'), ('source', 'swift')))
    ] == 1
    assert samples[('pratai_matches_total', (('subscription', 'created'),))
                   ] == 2
    # Every journaled event (matched or not) has its intake observed.
    assert samples[('pratai_intake_duration_seconds_count', (
        ('source', 'nova'),))] == 3


def test_a_batch_the_journal_cannot_take_is_not_counted():
    metrics = Metrics()
    pipeline = Pipeline(Normalizers(), Matcher([CREATED]), _AwayJournal(),
                        metrics=metrics)
    with pytest.raises(sa.exc.OperationalError):
        pipeline.handle([_notification(1)])
    assert not [name for (name, _), value in metric_samples(metrics).items()
                if name == 'pratai_notifications_received_total']
