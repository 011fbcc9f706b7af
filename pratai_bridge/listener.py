"""Consume notifications from oslo.messaging and hand them to the pipeline.

One batch listener per exchange, because oslo.messaging does not tell an
endpoint which exchange a message came from and the normalizers need it
(Nova, Swift and Aodh can send the same event-type shapes). A pooled
listener gets ONE queue, named after the pool, bound to every
``<topic>.<priority>`` of its targets; so each exchange's listener uses the
pool ``<pool>.<exchange>`` (queue ``pratai-bridge.nova``...), or listeners
of different exchanges would share a queue and mislabel each other's
messages. Pooling also means the bridge never takes the messages Ceilometer
consumes from the shared ``<topic>.<priority>`` queues.

Why a batch listener: SERVICES.md measured ~2,600/s for the threading
notification listener and ~6,300/s for the batch listener (batch_size 100)
on this machine. More important than the raw rate, a batch lets the journal
commit 100 events in one transaction; committing each notification before
its ack would cap intake at the disk's fsync rate.

Acknowledgement: oslo.messaging acks a batch after the endpoint returns and
requeues it when the endpoint returns REQUEUE or raises. The endpoint
returns only after the journal committed, so nothing is acked that is not
durable. When the journal cannot record at all (a poison message is dealt
with by the pipeline, see :mod:`pratai_bridge.pipeline`), the batch is
requeued, after a pause that doubles with each failure in a row (up to
:data:`MAX_PAUSE` s): RabbitMQ hands a requeued message straight back,
and without the pause a database outage would spin the listener.
"""

import logging
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import oslo_messaging
from oslo_config import cfg

from pratai_bridge import _backoff
from pratai_bridge.pipeline import Pipeline

LOG = logging.getLogger(__name__)

PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')
#: the longest pause before requeueing a batch the journal could not take
MAX_PAUSE = 30.0


def parse_targets(specs: Sequence[str]) -> dict[str, list[str]]:
    """``['nova:notifications', ...]`` -> ``{'nova': ['notifications']}``."""
    by_exchange: dict[str, list[str]] = {}
    for spec in specs:
        exchange, sep, topic = spec.strip().partition(':')
        if not sep or not exchange or not topic:
            raise ValueError(
                f'[listener] targets: {spec!r} is not "exchange:topic"')
        topics = by_exchange.setdefault(exchange, [])
        if topic not in topics:
            topics.append(topic)
    return by_exchange


def drain(listeners: Sequence[Any]) -> None:
    """Stop oslo.messaging listeners taking messages, then wait for the
    batches in flight (all stopped first, so they drain in parallel)."""
    for listener in listeners:
        listener.stop()
    for listener in listeners:
        listener.wait()


def queue_name(pool: str, exchange: str) -> str:
    """The pool (and so the RabbitMQ queue) one exchange's listener uses."""
    return f'{pool}.{exchange}'


class _Endpoint:
    """Batch endpoint for one exchange; one method per priority."""

    def __init__(self, exchange: str, pipeline: Pipeline,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._exchange = exchange
        self._pipeline = pipeline
        self._sleep = sleep
        # Batches that failed in a row; any success resets it. Threads
        # race on it harmlessly: it only sizes a pause.
        self._failures = 0
        for priority in PRIORITIES:
            setattr(self, priority, self._handler(priority))

    def _handler(self, priority: str):
        def handle(messages: list[Mapping[str, Any]]) -> str | None:
            return self._handle(priority, messages)
        return handle

    def _handle(self, priority: str,
                messages: list[Mapping[str, Any]]) -> str | None:
        try:
            result = self._pipeline.handle_messages(
                self._exchange, priority, messages)
        except Exception:
            self._failures += 1
            pause = _backoff.delay(self._failures, 0.5, MAX_PAUSE)
            ids = [(m.get('metadata') or {}).get('message_id')
                   for m in messages]
            LOG.exception('Journal failed for a batch of %d from exchange '
                          '%s (failure %d in a row); requeueing messages %s '
                          'in %.1f s', len(messages), self._exchange,
                          self._failures, ids, pause)
            self._sleep(pause)
            return oslo_messaging.NotificationResult.REQUEUE
        self._failures = 0
        LOG.debug('Batch from %s.%s: %s', self._exchange, priority, result)
        return oslo_messaging.NotificationResult.HANDLED


class NotificationListener:
    """The oslo.messaging listeners of one bridge process.

    Built in ``__init__``, connected in :meth:`start`, drained in
    :meth:`stop` (listeners stop taking messages, then in-flight batches
    finish and are acked, then the transport closes).
    """

    def __init__(self, conf: cfg.ConfigOpts, pipeline: Pipeline) -> None:
        self._conf = conf
        self._pipeline = pipeline
        self._targets = parse_targets(conf.listener.targets)
        self._transport: oslo_messaging.Transport | None = None
        self._listeners: list[Any] = []

    def start(self) -> None:
        self._transport = oslo_messaging.get_notification_transport(
            self._conf)
        for exchange, topics in self._targets.items():
            targets = [oslo_messaging.Target(exchange=exchange, topic=topic)
                       for topic in topics]
            listener = oslo_messaging.get_batch_notification_listener(
                self._transport, targets,
                [_Endpoint(exchange, self._pipeline)],
                executor='threading', allow_requeue=True,
                pool=queue_name(self._conf.listener.pool, exchange),
                batch_size=self._conf.listener.batch_size,
                batch_timeout=self._conf.listener.batch_timeout)
            listener.start()
            self._listeners.append(listener)
            LOG.info('Listening on exchange %s, topics %s, queue %s',
                     exchange, ', '.join(topics),
                     queue_name(self._conf.listener.pool, exchange))

    def stop(self) -> None:
        drain(self._listeners)
        self._listeners = []
        if self._transport is not None:
            self._transport.cleanup()
            self._transport = None
