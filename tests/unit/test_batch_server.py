"""The eager batch server: no timer between a message and its batch, a
bounded buffer, and a stop that requeues what it did not handle."""

import threading
import time

from pratai_bridge._batch_server import EagerBatchServer


class _Message:
    def __init__(self, n):
        self.n = n
        self.fate = None

    def acknowledge(self):
        self.fate = 'acked'

    def requeue(self):
        self.fate = 'requeued'


class _Listener:
    """A driver listener the test feeds by hand (from its own thread)."""

    def __init__(self):
        self.callback = None
        self.stopped = self.cleaned = False

    def start(self, callback):
        self.callback = callback

    def stop(self):
        self.stopped = True

    def cleanup(self):
        self.cleaned = True


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def _server(handle, batch_size=10, threads=1, prefetch=20):
    driver = _Listener()
    server = EagerBatchServer('test', lambda: driver, handle, batch_size,
                              threads, prefetch)
    server.start()
    return server, driver


def test_a_lone_message_is_handled_at_once_and_acked():
    batches = []
    server, driver = _server(lambda batch: batches.append(batch) or True)
    message = _Message(1)
    driver.callback([message])
    _wait_for(lambda: message.fate == 'acked')
    assert [[m.n for m in b] for b in batches] == [[1]]
    server.stop()
    assert driver.stopped and driver.cleaned


def test_what_arrives_during_a_commit_is_the_next_batch():
    release = threading.Event()
    batches = []

    def handle(batch):
        batches.append([m.n for m in batch])
        return release.wait(5)

    server, driver = _server(handle, batch_size=10)
    driver.callback([_Message(0)])
    _wait_for(lambda: batches)
    messages = [_Message(n) for n in range(1, 26)]
    for message in messages:
        driver.callback([message])
    release.set()
    _wait_for(lambda: all(m.fate == 'acked' for m in messages))
    server.stop()
    # Up to batch_size at a time, in order, whatever had piled up.
    assert batches == [[0], list(range(1, 11)), list(range(11, 21)),
                       list(range(21, 26))]


def test_a_partial_batch_waits_while_another_worker_is_busy():
    release = threading.Event()
    batches = []

    def handle(batch):
        batches.append([m.n for m in batch])
        return batches[0] != [m.n for m in batch] or release.wait(5)

    server, driver = _server(handle, batch_size=10, threads=2)
    driver.callback([_Message(0)])
    _wait_for(lambda: batches)
    for n in range(1, 4):
        driver.callback([_Message(n)])
    time.sleep(0.05)
    # The second worker is free, but three messages are no full batch.
    assert batches == [[0]] and server.buffered() == 3
    for n in range(4, 14):
        driver.callback([_Message(n)])
    # A full one is taken at once.
    _wait_for(lambda: len(batches) == 2)
    assert batches[1] == list(range(1, 11))
    release.set()
    _wait_for(lambda: len(batches) == 3)
    assert batches[2] == [11, 12, 13]
    server.stop()


def test_the_buffer_holds_no_more_than_prefetch():
    release = threading.Event()
    server, driver = _server(lambda batch: release.wait(5), batch_size=5,
                             prefetch=10)
    driver.callback([_Message(0)])
    feeding = threading.Thread(target=lambda: [
        driver.callback([_Message(n)]) for n in range(1, 30)])
    feeding.start()
    _wait_for(lambda: server.buffered() == 10)
    time.sleep(0.05)
    assert server.buffered() == 10 and feeding.is_alive()
    release.set()
    feeding.join(5)
    server.stop()


def test_stop_requeues_the_unhandled_and_what_the_handler_gave_up():
    entered = threading.Event()

    def handle(batch):
        entered.set()
        server.stopping.wait(5)
        return False  # as the intake does when stopped during an outage

    server, driver = _server(handle, batch_size=1)
    held, waiting = _Message(0), _Message(1)
    driver.callback([held])
    entered.wait(5)
    driver.callback([waiting])
    server.stop(timeout=5)
    late = _Message(2)
    driver.callback([late])
    assert (held.fate, waiting.fate, late.fate) == ('requeued',) * 3


def test_a_handler_that_raises_requeues_its_batch():
    def handle(batch):
        raise RuntimeError('bug')

    server, driver = _server(handle)
    message = _Message(0)
    driver.callback([message])
    _wait_for(lambda: message.fate == 'requeued')
    server.stop()
