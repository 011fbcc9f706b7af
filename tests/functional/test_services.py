"""The services tools/services.py starts answer, and Swift notifies.

Run after ``python3 tools/services.py start`` (tools/test.sh does it);
``eval "$(python3 tools/services.py env)"`` gives the Swift credentials,
and the defaults here are the same. A service that does not answer fails
the run in CI and skips elsewhere.
"""

import os
import socket
import threading
import uuid

import oslo_messaging
import pytest
from oslo_config import cfg

from tests.functional import rabbit
from tests.functional.unavailable import unavailable

AUTH_URL = os.environ.get('PRATAI_SWIFT_AUTH_URL',
                          'http://127.0.0.1:8080/auth/v1.0')
USER = os.environ.get('PRATAI_SWIFT_USER', 'test:tester')
KEY = os.environ.get('PRATAI_SWIFT_KEY', 'testing')


def _missing(what):
    unavailable(f'{what} does not answer: python3 tools/services.py start')


@pytest.fixture
def swift():
    from swiftclient import client

    conn = client.Connection(authurl=AUTH_URL, user=USER, key=KEY,
                             auth_version='1', retries=0, timeout=10)
    try:
        conn.get_auth()
    except Exception as exc:  # refused, 503 without memcached, bad auth
        _missing(f'Swift at {AUTH_URL} ({exc})')
    container = f'pratai-services-{uuid.uuid4().hex[:8]}'
    conn.put_container(container)
    yield conn, container
    for obj in conn.get_container(container)[1]:
        conn.delete_object(container, obj['name'])
    conn.delete_container(container)
    conn.close()


def test_memcached_answers():
    try:
        with socket.create_connection(('127.0.0.1', 11211), timeout=2) as s:
            s.sendall(b'version\r\n')
            reply = s.recv(100)
    except OSError:
        _missing('memcached on 127.0.0.1:11211')
    assert reply.startswith(b'VERSION ')


def test_docker_engine_answers():
    import docker

    try:
        client = docker.from_env(timeout=10)
        assert client.ping()
    except docker.errors.DockerException as exc:
        _missing(f'the Docker engine ({exc})')
    version = client.version()
    assert version['ApiVersion']
    client.close()


def test_swift_object_round_trip(swift):
    conn, container = swift
    body = os.urandom(4096)
    etag = conn.put_object(container, 'blob.bin', body,
                           content_type='application/octet-stream')
    headers, got = conn.get_object(container, 'blob.bin')
    assert got == body
    assert headers['etag'] == etag


class _Collector:
    """Listener endpoint keeping the Swift notifications it is given."""

    filter_rule = oslo_messaging.NotificationFilter(
        event_type=r'^objectstore\.http\.request$')

    def __init__(self):
        self.payloads = []
        self.arrived = threading.Condition()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        with self.arrived:
            self.payloads.append(payload)
            self.arrived.notify_all()

    def wait_for(self, predicate, timeout=15.0):
        with self.arrived:
            self.arrived.wait_for(
                lambda: any(predicate(p) for p in self.payloads), timeout)
        return [p for p in self.payloads if predicate(p)]


@pytest.fixture
def swift_notifications():
    rabbit.require_rabbitmq()
    conf = cfg.ConfigOpts()
    conf([])
    transport = oslo_messaging.get_notification_transport(conf,
                                                          url=rabbit.URL)
    pool = rabbit.new_pool()
    collector = _Collector()
    listener = oslo_messaging.get_notification_listener(
        transport,
        [oslo_messaging.Target(exchange='swift', topic='notifications')],
        [collector], executor='threading', pool=pool)
    try:
        listener.start()
        yield collector
        listener.stop()
        listener.wait()
    finally:
        transport.cleanup()
        # A pooled listener's queue is named after the pool itself.
        rabbit.delete_queues([pool])


def test_object_upload_is_notified_by_ceilometermiddleware(
        swift, swift_notifications):
    """The real Swift -> ceilometermiddleware -> RabbitMQ chain."""
    conn, container = swift
    name = f'zips/{uuid.uuid4().hex}.zip'
    conn.put_object(container, name, b'PK\x05\x06' + b'\0' * 18)

    def is_ours(payload):
        metadata = payload.get('target', {}).get('metadata', {})
        return (metadata.get('container') == container
                and metadata.get('object') == name)

    events = swift_notifications.wait_for(is_ours)
    assert events, 'no objectstore.http.request for the upload'
    event = events[0]
    assert event['action'] in ('create', 'update')
    assert event['target']['metadata']['path'].endswith(
        f'{container}/{name}')
    assert event['outcome'] == 'success'
