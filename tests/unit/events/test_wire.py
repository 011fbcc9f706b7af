"""The exact AMQP bodies of wire/, through the real oslo.messaging consumer.

Each body of the samples' wire/ (tests/fixtures) is published with kombu,
byte for byte, on the exchange and routing key routing.json gives, to
kombu's in-memory transport; a real oslo.messaging batch notification
listener (rabbit driver, ``kombu+memory:////``) consumes it, so the
envelope is unwrapped, the context unpacked and ``_unique_id`` dropped by
oslo.messaging itself. What the endpoint receives then goes through
decode.from_listener and the normalizers, and must give the same Event as
reading the file.
"""

import threading
import time
import uuid

import kombu
import oslo_messaging
import pytest
from oslo_config import cfg

from pratai_bridge.events import decode
from pratai_bridge.events.normalize import Normalizers
from tests.unit import samples

PRIORITIES = ('info', 'sample', 'error')
TIMEOUT = 20


class _Endpoint:
    """Collects batches, remembering the exchange it listens on."""

    def __init__(self, exchange, received, arrived):
        self._exchange = exchange
        self._received = received
        self._arrived = arrived
        for priority in PRIORITIES:
            setattr(self, priority, self._collector(priority))

    def _collector(self, priority):
        def collect(messages):
            for message in messages:
                self._received.append((self._exchange, priority, message))
            self._arrived.set()
            return oslo_messaging.NotificationResult.HANDLED
        return collect


def _listen(transport, routes, received, arrived):
    """One batch listener per exchange, each on its own pool (queue)."""
    by_exchange = {}
    for route in routes.values():
        topic = route['routing_key'].rsplit('.', 1)[0]
        by_exchange.setdefault(route['exchange'], set()).add(topic)
    run = uuid.uuid4().hex[:8]
    listeners = []
    for exchange, topics in by_exchange.items():
        targets = [oslo_messaging.Target(exchange=exchange, topic=topic)
                   for topic in sorted(topics)]
        listener = oslo_messaging.get_batch_notification_listener(
            transport, targets, [_Endpoint(exchange, received, arrived)],
            executor='threading', pool=f'pratai-test-{run}-{exchange}',
            batch_size=10, batch_timeout=0.1)
        listener.start()
        listeners.append(listener)
    return listeners


def _publish(routing):
    with kombu.Connection('memory://') as connection:
        producer = connection.Producer()
        for name, route in routing['files'].items():
            body = (samples.path('wire') / name).read_text(
                encoding=routing['content_encoding'])
            exchange = kombu.Exchange(route['exchange'],
                                      type=routing['exchange_type'],
                                      durable=False, auto_delete=False)
            # the body as the rabbit driver sends it: a JSON string, not
            # re-serialized by kombu
            producer.publish(body, exchange=exchange,
                             routing_key=route['routing_key'],
                             content_type=routing['content_type'],
                             content_encoding=routing['content_encoding'])


@pytest.fixture(scope='module')
def delivered():
    """(routing.json, [(exchange, priority, message), ...]) as consumed."""
    routing = samples.load_json('wire/routing.json')
    conf = cfg.ConfigOpts()
    conf([])
    transport = oslo_messaging.get_notification_transport(
        conf, url='kombu+memory:////')
    received, arrived = [], threading.Event()
    listeners = _listen(transport, routing['files'], received, arrived)
    try:
        _publish(routing)
        deadline = time.monotonic() + TIMEOUT
        while (len(received) < len(routing['files'])
               and time.monotonic() < deadline):
            arrived.wait(0.05)
            arrived.clear()
    finally:
        for listener in listeners:
            listener.stop()
        for listener in listeners:
            listener.wait()
        transport.cleanup()
    return routing, received


def _file_for(message, routing):
    for name in routing['files']:
        body = samples.load_json(f'wire/{name}')
        if decode.from_document(body).message_id == \
                message['metadata']['message_id']:
            return name
    raise AssertionError(f'no wire file for {message["metadata"]}')


def test_every_body_is_consumed_once(delivered):
    routing, received = delivered
    assert len(received) == len(routing['files'])
    names = sorted(_file_for(message, routing)
                   for _, _, message in received)
    assert names == sorted(routing['files'])


def test_consumed_from_the_routed_exchange(delivered):
    routing, received = delivered
    for exchange, priority, message in received:
        route = routing['files'][_file_for(message, routing)]
        assert exchange == route['exchange']
        assert priority == route['routing_key'].rsplit('.', 1)[1]
        assert set(message) == {'ctxt', 'publisher_id', 'event_type',
                                'payload', 'metadata'}
        assert '_unique_id' not in message['ctxt']


def test_listener_events_equal_file_events(delivered):
    routing, received = delivered
    normalizers = Normalizers()
    for exchange, priority, message in received:
        name = _file_for(message, routing)
        live = decode.from_listener(exchange, priority, message)
        from_file = decode.load_file(samples.path(f'wire/{name}'))
        for field in ('exchange', 'priority', 'publisher_id', 'event_type',
                      'payload', 'metadata'):
            assert getattr(live, field) == getattr(from_file, field), field
        # oslo.messaging adds its own keys (client_timeout) to the context
        assert dict(from_file.ctxt).items() <= dict(live.ctxt).items()
        assert normalizers.normalize(live) == \
            normalizers.normalize(from_file)


def test_nova_context_arrives_redacted(delivered):
    routing, received = delivered
    nova = [message for exchange, _, message in received
            if exchange == 'nova']
    assert len(nova) == 1
    ctxt = nova[0]['ctxt']
    assert ctxt['auth_token'] is None
    assert ctxt['project_id'] == '6f70656e737461636b20342065766572'
    event = Normalizers().normalize(
        decode.from_listener('nova', 'info', nova[0]))
    assert event.source == 'nova'
    assert event.resource_id == '178b0921-8f85-4257-88b6-2e743b5a975c'
    assert event.details['state'] == 'stopped'
    assert event.timestamp == '2026-11-28T03:02:20.653504Z'
