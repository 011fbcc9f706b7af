"""Real RabbitMQ for the functional tests and benchmarks.

Publishing goes through a real ``oslo_messaging.Notifier`` (driver
messagingv2) on the exchange and topic each source uses, so the bytes on
the wire are the ones Nova, Swift and Aodh send.
"""

import os
import socket

import kombu
import oslo_messaging
import pytest
from oslo_config import cfg

URL = os.environ.get('PRATAI_TRANSPORT_URL',
                     'rabbit://guest:guest@127.0.0.1:5672/')


def require_rabbitmq() -> None:
    """Fail (in CI) or skip (elsewhere) when RabbitMQ does not answer."""
    with socket.socket() as sock:
        sock.settimeout(2)
        if sock.connect_ex(('127.0.0.1', 5672)) == 0:
            return
    message = 'RabbitMQ does not answer on 127.0.0.1:5672'
    if os.environ.get('CI'):
        pytest.fail(message + ' (CI: a missing service fails the run)')
    pytest.skip(message)


class Publisher:
    """One Notifier per (exchange, topic), as the sources configure them."""

    def __init__(self, url: str = URL) -> None:
        self._url = url
        self._notifiers: dict[tuple[str, str, str], oslo_messaging.Notifier] = {}
        self._transports: list[oslo_messaging.Transport] = []

    def notifier(self, exchange: str, topic: str,
                 publisher_id: str) -> oslo_messaging.Notifier:
        key = (exchange, topic, publisher_id)
        if key not in self._notifiers:
            # control_exchange is per ConfigOpts, so each exchange gets its
            # own, exactly as each service has its own configuration.
            conf = cfg.ConfigOpts()
            conf([], default_config_files=[])
            # The driver takes control_exchange when the transport is
            # made; the first transport only registers the option.
            oslo_messaging.get_notification_transport(
                conf, url=self._url).cleanup()
            conf.set_override('control_exchange', exchange)
            transport = oslo_messaging.get_notification_transport(
                conf, url=self._url)
            self._transports.append(transport)
            self._notifiers[key] = oslo_messaging.Notifier(
                transport, publisher_id, driver='messagingv2',
                topics=[topic])
        return self._notifiers[key]

    def publish(self, exchange: str, topic: str, priority: str,
                publisher_id: str, event_type: str, payload,
                ctxt=None) -> None:
        notifier = self.notifier(exchange, topic, publisher_id)
        getattr(notifier, priority.lower())(ctxt or {}, event_type, payload)

    def close(self) -> None:
        for transport in self._transports:
            transport.cleanup()
        self._transports.clear()
        self._notifiers.clear()


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
    with kombu.Connection(_kombu_url()) as conn:
        channel = conn.channel()
        for name in names:
            try:
                channel.queue_delete(name)
            except Exception:  # already gone: nothing to clean
                channel = conn.channel()


def purge_queues(names) -> None:
    """Empty the shared <topic>.<priority> queues the Notifier declares."""
    with kombu.Connection(_kombu_url()) as conn:
        channel = conn.channel()
        for name in names:
            try:
                channel.queue_purge(name)
            except Exception:  # never declared: nothing to purge
                channel = conn.channel()


def _kombu_url() -> str:
    return URL.replace('rabbit://', 'amqp://', 1)
