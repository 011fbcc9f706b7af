from prometheus_client.parser import text_string_to_metric_families

from pratai_bridge.metrics import OTHER
from pratai_bridge.metrics import Metrics

NAMES = {
    'pratai_notifications_received', 'pratai_notifications_parked',
    'pratai_matches', 'pratai_executions',
    'pratai_execution_duration_seconds', 'pratai_intake_duration_seconds',
    'pratai_starts', 'pratai_listener_backlog_messages',
    'pratai_journal_rows', 'pratai_loops_stopped', 'pratai_http_requests',
    'pratai_http_request_duration_seconds', 'pratai_enrichment_lookups',
    'pratai_credential_tokens',
}


def metric_samples(metrics):
    """{(sample name, sorted labels): value} of one scrape."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(
                metrics.render().decode())
            for s in family.samples}


def test_every_metric_is_defined_and_prefixed():
    families = {f.name for f in text_string_to_metric_families(
        Metrics().render().decode())}
    assert families == NAMES
    assert all(name.startswith('pratai_') for name in families)


def test_helpers_record():
    metrics = Metrics()
    metrics.notification_received('nova', 'instance.create.end')
    metrics.notification_parked('aodh', None)
    metrics.matched('on-create')
    metrics.execution_finished('hello', 'succeeded', 0.3)
    metrics.started('hello', warm=True)
    metrics.intake('nova', 0.02)
    metrics.loop_stopped('on-create')
    metrics.set_backlog({'pratai-bridge.nova': 7})
    metrics.set_journal_rows({'events': 3, 'pending': 1})
    samples = metric_samples(metrics)
    assert samples[('pratai_notifications_received_total', (
        ('event_type', 'instance.create.end'), ('source', 'nova')))] == 1
    assert samples[('pratai_notifications_parked_total', (
        ('event_type', 'unknown'), ('source', 'aodh')))] == 1
    assert samples[('pratai_executions_total', (
        ('function', 'hello'), ('status', 'succeeded')))] == 1
    assert samples[('pratai_execution_duration_seconds_count', (
        ('function', 'hello'),))] == 1
    assert samples[('pratai_starts_total', (
        ('function', 'hello'), ('kind', 'warm')))] == 1
    assert samples[('pratai_listener_backlog_messages', (
        ('queue', 'pratai-bridge.nova'),))] == 7
    assert samples[('pratai_journal_rows', (('kind', 'events'),))] == 3
    assert samples[('pratai_loops_stopped_total', (
        ('subscription', 'on-create'),))] == 1


def test_label_values_are_bounded():
    metrics = Metrics(max_label_values=2)
    for event_type in ('a', 'b', 'c', 'd', 'a'):
        metrics.notification_received('nova', event_type)
    samples = metric_samples(metrics)
    by_type = {dict(labels)['event_type']: value
               for (name, labels), value in samples.items()
               if name == 'pratai_notifications_received_total'}
    assert by_type == {'a': 2, 'b': 1, OTHER: 2}


def test_scrape_callbacks_are_throttled_and_survive_errors():
    metrics = Metrics()
    calls = []
    metrics.collect_before_scrape(lambda: calls.append(1), min_interval=60)

    def broken():
        raise RuntimeError('journal away')

    metrics.collect_before_scrape(broken)
    metrics.render()
    metrics.render()
    assert calls == [1]


def test_two_bridges_do_not_share_counts():
    one, two = Metrics(), Metrics()
    one.matched('x')
    assert ('pratai_matches_total', (('subscription', 'x'),)) not in (
        metric_samples(two))


class _Received:
    def __init__(self, exchange, event_type, timestamp=None):
        self.exchange, self.event_type = exchange, event_type
        self.timestamp = timestamp


def test_a_journaled_batch_is_counted_once_per_kind():
    metrics = Metrics()
    created = _Received('nova', 'instance.create.end',
                        '2026-11-28T03:02:28.000000Z')
    bad = _Received('nova', None)
    naive = _Received('swift', 'objectstore.http.request',
                      '2026-11-28 03:02:29')
    epoch = 1795834950.0  # 2026-11-28T03:02:30Z
    metrics.journaled([created, created, bad, naive], [bad],
                      [created, naive, _Received('nova', 'x', 'not a time')],
                      ['on-create', 'on-create', 'audit'], now=epoch)
    samples = metric_samples(metrics)
    assert samples[('pratai_notifications_received_total', (
        ('event_type', 'instance.create.end'), ('source', 'nova')))] == 2
    assert samples[('pratai_notifications_received_total', (
        ('event_type', 'unknown'), ('source', 'nova')))] == 1
    assert samples[('pratai_notifications_parked_total', (
        ('event_type', 'unknown'), ('source', 'nova')))] == 1
    assert samples[('pratai_matches_total', (
        ('subscription', 'on-create'),))] == 2
    assert samples[('pratai_matches_total', (('subscription', 'audit'),))
                   ] == 1
    # Intake: 2 s for nova, 1 s for swift (a time without a zone is
    # UTC); the event whose time cannot be read is not observed.
    assert samples[('pratai_intake_duration_seconds_sum', (
        ('source', 'nova'),))] == 2.0
    assert samples[('pratai_intake_duration_seconds_count', (
        ('source', 'nova'),))] == 1
    assert samples[('pratai_intake_duration_seconds_sum', (
        ('source', 'swift'),))] == 1.0
