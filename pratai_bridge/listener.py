"""Consume notifications from oslo.messaging and hand them to the pipeline.

One listener per exchange, because oslo.messaging does not tell an
endpoint which exchange a message came from and the normalizers need it
(Nova, Swift and Aodh can send the same event-type shapes). A pooled
listener gets ONE queue, named after the pool, bound to every
``<topic>.<priority>`` of its targets; so each exchange's listener uses the
pool ``<pool>.<exchange>`` (queue ``pratai-bridge.nova``...), or listeners
of different exchanges would share a queue and mislabel each other's
messages. Pooling also means the bridge never takes the messages Ceilometer
consumes from the shared ``<topic>.<priority>`` queues.

Batches: oslo.messaging's driver (connection, reconnection, decoding) is
kept; its batch dispatch is replaced by
:class:`~pratai_bridge._batch_server.EagerBatchServer`, which hands each of
``[listener] threads`` workers everything that has arrived, up to
``batch_size``, as soon as it is free: a lone notification is journaled at
once, a busy bus still commits 100 events per transaction (committing each
notification before its ack would cap intake at the disk's fsync rate).

Memory and backpressure: RabbitMQ's prefetch is set to
``batch_size * (threads + 1)`` (a batch per worker and one arriving), and
the server's buffer holds no more, so at most that many notifications per
exchange are in the bridge whatever the backlog. While the journal cannot
record (it is away), the worker keeps its batch and retries after a pause
that doubles up to :data:`MAX_PAUSE` s: nothing is acked, the prefetch
fills, RabbitMQ keeps the backlog, and intake resumes by itself when the
journal is back. While more executions are pending than
``[listener] max_pending_executions``, workers take no new batch.

Acknowledgement: a batch is acked only after the journal committed it, so
nothing is acked that is not durable. A poison message is dealt with by
the pipeline (:mod:`pratai_bridge.pipeline`), never by requeueing. On
stop, a batch being retried is requeued, as is everything not yet handled.
"""

import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import oslo_messaging
from oslo_config import cfg

from pratai_bridge import _backoff
from pratai_bridge._batch_server import EagerBatchServer
from pratai_bridge.pipeline import Pipeline

LOG = logging.getLogger(__name__)

PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')
#: the longest pause before retrying a batch the journal could not take
MAX_PAUSE = 5.0


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


def _as_endpoint_message(incoming: Any) -> tuple[str, Any]:
    """(priority, message) as oslo's notification dispatcher makes them
    for an endpoint (``{ctxt, publisher_id, event_type, payload,
    metadata}``); a body that is not an object is passed on as it is, for
    the pipeline to park."""
    message = incoming.message
    if not isinstance(message, Mapping):
        return '', message
    priority = message.get('priority')
    return (priority.lower() if isinstance(priority, str) else '', {
        'ctxt': incoming.ctxt,
        'publisher_id': message.get('publisher_id'),
        'event_type': message.get('event_type'),
        'payload': message.get('payload'),
        'metadata': {'message_id': message.get('message_id'),
                     'timestamp': message.get('timestamp')}})


class PendingGate:
    """Holds intake while too many executions are pending.

    ``count()`` is asked at most every ``interval`` s (a count is a query);
    ``bound`` 0 never holds.
    """

    def __init__(self, count: Callable[[], int], bound: int,
                 interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._count = count
        self._bound = bound
        self._interval = interval
        self._clock = clock
        # (when last asked, the count then); threads race harmlessly.
        self._last = (-interval, 0)

    def over(self) -> bool:
        if not self._bound:
            return False
        asked, count = self._last
        now = self._clock()
        if now - asked >= self._interval:
            try:
                count = self._count()
            except Exception:
                # The journal is away: the batch's own commit will say so.
                LOG.debug('Counting pending executions failed',
                          exc_info=True)
                count = 0
            self._last = (now, count)
        return count > self._bound

    def wait(self, stopping: threading.Event) -> None:
        """Return once under the bound, or when stopping."""
        if not self.over():
            return
        LOG.warning('More than %d executions are pending: intake paused '
                    'until the dispatcher catches up', self._bound)
        while self.over() and not stopping.wait(self._interval):
            pass
        if not stopping.is_set():
            LOG.info('Pending executions back under %d: intake resumed',
                     self._bound)


class _Intake:
    """The batch handler of one exchange: gate, pipeline, retry."""

    def __init__(self, exchange: str, pipeline: Pipeline,
                 stopping: threading.Event,
                 gate: PendingGate | None = None,
                 wait: Callable[[float], bool] | None = None) -> None:
        """``stopping`` is set as the server stops: retries give up."""
        self._exchange = exchange
        self._pipeline = pipeline
        self._gate = gate
        self.stopping = stopping
        # Waits a pause; True when stopping interrupted it.
        self._wait = wait or stopping.wait

    def __call__(self, batch: Sequence[Any]) -> bool:
        """Handle one batch; True to ack it, False to requeue it."""
        if self._gate is not None:
            self._gate.wait(self.stopping)
        failures = 0
        while not self.stopping.is_set():
            try:
                result = self._pipeline.handle_listened(
                    self._exchange, map(_as_endpoint_message, batch),
                    PRIORITIES)
            except Exception:
                failures += 1
                pause = _backoff.delay(failures, 0.5, MAX_PAUSE)
                LOG.exception(
                    'Journal failed for a batch of %d from exchange %s '
                    '(failure %d in a row); holding messages %s and '
                    'retrying in %.1f s', len(batch), self._exchange,
                    failures, _ids(batch), pause)
                if self._wait(pause):
                    break
                continue
            if failures:
                LOG.info('Journal back: a batch of %d from exchange %s '
                         'recorded after %d failures', len(batch),
                         self._exchange, failures)
            LOG.debug('Batch from %s: %s', self._exchange, result)
            return True
        LOG.warning('Stopping: requeueing a batch of %d from exchange %s '
                    'the journal did not take', len(batch), self._exchange)
        return False


def _ids(batch: Sequence[Any]) -> list[Any]:
    return [(m.message or {}).get('message_id')
            if isinstance(m.message, Mapping) else None for m in batch]


class NotificationListener:
    """The notification listeners of one bridge process.

    Built in ``__init__``, connected in :meth:`start`, drained in
    :meth:`stop` (workers finish their batches, which are acked, the rest
    is requeued, then the connections close).
    """

    def __init__(self, conf: cfg.ConfigOpts, pipeline: Pipeline,
                 pending: Callable[[], int] | None = None) -> None:
        """``pending()`` counts the pending executions, for
        ``[listener] max_pending_executions``."""
        self._conf = conf
        self._pipeline = pipeline
        self._targets = parse_targets(conf.listener.targets)
        self._gate = (PendingGate(pending,
                                  conf.listener.max_pending_executions)
                      if pending is not None else None)
        self._transport: oslo_messaging.Transport | None = None
        self._servers: list[EagerBatchServer] = []

    @property
    def prefetch(self) -> int:
        """Messages one exchange's listener may hold unacked."""
        return prefetch(self._conf)

    def start(self) -> None:
        self._transport = oslo_messaging.get_notification_transport(
            self._conf)
        _set_prefetch(self._conf, self.prefetch)
        for exchange, topics in self._targets.items():
            server = self._server(exchange, topics)
            server.start()
            self._servers.append(server)
            LOG.info('Listening on exchange %s, topics %s, queue %s '
                     '(prefetch %d)', exchange, ', '.join(topics),
                     queue_name(self._conf.listener.pool, exchange),
                     self.prefetch)

    def _server(self, exchange: str, topics: Sequence[str]
                ) -> EagerBatchServer:
        transport = self._transport
        assert transport is not None
        pairs = [(oslo_messaging.Target(exchange=exchange, topic=topic),
                  priority) for topic in topics for priority in PRIORITIES]
        pool = queue_name(self._conf.listener.pool, exchange)
        poll_timeout = self._conf.listener.batch_timeout

        def make_listener() -> Any:
            # The one private call: the driver's listener without oslo's
            # server around it (see the module doc). Batch size 1: the
            # poll thread hands over each message as it arrives.
            return transport._listen_for_notifications(
                pairs, pool, 1, poll_timeout)

        stopping = threading.Event()
        return EagerBatchServer(
            exchange, make_listener,
            _Intake(exchange, self._pipeline, stopping, self._gate),
            self._conf.listener.batch_size, self._conf.listener.threads,
            self.prefetch, stopping)

    def stop(self, timeout: float | None = None) -> None:
        for server in self._servers:
            server.stopping.set()
        for server in self._servers:
            server.stop(timeout)
        self._servers = []
        if self._transport is not None:
            self._transport.cleanup()
            self._transport = None


def prefetch(conf: cfg.ConfigOpts) -> int:
    """``batch_size * (threads + 1)``: a batch per worker, one arriving."""
    return conf.listener.batch_size * (conf.listener.threads + 1)


def _set_prefetch(conf: cfg.ConfigOpts, count: int) -> None:
    """Default the rabbit driver's prefetch to ``count``; an operator's
    ``[oslo_messaging_rabbit] rabbit_qos_prefetch_count`` wins."""
    try:
        conf.set_default('rabbit_qos_prefetch_count', count,
                         group='oslo_messaging_rabbit')
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        pass  # Another driver (fake://): the server's buffer bounds it.
