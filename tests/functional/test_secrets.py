"""Secrets are never stored or logged, on a full run of the real daemon.

A bridge configured with secrets ([api] token, [nova] password, a
password in its environment) takes notifications carrying tokens and
passwords (a request context's auth_token, a payload's admin_password, an
wire body that cannot be decoded, a _context_auth_token in it) from the real
RabbitMQ and an HTTP post with its bearer token, runs a function on them
(the local runner; it returns what it was given), parks what it cannot
read; then every file the run wrote (the daemon's log and stderr, the
journal, the CLI's output) is searched for every secret.
"""

import json
import pathlib
import socket
import time
import uuid

import requests

from tests.functional import rabbit

SECRETS = {name: f'pratai-{name}-{uuid.uuid4().hex}' for name in (
    'api-token', 'nova-password', 'env-password', 'auth-token',
    'admin-password', 'wire-token')}
ECHO = 'def main(payload=None):\n    return payload\n'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _bridge(make_bridge, tmp_path, port):
    bridge = make_bridge(
        f'[api]\nenabled = true\nport = {port}\n'
        f'token = {SECRETS["api-token"]}\n'
        '[runner]\ndriver = local\n'
        '[nova]\nauth_type = password\nauth_url = http://127.0.0.1:5000/v3\n'
        f'username = pratai\npassword = {SECRETS["nova-password"]}\n')
    bridge.env['OS_PASSWORD'] = SECRETS['env-password']
    source = tmp_path / 'echo'
    source.mkdir()
    (source / 'handler.py').write_text(ECHO)
    bridge.manage('function', 'create', 'echo', '--zip', str(source))
    bridge.subscribe('10-secrets.yaml', """
subscriptions:
  - name: every-test-event
    function: echo
    filters:
      - event_type: [pratai.secrets.*]
""")
    return bridge


def _send(publisher, port) -> None:
    context = {'auth_token': SECRETS['auth-token'], 'user': 'u',
               'project_id': 'p'}
    publisher.publish('nova', 'notifications', 'info', 'compute.host-1',
                      'pratai.secrets.one', {
                          'instance_id': 'i-1', 'tenant_id': 'p',
                          'admin_password': SECRETS['admin-password']},
                      ctxt=context)
    # Readable, but not a CADF event: parked with its context.
    publisher.publish('swift', 'notifications', 'info',
                      'ceilometermiddleware', 'objectstore.http.request',
                      'this is not a payload', ctxt=context)
    # A wire body whose message is not JSON: oslo.messaging itself cannot
    # read it, logs that it skips it (without the body) and drops it.
    inner = json.dumps({'_context_auth_token': SECRETS['wire-token'],
                        'event_type': 'pratai.secrets.wire'})
    body = json.dumps({'oslo.version': '2.0',
                       'oslo.message': inner + '{broken'}).encode()
    rabbit.publish_raw('nova', 'notifications.info', body)
    answer = requests.post(
        f'http://127.0.0.1:{port}/v1/events', timeout=30,
        headers={'Authorization': f'Bearer {SECRETS["api-token"]}'},
        json={'event_type': 'pratai.secrets.http', 'publisher_id': 'x',
              'payload': {'token': SECRETS['auth-token']}})
    assert answer.status_code == 202, answer.text


def _hits(root: pathlib.Path, config: pathlib.Path, extra: str) -> list[str]:
    """Where a secret is found: every file under ``root`` but the
    configuration file (where the operator wrote them), and ``extra``."""
    found = []
    texts = {str(path): path.read_bytes() for path in root.rglob('*')
             if path.is_file() and path != config}
    texts['(the CLI output)'] = extra.encode()
    for where, content in texts.items():
        for name, secret in SECRETS.items():
            at = content.find(secret.encode())
            if at != -1:
                start = content.rfind(b'\n', 0, at) + 1
                found.append(f'{name} in {where}: '
                             f'{content[start:start + 160]!r}')
    return found


def test_no_secret_is_stored_or_logged(make_bridge, publisher, tmp_path):
    port = _free_port()
    bridge = _bridge(make_bridge, tmp_path, port)
    bridge.start()
    _send(publisher, port)
    executions = bridge.wait_for_executions(2, status='succeeded')
    assert len(executions) == 2, bridge.executions()
    deadline = time.monotonic() + 30
    while 'Parking notification' not in bridge.log_text() or (
            'skipping it' not in bridge.log_text()):
        assert time.monotonic() < deadline, '\n'.join(
            line for line in bridge.log_text().splitlines()
            if 'WARNING' in line or 'ERROR' in line)
        time.sleep(0.2)
    shown = [bridge.manage('executions', 'show', str(e['id']), '-f',
                           'json').stdout for e in executions]
    # What the function received is the stored, scrubbed document.
    results = [json.loads(text)['result'] for text in shown]
    assert {'token': '***'} in [r['payload'] for r in results]
    assert bridge.stop() == 0
    output = '\n'.join(shown)
    assert _hits(bridge.root, bridge.conf, output) == []
    # The check can fail: the secrets did reach the bridge.
    assert 'admin_password' in output
