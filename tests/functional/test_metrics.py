"""/metrics and /healthz of the real daemon, counting what it really did.

The bridge listens on a topic of this test's own (on the real ``nova``
and ``swift`` exchanges), so no other test's notifications reach its
queues and every counter can be asserted exactly. Functions run on the
local runner (the docker runner's starts are counted by the same code:
the dispatcher reads ``warm`` off each outcome).
"""

import socket
import time
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.functional import rabbit

ECHO = 'def main(payload=None):\n    return payload["message_id"]\n'
BOOM = 'def main(payload=None):\n    raise RuntimeError("boom")\n'
CREATED, DELETED = 'compute.instance.create.end', 'compute.instance.delete.end'
UPLOAD = 'objectstore.http.request'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def scrape(url: str) -> dict:
    """{(sample name, sorted labels): value} of one GET /metrics."""
    text = requests.get(url + '/metrics', timeout=30).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples}


def by_labels(samples: dict, name: str) -> dict:
    return {labels: value for (sample, labels), value in samples.items()
            if sample == name}


def _function(tmp_path, name: str, source: str) -> str:
    directory = tmp_path / name
    directory.mkdir()
    (directory / 'handler.py').write_text(source)
    return str(directory)


def _wait_final(bridge, succeeded: int, dead: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        statuses = [e['status'] for e in bridge.executions()]
        if (statuses.count('succeeded'), statuses.count('dead')) == (
                succeeded, dead) and len(statuses) == succeeded + dead:
            return
        assert time.monotonic() < deadline, statuses
        time.sleep(0.3)


def test_metrics_count_what_the_daemon_did(make_bridge, publisher,
                                           tmp_path):
    topic = f'ft-metrics-{uuid.uuid4().hex[:8]}'
    port = free_port()
    bridge = make_bridge(
        f'[api]\nenabled = true\nport = {port}\ntoken = t\n'
        f'health_cache_seconds = 0\n'
        f'[runner]\ndriver = local\n'
        f'[dispatcher]\nretry_delay = 0.1\nretry_max_delay = 0.2\n'
        f'[listener]\ntargets = nova:{topic}, swift:{topic}\n')
    bridge.subscribe('10-main.yaml', f"""
subscriptions:
  - name: on-create
    function: echo
    filters: [{{event_type: {CREATED}}}]
  - name: on-delete
    function: boom
    filters: [{{event_type: {DELETED}}}]
    delivery: {{max_attempts: 2}}
""")
    bridge.manage('function', 'create', 'echo', '--zip',
                  _function(tmp_path, 'echo', ECHO))
    bridge.manage('function', 'create', 'boom', '--zip',
                  _function(tmp_path, 'boom', BOOM))
    bridge.start()
    url = f'http://127.0.0.1:{port}'
    for n in range(5):
        publisher.publish('nova', topic, 'info', 'compute.host1', CREATED,
                          {'instance_id': f'i-{n}', 'tenant_id': 'p1'})
    for n in range(3):
        publisher.publish('nova', topic, 'info', 'compute.host1', DELETED,
                          {'instance_id': f'd-{n}', 'tenant_id': 'p1'})
    for _ in range(2):  # not a CADF event: parked
        publisher.publish('swift', topic, 'info', 'ceilometermiddleware',
                          UPLOAD, 'not a payload')
    try:
        _wait_final(bridge, succeeded=5, dead=3)
        samples = scrape(url)
        health = requests.get(url + '/healthz', timeout=30)
    finally:
        bridge.stop()
        # ...and the <topic>.info queue the Notifier declared on sending.
        rabbit.delete_queues([f'{bridge.pool}.nova', f'{bridge.pool}.swift',
                              f'{topic}.info'])

    assert by_labels(samples, 'pratai_notifications_received_total') == {
        (('event_type', CREATED), ('source', 'nova')): 5,
        (('event_type', DELETED), ('source', 'nova')): 3,
        (('event_type', UPLOAD), ('source', 'swift')): 2}
    assert by_labels(samples, 'pratai_notifications_parked_total') == {
        (('event_type', UPLOAD), ('source', 'swift')): 2}
    assert by_labels(samples, 'pratai_matches_total') == {
        (('subscription', 'on-create'),): 5,
        (('subscription', 'on-delete'),): 3}
    assert by_labels(samples, 'pratai_executions_total') == {
        (('function', 'echo'), ('status', 'succeeded')): 5,
        (('function', 'boom'), ('status', 'dead')): 3}
    # Each of the boom executions ran twice; the local runner starts a
    # new process every time.
    assert by_labels(samples, 'pratai_starts_total') == {
        (('function', 'echo'), ('kind', 'cold')): 5,
        (('function', 'boom'), ('kind', 'cold')): 6}
    assert by_labels(samples, 'pratai_execution_duration_seconds_count') == {
        (('function', 'echo'),): 5, (('function', 'boom'),): 6}
    assert by_labels(samples, 'pratai_intake_duration_seconds_count') == {
        (('source', 'nova'),): 8}
    rows = by_labels(samples, 'pratai_journal_rows')
    assert (rows[(('kind', 'events'),)], rows[(('kind', 'rejected'),)],
            rows[(('kind', 'succeeded'),)], rows[(('kind', 'dead'),)],
            rows[(('kind', 'pending'),)]) == (8, 2, 5, 3, 0)
    assert by_labels(samples, 'pratai_listener_backlog_messages') == {
        (('queue', f'{bridge.pool}.nova'),): 0,
        (('queue', f'{bridge.pool}.swift'),): 0}
    assert by_labels(samples, 'pratai_loops_stopped_total') == {}
    assert health.status_code == 200
    assert health.json() == {'status': 'ok', 'checks': {
        'journal': 'ok', 'runner': 'ok', 'transport': 'ok'}}


def test_healthz_names_the_runner_when_its_engine_is_away(make_bridge):
    port = free_port()
    # Nothing listens on port 9: the Docker engine is away.
    bridge = make_bridge(
        f'[api]\nenabled = true\nport = {port}\ntoken = t\n'
        f'health_cache_seconds = 0\n[runner]\ndriver = docker\n'
        f'[builder]\ndocker_url = tcp://127.0.0.1:9\ndocker_timeout = 2\n')
    bridge.start()
    try:
        answer = requests.get(f'http://127.0.0.1:{port}/healthz',
                              timeout=30)
    finally:
        assert bridge.stop() == 0
    assert answer.status_code == 503
    document = answer.json()
    assert (document['status'], document['down']) == ('down', ['runner'])
    reason = document['checks']['runner']
    assert reason.startswith('RunnerError: ') and 'Docker engine' in reason
    assert "host='127.0.0.1', port=9" in reason
    assert (document['checks']['journal'], document['checks']['transport']
            ) == ('ok', 'ok')
