"""Real RabbitMQ for the functional tests and benchmarks.

Publishing goes through a real ``oslo_messaging.Notifier`` (driver
messagingv2) on the exchange and topic each source uses, so the bytes on
the wire are the ones Nova, Swift and Aodh send.
"""

import os
import shutil
import socket
import subprocess
import uuid

import kombu

from pratai_bridge import publish
from tests.functional.unavailable import unavailable

URL = os.environ.get('PRATAI_TRANSPORT_URL',
                     'rabbit://guest:guest@127.0.0.1:5672/')

#: Every pool (so every queue) this test session makes starts with this:
#: the check at the end of the session finds what a test left behind,
#: and never mistakes another session's queues (runs share the broker).
SESSION_PREFIX = f'pratai-test-{uuid.uuid4().hex[:6]}'


def new_pool() -> str:
    """A pool name no other test or session uses."""
    return f'{SESSION_PREFIX}-{uuid.uuid4().hex[:8]}'


def leftover_queues() -> list[str] | None:
    """This session's queues still on the broker; None when the broker
    cannot be asked (no rabbitmqctl, or it failed)."""
    if shutil.which('rabbitmqctl') is None:
        return None
    result = subprocess.run(
        ['rabbitmqctl', 'list_queues', '--quiet', '--no-table-headers',
         'name'], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return None
    return sorted(name for name in result.stdout.split()
                  if name.startswith(SESSION_PREFIX))


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
    """Drop queues the tests made, so copies stop piling up in them.

    A pooled listener's queue is named after its pool (the bridge's pools
    are ``<pool>.<exchange>``).
    """
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
