"""runtimes/python/pratai_openstack.py: a session from the payload.

A loopback HTTP server stands for a service of the catalog; the session
must find it there, send the token and the run's request id, and a run
without a credential must get NoCredential. The function side runs as
the runtime runs it (``-I``, the helper found beside the runtime).
"""

import http.server
import json
import pathlib
import subprocess
import sys
import textwrap
import threading

import pytest

RUNTIME_DIR = (pathlib.Path(__file__).resolve().parents[3]
               / 'runtimes' / 'python')
REQUEST_ID = 'req-6f1c8a4e-2d6b-4c8e-9a0e-1f2d3c4b5a69'


@pytest.fixture
def service():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            # Header names compare without case, as HTTP has them.
            seen.append({k.lower(): v for k, v in self.headers.items()})
            body = json.dumps([{'name': 'backups'}]).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/v1/AUTH_p', seen
    server.shutdown()
    server.server_close()


def _payload(url, credential=True):
    payload = {'request_id': REQUEST_ID, 'subscription': 's'}
    if credential:
        payload['credential'] = {
            'token': 'gAAAA-the-token',
            'expires_at': '2099-01-01T00:00:00.000000Z',
            'project_id': 'p', 'project_name': 'demo', 'user_id': 'u',
            'auth_url': 'http://127.0.0.1:5000/v3',
            'catalog': [{'type': 'object-store', 'name': 'swift', 'id': 's',
                         'endpoints': [{'interface': 'public', 'url': url,
                                        'region': 'RegionOne',
                                        'region_id': 'RegionOne',
                                        'id': 'e'}]}]}
    return payload


def _run(tmp_path, payload):
    (tmp_path / 'handler.py').write_text(textwrap.dedent('''
        import pratai_openstack

        def main(payload):
            try:
                session = pratai_openstack.session(payload)
            except pratai_openstack.NoCredential as exc:
                return {'no credential': str(exc)}
            resp = session.get('/', endpoint_filter={
                'service_type': 'object-store', 'interface': 'public'},
                params={'format': 'json'})
            return [c['name'] for c in resp.json()]
        '''))
    done = subprocess.run(
        [sys.executable, '-I', '-B', str(RUNTIME_DIR / 'pratai_runtime.py'),
         '--handler', 'handler', '--function-dir', str(tmp_path)],
        input=json.dumps(payload).encode(), capture_output=True, timeout=60)
    return json.loads(done.stdout), done.stderr.decode()


def test_a_session_on_the_token_and_catalog(tmp_path, service):
    url, seen = service
    line, logs = _run(tmp_path, _payload(url))
    assert line == {'status': 'succeeded', 'result': ['backups']}, logs
    [headers] = seen
    assert headers['x-auth-token'] == 'gAAAA-the-token'
    assert headers['x-openstack-request-id'] == REQUEST_ID


def test_no_credential(tmp_path, service):
    url, seen = service
    line, _ = _run(tmp_path, _payload(url, credential=False))
    assert 'subscription names none' in line['result']['no credential']
    assert seen == []
