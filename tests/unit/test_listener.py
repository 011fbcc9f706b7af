"""The listener's endpoint: ack after the journal, requeue with a pause."""

import oslo_messaging
import pytest

from pratai_bridge import listener


class _Pipeline:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.batches = []

    def handle_messages(self, exchange, priority, messages):
        self.batches.append((exchange, priority, len(messages)))
        if self.failures:
            self.failures -= 1
            raise RuntimeError('journal away')
        return 'ok'


def _message(n):
    return {'ctxt': {}, 'publisher_id': 'p', 'event_type': 'e',
            'payload': {}, 'metadata': {'message_id': f'm-{n}'}}


def test_every_priority_is_handled_and_acked():
    pipeline = _Pipeline(0)
    endpoint = listener._Endpoint('aodh', pipeline, sleep=pytest.fail)
    for priority in listener.PRIORITIES:
        assert getattr(endpoint, priority)([_message(1)]) == (
            oslo_messaging.NotificationResult.HANDLED)
    assert [b[1] for b in pipeline.batches] == list(listener.PRIORITIES)
    assert {b[0] for b in pipeline.batches} == {'aodh'}


def test_failures_requeue_after_a_growing_pause():
    pipeline = _Pipeline(4)
    pauses = []
    endpoint = listener._Endpoint('nova', pipeline, sleep=pauses.append)
    results = [endpoint.info([_message(n)]) for n in range(5)]
    assert results == [oslo_messaging.NotificationResult.REQUEUE] * 4 + [
        oslo_messaging.NotificationResult.HANDLED]
    assert all(0 < p <= listener.MAX_PAUSE for p in pauses)
    assert pauses[3] > pauses[0]
    # A success resets the pause.
    pipeline.failures = 1
    endpoint.info([_message(9)])
    assert pauses[-1] <= 0.5


def test_targets_are_grouped_by_exchange():
    assert listener.parse_targets(
        ['nova:notifications', 'nova:versioned_notifications',
         'aodh:alarming', 'nova:notifications']) == {
        'nova': ['notifications', 'versioned_notifications'],
        'aodh': ['alarming']}
    with pytest.raises(ValueError, match='exchange:topic'):
        listener.parse_targets(['nova'])


def test_each_exchange_has_its_own_queue():
    assert listener.queue_name('pratai-bridge', 'swift') == (
        'pratai-bridge.swift')
