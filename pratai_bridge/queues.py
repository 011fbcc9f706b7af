"""The bridge's own RabbitMQ queues: which they are, how full, removal.

A pooled listener's queue outlives the bridge: RabbitMQ keeps copying
every notification into it whether anyone consumes or not. The bridge's
queues are ``<pool>.<exchange>``, one per exchange of ``[listener]
targets``, so they can be found from the configuration alone and looked at
with passive declares, which never create a queue. (The names are the
listener's, :func:`pratai_bridge.listener.queue_name`, worked out here
again because importing the listener imports the pipeline and the journal,
half a second of every admin call; a unit test holds the two to the same
answer.)

The broker is the one of the notification transport, ``[oslo_messaging_
notifications] transport_url`` or ``[DEFAULT] transport_url``, reached with
kombu (the library oslo.messaging's rabbit driver uses) and the same TLS
settings (``[oslo_messaging_rabbit] ssl``...). Only ``rabbit://`` transports
have queues to speak of.
"""

import dataclasses
from typing import Any

import kombu
import oslo_messaging
from kombu import exceptions as kombu_exc
from oslo_config import cfg

__all__ = ['BrokerError', 'Queue', 'Queues', 'bridge_queues']

#: seconds to wait for the broker before saying it does not answer
CONNECT_TIMEOUT = 5


class BrokerError(Exception):
    """The broker cannot be reached, or refused an operation."""


@dataclasses.dataclass(frozen=True)
class Queue:
    """One queue as the broker reports it; None counts: it does not exist."""

    name: str
    exchange: str
    messages: int | None
    consumers: int | None

    @property
    def exists(self) -> bool:
        return self.messages is not None


def bridge_queues(conf: cfg.ConfigOpts, pool: str | None = None
                  ) -> list[tuple[str, str]]:
    """(queue, exchange) of each queue the bridge consumes from.

    ``pool`` names another pool than ``[listener] pool`` (the queues of a
    bridge that is gone, say). Raises ValueError for bad targets.
    """
    pool = pool or conf.listener.pool
    exchanges: list[str] = []
    for spec in conf.listener.targets:
        exchange, sep, topic = spec.strip().partition(':')
        if not (exchange and sep and topic):
            raise ValueError(
                f'[listener] targets: {spec!r} is not "exchange:topic"')
        if exchange not in exchanges:
            exchanges.append(exchange)
    return [(f'{pool}.{exchange}', exchange) for exchange in exchanges]


def broker_url(conf: cfg.ConfigOpts) -> str:
    """kombu's URL (``;`` between hosts) for the notification transport."""
    # Registers oslo.messaging's options on conf, as the listener does.
    try:
        oslo_messaging.get_notification_transport(conf).cleanup()
    except (oslo_messaging.DriverLoadFailure,
            oslo_messaging.InvalidTransportURL, ImportError) as exc:
        # (a driver whose library is missing fails as it is imported)
        raise BrokerError(f'cannot use the notification transport: '
                          f'{exc}') from exc
    url = oslo_messaging.TransportURL.parse(
        conf, conf.oslo_messaging_notifications.transport_url
        or conf.transport_url)
    if url.transport not in ('rabbit', 'amqp') or not url.hosts:
        raise BrokerError(f'the transport {url.transport}:// has no queues '
                          'the bridge can show; only rabbit:// has')
    vhost = url.virtual_host or ''
    return ';'.join(
        f'amqp://{host.username or ""}:{host.password or ""}@'
        f'{host.hostname}:{host.port or 5672}/{vhost}'
        for host in url.hosts)


def _ssl(conf: cfg.ConfigOpts) -> Any:
    rabbit = conf.oslo_messaging_rabbit
    if not rabbit.ssl:
        return False
    options = {'ca_certs': rabbit.ssl_ca_file,
               'certfile': rabbit.ssl_cert_file,
               'keyfile': rabbit.ssl_key_file}
    return {key: value for key, value in options.items() if value} or True


class Queues:
    """A connection to the broker for looking at and removing queues."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._connection = kombu.Connection(
            broker_url(conf), ssl=_ssl(conf),
            connect_timeout=CONNECT_TIMEOUT)
        self._channel: Any = None

    def __enter__(self) -> 'Queues':
        try:
            self._connection.ensure_connection(max_retries=1)
        except (kombu_exc.OperationalError,
                *self._connection.connection_errors) as exc:
            self._connection.release()
            raise BrokerError(f'the broker does not answer: {exc}') from exc
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._connection.release()

    def _call(self, method: str, name: str, **kwargs: Any) -> Any:
        """A queue method on a channel; None when there is no such queue."""
        if self._channel is None:
            self._channel = self._connection.channel()
        try:
            return getattr(self._channel, method)(name, **kwargs)
        except self._connection.channel_errors as exc:
            # The broker closes the channel with its answer.
            self._channel = None
            if getattr(exc, 'code', None) == 404:
                return None
            raise BrokerError(f'{name}: {exc}') from exc

    def show(self, name: str, exchange: str = '') -> Queue:
        declared = self._call('queue_declare', name, passive=True)
        if declared is None:
            return Queue(name, exchange, None, None)
        return Queue(name, exchange, declared.message_count,
                     declared.consumer_count)

    def purge(self, name: str) -> int | None:
        """Drop a queue's messages; how many (None: no such queue)."""
        if self.show(name).messages is None:
            return None
        return self._call('queue_purge', name) or 0

    def delete(self, name: str, force: bool = False) -> int | None:
        """Delete a queue; how many messages it held (None: none such).

        Refuses (BrokerError) a queue something consumes from, a running
        bridge, unless ``force``: its consumer would be cut off.
        """
        queue = self.show(name) if force else self.check_unused(name)
        if queue.messages is None:
            return None
        self._call('queue_delete', name, if_unused=not force)
        return queue.messages

    def check_unused(self, name: str) -> Queue:
        """The queue; raises BrokerError when something consumes from it."""
        queue = self.show(name)
        if queue.consumers:
            raise BrokerError(
                f'{name} has {queue.consumers} consumer(s), a bridge '
                'running on this pool: stop it first, or give --force')
        return queue
