"""An eager batch server over one oslo.messaging notification listener.

oslo.messaging's batch listener waits up to ``batch_timeout`` for a batch
to fill (a fixed wait on a lone notification's path), hands every batch to
an executor whose queue has no bound, and requeues a failed batch at once.
This server keeps oslo's driver (connection, reconnection, decoding, acks)
and replaces the rest:

* One poll thread takes messages one at a time, as soon as each arrives,
  into a buffer. A worker takes *everything buffered*, up to
  ``batch_size``, the moment no other worker is busy, or a full batch as
  soon as there is one (so ``threads`` workers overlap only on full
  batches, a backlog). A lone notification is handled at once; on a busy
  bus messages pile up while a batch is handled and the next batch is
  large: batching comes from load (group commit), never from a timer.
* Memory is bounded twice: RabbitMQ's prefetch (``prefetch``, set by the
  caller on the driver) stops deliveries once that many messages are
  unacked, and the buffer itself holds at most ``prefetch`` messages (the
  poll thread waits for room, which also bounds drivers without prefetch).
  A handler that cannot finish (the journal is away) keeps its batch, so
  the backlog stays in RabbitMQ, not here.
* Acks and requeues are queued by the driver and sent by the poll thread
  (kombu is not thread-safe); ``poll_timeout`` bounds how long an idle poll
  thread waits before sending them, and is on no message's path.

``handle(batch)`` decides each batch's fate by its return: True acks it,
False requeues it. It runs in a worker thread, may block, and must return
promptly once :attr:`stopping` is set.

Stopping: the workers finish the batches they hold and take no more;
messages still buffered are requeued; the poll thread then sends every
ack and requeue and the connection closes.
"""

import collections
import logging
import threading
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

LOG = logging.getLogger(__name__)

Handler = Callable[[Sequence[Any]], bool]


class EagerBatchServer:
    """Poll one driver listener; hand eager batches to worker threads."""

    def __init__(self, name: str, make_listener: Callable[[], Any],
                 handle: Handler, batch_size: int, threads: int,
                 prefetch: int,
                 stopping: threading.Event | None = None) -> None:
        """``make_listener()`` returns an oslo driver listener (the
        ``Listener`` of ``oslo_messaging._drivers.base``, not started);
        ``stopping`` is the event :attr:`stopping` (shared with the
        handler)."""
        self.name = name
        self._make_listener = make_listener
        self._handle = handle
        self._batch_size = batch_size
        self._threads = threads
        self._capacity = max(prefetch, batch_size)
        # Messages received and not yet taken by a worker, oldest first.
        self._buffer: collections.deque[Any] = collections.deque()
        # Workers handling a batch now (under _cond).
        self._busy = 0
        # Guards _buffer; workers wait on it for messages, the poll thread
        # for room.
        self._cond = threading.Condition()
        #: set when stop() begins: handlers give up and return False
        self.stopping = stopping or threading.Event()
        self._listener: Any = None
        self._workers: list[threading.Thread] = []

    def start(self) -> None:
        self._listener = self._make_listener()
        for n in range(self._threads):
            worker = threading.Thread(target=self._work, daemon=True,
                                      name=f'intake-{self.name}-{n}')
            worker.start()
            self._workers.append(worker)
        self._listener.start(self._on_incoming)

    def buffered(self) -> int:
        """Messages received and not yet in a batch."""
        return len(self._buffer)

    def _on_incoming(self, incoming: Sequence[Any]) -> None:
        """Called by the driver's poll thread with what it received."""
        if self.stopping.is_set():
            _requeue(incoming)
            return
        with self._cond:
            while (len(self._buffer) >= self._capacity
                   and not self.stopping.is_set()):
                # Only without a broker-side prefetch: wait for a worker.
                self._cond.wait(0.5)
            if self.stopping.is_set():
                _requeue(incoming)
                return
            self._buffer.extend(incoming)
            self._cond.notify_all()

    def _ready(self) -> bool:
        # A partial batch waits while another worker is busy: what
        # arrives meanwhile joins it (one commit instead of several).
        return bool(self._buffer) and (
            self._busy == 0 or len(self._buffer) >= self._batch_size)

    def _take(self) -> list[Any] | None:
        """Everything buffered, up to batch_size; None once stopping."""
        with self._cond:
            while not self._ready():
                if self.stopping.is_set():
                    return None
                self._cond.wait(0.5)
            if self.stopping.is_set():
                return None
            count = min(self._batch_size, len(self._buffer))
            batch = [self._buffer.popleft() for _ in range(count)]
            self._busy += 1
            self._cond.notify_all()
            return batch

    def _done(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    def _work(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            try:
                done = self._handle(batch)
            except Exception:
                # handle() has its own policy; this is a bug in it.
                LOG.exception('Intake %s: a batch of %d failed; requeueing '
                              'it', self.name, len(batch))
                done = False
            for message in batch:
                try:
                    if done:
                        message.acknowledge()
                    else:
                        message.requeue()
                except Exception:
                    LOG.exception('Intake %s: acknowledging or requeueing '
                                  'a message failed (it will be '
                                  'redelivered)', self.name)
            self._done()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the batches in flight (within ``timeout`` each worker),
        requeue the rest, send the acks and close the connection."""
        self.stopping.set()
        with self._cond:
            self._cond.notify_all()
        for worker in self._workers:
            worker.join(timeout)
            if worker.is_alive():
                LOG.warning('Intake %s: a batch was still being handled at '
                            'stop; its messages will be redelivered',
                            self.name)
        self._workers = []
        with self._cond:
            left = list(self._buffer)
            self._buffer.clear()
        _requeue(left)
        if self._listener is not None:
            # Joins the poll thread, which sends the acks and requeues
            # queued so far, then closes the connection.
            self._listener.stop()
            self._listener.cleanup()
            self._listener = None


def _requeue(messages: Sequence[Any]) -> None:
    for message in messages:
        try:
            message.requeue()
        except Exception:
            LOG.exception('Requeueing a message failed (it will be '
                          'redelivered)')
