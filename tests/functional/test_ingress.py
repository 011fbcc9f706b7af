"""The HTTP ingress, health and metrics on a real server (cheroot on
loopback) over the real pipeline and journal, and in the real daemon.

Aodh's webhooks are the bodies and headers its real notifier sent
(tests/fixtures/notification-samples/aodh).
"""

import json
import socket
import subprocess
import time
import uuid

import pytest
import requests
from oslo_config import cfg
from prometheus_client.parser import text_string_to_metric_families

from pratai_bridge import ingress as ingress_mod
from pratai_bridge.ingress import health
from tests.functional import rabbit
from tests.functional.ingress import Ingress
from tests.functional.ingress import webhook

TOKEN = 'a-shared-secret'
BASIC = ('pratai', TOKEN)  # what http://pratai:TOKEN@host/ makes requests send

NOVA_CREATE = {
    'event_type': 'compute.instance.create.end',
    'publisher_id': 'compute.host1', 'priority': 'INFO',
    'message_id': 'a7f1e6f0-1111-4c3b-9a3e-6d2f5b7c9e01',
    'timestamp': '2026-11-28 03:02:20.653504',
    'payload': {'instance_id': '9168b536-cd40-4630-b43f-b259807c6e87',
                'tenant_id': '6f70656e737461636b20342065766572',
                'user_id': 'fake', 'state': 'active',
                'display_name': 'web-1'}}


@pytest.fixture
def api(tmp_path):
    made = Ingress(tmp_path, f'token = {TOKEN}\n')
    yield made
    made.close()


def _event(api, message_id):
    stored = api.journal.get_event(message_id)
    assert stored is not None, f'{message_id} is not in the journal'
    return stored.event


def test_an_aodh_webhook_becomes_an_alarm_update_event(api):
    body, headers = webhook('threshold-alarm')
    resp = api.post('/v1/aodh', body, headers=headers, auth=BASIC)
    assert resp.status_code == 202, resp.text
    answer = resp.json()
    assert answer['event_type'] == 'alarm.update'
    assert answer['matched'] == 1
    event = _event(api, answer['message_id'])
    assert (event.source, event.event_type, event.exchange) == (
        'aodh', 'alarm.update', 'aodh')
    assert event.resource_id == 'e1bb25ac-ff94-4427-8975-e65aedc9c1b4'
    assert event.details['state'] == 'alarm'
    assert event.details['alarm_name'] == 'cpu_hi'
    assert event.payload == json.loads(body)
    executions = api.journal.list_executions()
    assert [(e.subscription, e.message_id) for e in executions] == [
        ('on-alarm', answer['message_id'])]


def test_the_webhook_matches_as_the_bus_message_does(api):
    ok, headers = webhook('threshold-ok')
    resp = api.post('/v1/aodh', ok, headers=headers, auth=BASIC)
    assert resp.status_code == 202
    assert resp.json()['matched'] == 0  # state ok: on-alarm wants alarm
    event_alarm, headers = webhook('event-alarm')
    resp = api.post('/v1/aodh', event_alarm, headers=headers, auth=BASIC)
    assert resp.json()['matched'] == 1


def test_a_retried_post_is_journaled_once(api):
    body, headers = webhook()
    first = api.post('/v1/aodh', body, headers=headers, auth=BASIC).json()
    again = api.post('/v1/aodh', body, headers=headers, auth=BASIC).json()
    assert first['message_id'] == again['message_id']
    assert api.journal.counts()['executions'] == 1
    # Another request id (another notify call of Aodh) is another event.
    body, headers = webhook()
    other = api.post('/v1/aodh', body, headers=headers, auth=BASIC).json()
    assert other['message_id'] != first['message_id']
    assert api.journal.counts()['executions'] == 2


@pytest.mark.parametrize('auth, headers', [
    (None, {}),
    (('pratai', 'wrong'), {}),
    (None, {'Authorization': 'Bearer wrong'}),
    (None, {'Authorization': 'Basic !!!'}),
])
def test_posts_without_the_token_are_refused(api, auth, headers):
    body, sent = webhook()
    resp = api.post('/v1/aodh', body, headers={**sent, **headers}, auth=auth)
    assert resp.status_code == 401
    assert 'WWW-Authenticate' in resp.headers
    assert api.journal.counts()['events'] == 0


def test_a_bearer_token_is_accepted(api):
    body, headers = webhook()
    resp = api.post('/v1/aodh', body, headers={
        **headers, 'Authorization': f'Bearer {TOKEN}'})
    assert resp.status_code == 202


def test_bad_requests(api):
    body, headers = webhook()
    big = b'{"x": "' + b'a' * (1024 * 1024) + b'"}'
    assert api.post('/v1/aodh', big, headers=headers,
                    auth=BASIC).status_code == 413
    assert api.post('/v1/aodh', b'{not json', headers=headers,
                    auth=BASIC).status_code == 400
    assert api.post('/v1/aodh', body, auth=BASIC, headers={
        'Content-Type': 'text/plain'}).status_code == 415
    assert requests.get(api.url + '/v1/aodh', auth=BASIC,
                        timeout=10).status_code == 405
    assert api.post('/v1/nothing', body, headers=headers,
                    auth=BASIC).status_code == 404
    assert api.journal.counts()['events'] == 0


def test_a_chunked_body_over_the_limit_is_refused(api):
    def chunks():
        for _ in range(1100):
            yield b'a' * 1024

    resp = api.post('/v1/events', chunks(), auth=BASIC,
                    headers={'Content-Type': 'application/json'})
    assert resp.status_code == 413


def test_an_oslo_notification_is_posted(api):
    resp = api.post('/v1/events', json.dumps(NOVA_CREATE), auth=BASIC,
                    headers={'Content-Type': 'application/json'})
    assert resp.status_code == 202, resp.text
    assert resp.json() == {'message_id': NOVA_CREATE['message_id'],
                           'event_type': 'compute.instance.create.end',
                           'matched': 1}
    event = _event(api, NOVA_CREATE['message_id'])
    assert (event.source, event.project_id) == (
        'nova', '6f70656e737461636b20342065766572')


def test_the_wire_form_is_posted_too(api):
    inner = dict(NOVA_CREATE, message_id=str(uuid.uuid4()))
    body = {'oslo.version': '2.0', 'oslo.message': json.dumps(inner)}
    resp = api.post('/v1/events', json.dumps(body), auth=BASIC)
    assert resp.status_code == 202
    assert resp.json()['message_id'] == inner['message_id']


def test_not_a_notification_is_400_and_not_journaled(api):
    resp = api.post('/v1/events', json.dumps({'payload': {}}), auth=BASIC)
    assert resp.status_code == 400
    assert 'event_type' in resp.json()['error']
    assert api.journal.counts()['rejected'] == 0


def test_an_unreadable_notification_is_parked_and_422(api):
    bad = {'event_type': 'alarm.creation', 'publisher_id': 'aodh.api',
           'message_id': str(uuid.uuid4()),
           'payload': {'alarm_id': ['not', 'an', 'id']}}
    resp = api.post('/v1/events', json.dumps(bad), auth=BASIC)
    assert resp.status_code == 422
    assert api.journal.counts()['rejected'] == 1
    [parked] = api.journal.list_rejected()
    assert parked.message_id == bad['message_id']


def test_a_journal_that_cannot_record_answers_503(tmp_path):
    # Nothing listens on port 9: the journal is away.
    api = Ingress(tmp_path, f'token = {TOKEN}\n', journal_url=(
        'postgresql+psycopg2://postgres@127.0.0.1:9/nothing'))
    try:
        body, headers = webhook()
        resp = api.post('/v1/aodh', body, headers=headers, auth=BASIC)
        assert resp.status_code == 503
        assert resp.headers['Retry-After'] == '5'
    finally:
        api.server.stop()


def test_healthz_names_what_is_down(tmp_path):
    rabbit.require_rabbitmq()
    api = Ingress(tmp_path, f'token = {TOKEN}\nhealth_cache_seconds = 0\n',
                  checks={'transport': _transport_check(rabbit.URL)})
    try:
        resp = api.get('/healthz')
        assert resp.status_code == 200
        assert resp.json() == {'status': 'ok', 'checks': {'transport': 'ok'}}
    finally:
        api.close()
    api = Ingress(tmp_path, f'token = {TOKEN}\n', checks={
        'transport': _transport_check('rabbit://guest:guest@127.0.0.1:9/'),
        'journal': lambda: None})
    try:
        resp = api.get('/healthz')
        assert resp.status_code == 503
        answer = resp.json()
        assert answer['down'] == ['transport']
        assert answer['checks']['journal'] == 'ok'
        assert '127.0.0.1:9' in answer['checks']['transport']
    finally:
        api.close()


def _transport_check(url):
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    check = health.transport_check(conf)  # registers transport_url
    conf.set_override('transport_url', url)
    return check


def test_metrics_count_what_the_ingress_did(api):
    body, headers = webhook()
    api.post('/v1/aodh', body, headers=headers, auth=BASIC)
    api.post('/v1/aodh', body, headers=headers)  # 401
    resp = api.get('/metrics')
    assert resp.status_code == 200
    assert resp.headers['Content-Type'].startswith('text/plain')
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(resp.text)
               for s in family.samples}
    assert samples[('pratai_http_requests_total', (
        ('code', '202'), ('route', '/v1/aodh')))] == 1
    assert samples[('pratai_http_requests_total', (
        ('code', '401'), ('route', '/v1/aodh')))] == 1
    assert samples[('pratai_notifications_received_total', (
        ('event_type', 'alarm.update'), ('source', 'aodh')))] == 1
    assert samples[('pratai_matches_total', (
        ('subscription', 'on-alarm'),))] == 1


def test_the_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ingress_mod.ApiServer(lambda e, s: [], '127.0.0.1', port,
                                       threads=1, max_request_bytes=1024)
        with pytest.raises(ingress_mod.ServerError, match=str(port)):
            server.start()


def test_stop_closes_the_port(tmp_path):
    api = Ingress(tmp_path, f'token = {TOKEN}\n')
    port = api.server.address[1]
    api.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(f'http://127.0.0.1:{port}/healthz', timeout=5)


def test_the_daemon_serves_webhooks_health_and_metrics(make_bridge):
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    bridge = make_bridge(f'[api]\nenabled = true\nport = {port}\n'
                         f'token = {TOKEN}\n[runner]\ndriver = local\n')
    bridge.subscribe('10-alarm.yaml', """
subscriptions:
  - name: on-alarm
    function: scale-up
    filters:
      - event_type: alarm.update
      - pattern: {details: {state: [alarm]}}
""")
    bridge.start()
    url = f'http://127.0.0.1:{port}'
    body, headers = webhook()
    resp = requests.post(url + '/v1/aodh', data=body, headers=headers,
                         auth=BASIC, timeout=30)
    assert resp.status_code == 202, resp.text
    message_id = resp.json()['message_id']
    # (Other tests on this RabbitMQ may publish alarm.update too: this
    # bridge's pool gets a copy; ours is the one with our message id.)
    deadline = time.monotonic() + 30
    while not (mine := [e for e in bridge.executions()
                        if e['message_id'] == message_id]):
        assert time.monotonic() < deadline, 'no execution for the webhook'
        time.sleep(0.2)
    assert [(e['subscription'], e['event_type']) for e in mine] == [
        ('on-alarm', 'alarm.update')]
    health_answer = requests.get(url + '/healthz', timeout=30).json()
    assert health_answer == {'status': 'ok', 'checks': {
        'journal': 'ok', 'runner': 'ok', 'transport': 'ok'}}
    text = requests.get(url + '/metrics', timeout=30).text
    assert 'pratai_journal_rows{kind="events"}' in text
    assert 'pratai_http_requests_total{code="202",route="/v1/aodh"} 1.0' in (
        text)
    assert bridge.stop() == 0


def _self_signed(directory):
    cert, key = directory / 'cert.pem', directory / 'key.pem'
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
         '-keyout', str(key), '-out', str(cert), '-days', '1',
         '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        check=True, capture_output=True, timeout=60)
    return cert, key


def test_https_with_a_certificate(tmp_path):
    cert, key = _self_signed(tmp_path)
    api = Ingress(tmp_path, f'token = {TOKEN}\ncert_file = {cert}\n'
                            f'key_file = {key}\n')
    try:
        url = api.url.replace('http://', 'https://')
        body, headers = webhook()
        resp = requests.post(url + '/v1/aodh', data=body, headers=headers,
                             auth=BASIC, verify=str(cert), timeout=30)
        assert resp.status_code == 202
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url + '/healthz', timeout=10)  # not trusted
        with pytest.raises(requests.ConnectionError):
            requests.get(api.url + '/healthz', timeout=10)  # not HTTP
    finally:
        api.close()


def test_a_certificate_without_its_key_is_refused(tmp_path):
    cert, _ = _self_signed(tmp_path)
    with pytest.raises(cfg.RequiredOptError, match='key_file'):
        Ingress(tmp_path, f'token = {TOKEN}\ncert_file = {cert}\n')
    with pytest.raises(ingress_mod.ServerError, match='cert_file'):
        Ingress(tmp_path, f'token = {TOKEN}\ncert_file = {tmp_path}/no\n'
                          f'key_file = {tmp_path}/no\n')
