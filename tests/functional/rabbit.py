"""Real RabbitMQ for the functional tests and benchmarks.

Publishing goes through a real ``oslo_messaging.Notifier`` (driver
messagingv2) on the exchange and topic each source uses, so the bytes on
the wire are the ones Nova, Swift and Aodh send.
"""

import os
import socket

import kombu

from pratai_bridge import publish
from tests.functional.unavailable import unavailable

URL = os.environ.get('PRATAI_TRANSPORT_URL',
                     'rabbit://guest:guest@127.0.0.1:5672/')


def require_rabbitmq() -> None:
    """Fail (in CI) or skip (elsewhere) when RabbitMQ does not answer."""
    with socket.socket() as sock:
        sock.settimeout(2)
        if sock.connect_ex(('127.0.0.1', 5672)) == 0:
            return
    unavailable('RabbitMQ does not answer on 127.0.0.1:5672')


def make_publisher(url: str = URL) -> publish.Publisher:
    """The product's own publisher, on the test broker."""
    return publish.Publisher(url)


def publish_raw(exchange: str, routing_key: str, body: bytes,
                content_type: str = 'application/json') -> None:
    """Publish bytes as they are, bypassing oslo.messaging (bad input)."""
    with kombu.Connection(_kombu_url()) as conn:
        producer = conn.Producer()
        producer.publish(body, exchange=kombu.Exchange(exchange, 'topic',
                                                       durable=False),
                         routing_key=routing_key, content_type=content_type,
                         content_encoding='utf-8', declare=[])


def delete_queues(names) -> None:
    """Drop queues the tests made, so copies stop piling up in them."""
    _each_queue(names, 'queue_delete')


def purge_queues(names) -> None:
    """Empty the shared <topic>.<priority> queues the Notifier declares."""
    _each_queue(names, 'queue_purge')


def _each_queue(names, operation: str) -> None:
    with kombu.Connection(_kombu_url()) as conn:
        channel = conn.channel()
        for name in names:
            try:
                getattr(channel, operation)(name)
            except Exception:  # no such queue: nothing to do
                # the broker closed the channel with its error
                channel = conn.channel()


def _kombu_url() -> str:
    return URL.replace('rabbit://', 'amqp://', 1)
