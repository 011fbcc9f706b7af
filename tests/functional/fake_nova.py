"""A compute API on loopback answering with Nova's documented bodies.

Enough of Nova for python-novaclient's ``servers.get``: ``GET
/v2.1/servers/{id}`` answers the documented server show body of
microversion 2.47 (tests/fixtures/nova/server-get-resp.v2.47.json) with
the server's id, name, metadata and tags filled in, and the microversion
headers Nova sends; an unknown id gets Nova's 404 ``itemNotFound``. The
request must carry the microversion novaclient was asked for and a token
that the real Keystone validates (when a validating session is given).

Knobs for the tests: ``delay`` (seconds each answer waits), ``down``
(answer 503 as a Nova behind a load balancer with no backend does), and
what was asked: ``requests`` (server ids, in order) and ``max_in_flight``.
"""

import copy
import http.server
import json
import pathlib
import re
import threading
import time
from typing import Any

FIXTURE = (pathlib.Path(__file__).resolve().parents[1] / 'fixtures' / 'nova'
           / 'server-get-resp.v2.47.json')
MICROVERSION = '2.47'
_SERVER_PATH = re.compile(r'^/v2\.1/servers/([0-9a-f-]{36})$')


def server_body(server_id: str, name: str = 'new-server-test',
                metadata: dict | None = None,
                tags: list | None = None) -> dict[str, Any]:
    """The documented server show body, for this server."""
    body = copy.deepcopy(json.loads(FIXTURE.read_text()))
    server = body['server']
    server.update(id=server_id, name=name,
                  metadata=metadata if metadata is not None
                  else server['metadata'],
                  tags=tags if tags is not None else server['tags'])
    return body


class FakeNova:
    """The server; ``url`` is the compute endpoint (``.../v2.1``)."""

    def __init__(self, validate_token=None) -> None:
        self.servers: dict[str, dict[str, Any]] = {}
        self.delay = 0.0
        self.down = False
        self.requests: list[str] = []
        self.max_in_flight = 0
        self.errors: list[str] = []
        self._validate_token = validate_token
        self._lock = threading.Lock()
        self._in_flight = 0
        self._httpd = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        daemon=True)

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self._httpd.server_address[1]}/v2.1'

    def start(self) -> 'FakeNova':
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)

    def reset(self) -> None:
        """Forget the servers, the knobs and what was asked."""
        with self._lock:
            self.servers.clear()
            self.delay = 0.0
            self.down = False
            self.requests.clear()
            self.max_in_flight = 0
            self.errors.clear()

    def add(self, server_id: str, **fields: Any) -> None:
        self.servers[server_id] = server_body(server_id, **fields)

    def _answer(self, handler: http.server.BaseHTTPRequestHandler
                ) -> tuple[int, dict[str, Any]]:
        match = _SERVER_PATH.match(handler.path)
        if handler.command != 'GET' or match is None:
            return 404, {'itemNotFound': {'code': 404,
                                          'message': 'Not found'}}
        asked = handler.headers.get('X-OpenStack-Nova-API-Version')
        asked_new = handler.headers.get('OpenStack-API-Version')
        if asked != MICROVERSION or asked_new != f'compute {MICROVERSION}':
            self.errors.append(f'microversion headers {asked!r}, '
                               f'{asked_new!r}')
        token = handler.headers.get('X-Auth-Token')
        if self._validate_token is not None and not (
                token and self._validate_token(token)):
            return 401, {'error': {'code': 401,
                                   'message': 'Unauthorized'}}
        server_id = match.group(1)
        with self._lock:
            self.requests.append(server_id)
        if server_id not in self.servers:
            return 404, {'itemNotFound': {
                'code': 404,
                'message': f'Instance {server_id} could not be found.'}}
        return 200, self.servers[server_id]

    def _handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with fake._lock:
                    fake._in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight,
                                             fake._in_flight)
                try:
                    time.sleep(fake.delay)
                    if fake.down:
                        status, body = 503, {'message': 'no backend'}
                    else:
                        status, body = fake._answer(self)
                finally:
                    with fake._lock:
                        fake._in_flight -= 1
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.send_header('OpenStack-API-Version',
                                 f'compute {MICROVERSION}')
                self.send_header('X-OpenStack-Nova-API-Version',
                                 MICROVERSION)
                self.send_header('Vary', 'OpenStack-API-Version, '
                                         'X-OpenStack-Nova-API-Version')
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
