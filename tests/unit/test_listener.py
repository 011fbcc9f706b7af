"""The listener's intake: ack after the journal, hold and retry while it
is away, requeue on stop, pause while too much is pending."""

import threading

import pytest
from oslo_config import cfg

from pratai_bridge import listener
from pratai_bridge.conf import listener as listener_opts


class _Pipeline:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.batches = []

    def handle_listened(self, exchange, messages, priorities):
        self.batches.append((exchange, list(messages)))
        if self.failures:
            self.failures -= 1
            raise RuntimeError('journal away')
        return 'ok'


class _Incoming:
    def __init__(self, n, priority='INFO', message=None):
        self.ctxt = {'user': 'u'}
        self.message = message if message is not None else {
            'message_id': f'm-{n}', 'publisher_id': 'p', 'event_type': 'e',
            'priority': priority, 'payload': {'n': n},
            'timestamp': '2026-11-28 03:02:20.653504'}


def test_a_batch_is_handed_over_as_an_endpoint_gets_it():
    pipeline = _Pipeline(0)
    intake = listener._Intake('aodh', pipeline, threading.Event(),
                              wait=pytest.fail)
    assert intake([_Incoming(1), _Incoming(2, 'SAMPLE'),
                   _Incoming(3, message=['not', 'an', 'object'])]) is True
    ((exchange, messages),) = pipeline.batches
    assert exchange == 'aodh'
    assert messages[0] == ('info', {
        'ctxt': {'user': 'u'}, 'publisher_id': 'p', 'event_type': 'e',
        'payload': {'n': 1}, 'metadata': {
            'message_id': 'm-1', 'timestamp': '2026-11-28 03:02:20.653504'}})
    assert messages[1][0] == 'sample'
    assert messages[2] == ('', ['not', 'an', 'object'])


def test_the_journal_away_holds_the_batch_and_retries_with_a_growing_pause():
    pipeline = _Pipeline(4)
    pauses = []

    def wait(pause):
        pauses.append(pause)
        return False

    intake = listener._Intake('nova', pipeline, threading.Event(), wait=wait)
    assert intake([_Incoming(1)]) is True
    assert len(pipeline.batches) == 5
    assert all(0 < p <= listener.MAX_PAUSE for p in pauses)
    assert pauses[3] > pauses[0]


def test_stopping_during_an_outage_requeues_the_batch():
    pipeline = _Pipeline(100)
    stopping = threading.Event()

    def wait(pause):
        stopping.set()
        return True

    intake = listener._Intake('nova', pipeline, stopping, wait=wait)
    assert intake([_Incoming(1)]) is False
    assert len(pipeline.batches) == 1


def test_the_pending_gate_holds_until_under_the_bound():
    counts = iter([12, 11, 10])
    clock = iter(range(100))
    gate = listener.PendingGate(lambda: next(counts), 10, interval=0.0,
                                clock=lambda: next(clock))
    gate.wait(threading.Event())
    # It asked until the count was back to the bound.
    assert next(counts, None) is None
    assert not listener.PendingGate(lambda: 10 ** 9, 0).over()


def test_the_pending_gate_asks_at_most_once_per_interval():
    asked = []
    now = [0.0]
    gate = listener.PendingGate(lambda: asked.append(1) or 5, 1,
                                interval=1.0, clock=lambda: now[0])
    assert gate.over() and gate.over()
    now[0] = 1.5
    assert gate.over()
    assert len(asked) == 2


def test_prefetch_is_a_batch_per_thread_and_one_arriving():
    conf = cfg.ConfigOpts()
    listener_opts.register_opts(conf)
    conf([])
    conf.set_override('batch_size', 50, group='listener')
    conf.set_override('threads', 3, group='listener')
    assert listener.prefetch(conf) == 200


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
