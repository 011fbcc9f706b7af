"""One started function container, and the bridge's side of the runtime's
serve protocol (runtimes/python/pratai_runtime.py ``--serve``).

The container's stdin, stdout and stderr are one attach connection, kept
open for the container's life. An invocation writes one JSON request line
on stdin, ``{"payload", "timeout", "end"}``, and gets back one JSON answer
line on stdout (the runtime's result line plus ``reusable``); its logs
are what stderr carries until ``end``, a marker made for that invocation
alone, which the runtime writes once the function's output is flushed.
What stderr carries after a marker (a thread the function left running)
goes to the next invocation's logs.

One thread per session reads the connection and hands each chunk to the
invocation in progress; the thread invoking waits for both the answer
and the marker, for the container's end, or for the timeout, whichever
comes first. A session serves one invocation at a time (the pool hands a
session to one run only).
"""

import json
import logging
import select
import threading
import time
import uuid
from typing import Any

from docker import errors as docker_errors
from docker.utils import socket as docker_socket

from pratai_bridge.runners import _result
from pratai_bridge.runners.docker import _attach

__all__ = ['Reply', 'Session']

LOG = logging.getLogger(__name__)

#: seconds an answered invocation waits for the end of its logs; past it
#: the streams are out of step, and the container is not used again
LOGS_GRACE = 2.0
# Bytes written at once: less than a writable socket has room for.
_CHUNK = 16384


class Reply:
    """What one invocation came to, as the session saw it.

    ``line`` is the decoded answer (None without one), ``stdout`` what
    stdout carried, ``logs`` the tail of its logs; ``ended``: the
    container's streams ended before it answered; ``timed_out``: neither
    happened before its timeout; ``reusable``: the runtime may serve
    another invocation (it said so and the streams are in step).
    """

    def __init__(self, tail_bytes: int, result_bytes: int) -> None:
        self.stdout = _result.Capped(result_bytes)
        self.logs = _result.Tail(tail_bytes)
        self.line: dict[str, Any] | None = None
        self.answered = False
        self.logs_ended = False
        self.ended = False
        self.timed_out = False
        self.reusable = False
        self.started_at = 0.0
        self.finished_at = 0.0


class Session:
    """A started container of a function and its attach connection.

    ``key`` says which runs it may serve (see the pool), ``expires``
    (monotonic seconds) when the container is too old to be handed
    another invocation; ``uses`` counts the invocations it served.
    """

    def __init__(self, api: Any, container: str, sock: Any, key: Any,
                 expires: float) -> None:
        self.api = api
        self.container = container
        self.key = key
        self.expires = expires
        self.uses = 0
        self._sock = sock
        self._raw = getattr(sock, '_sock', sock)
        # Blocking reads: the session idles between invocations for as
        # long as the pool keeps it, well past any socket timeout.
        self._raw.settimeout(None)
        self._duplex = _attach.Duplex(self._raw)
        self._changed = threading.Condition()
        # Guarded by _changed: the invocation in progress, where its end
        # marker search stands, what stderr carried between invocations,
        # whether the streams ended or carried something out of turn.
        self._reply: Reply | None = None
        self._marker = b''
        self._carry = b''
        self._between = bytearray()
        self._ended = False
        self._stray = False
        self._reader = threading.Thread(
            target=self._read, daemon=True,
            name=f'pratai-session-{container[:12]}')

    @property
    def ended(self) -> bool:
        """Whether the container's streams ended (it exited, or was killed)."""
        with self._changed:
            return self._ended

    def begin(self) -> None:
        """Start reading the container's output (it was just started)."""
        self._reader.start()

    def invoke(self, payload: bytes, timeout: float, self_kill_after: float,
               tail_bytes: int, result_bytes: int) -> Reply:
        """Run one invocation: wait up to ``timeout`` s for its answer.

        ``payload`` is JSON (one line); the answer is read up to
        ``result_bytes``, the logs' last ``tail_bytes`` kept. The runtime
        ends itself ``self_kill_after`` seconds after reading the request
        (for a bridge that is gone). Never raises for what the container
        does; the caller kills a timed-out one.
        """
        reply = Reply(tail_bytes, result_bytes)
        marker = f'\x1e{uuid.uuid4().hex}\x1e'
        rest = json.dumps({'timeout': self_kill_after, 'end': marker})
        # The payload is spliced in as it was encoded (and measured).
        request = (b'{"payload":' + payload + b',' + rest[1:].encode()
                   + b'\n')
        with self._changed:
            self._reply, self._carry = reply, b''
            self._marker = marker.encode()
            reply.logs.feed(bytes(self._between))
            self._between.clear()
        self.uses += 1
        reply.started_at = time.time()
        deadline = time.monotonic() + timeout
        if self._send(request, deadline):
            self._wait(reply, deadline)
        else:
            reply.timed_out = True
        reply.finished_at = time.time()
        with self._changed:
            self._reply = None
            if not reply.logs_ended:  # what could have begun a marker
                reply.logs.feed(self._carry)
            reply.reusable = bool(
                reply.answered and reply.logs_ended and not self._ended
                and not self._stray and reply.line is not None
                and reply.line.get('reusable') is True)
        return reply

    def _send(self, data: bytes, deadline: float) -> bool:
        """Write ``data`` to the container's stdin by ``deadline``; False
        if it is not all written by then.

        Never blocked past the deadline by a container that does not
        read: each write waits (select) for room first, and writes no more
        than there is room for.
        """
        view = memoryview(data)
        try:
            while view:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([], [self._raw], [],
                                                  left)[1]:
                    return False
                # A blocking send of more than there is room for would
                # wait for the reader: at most what a writable socket
                # surely has room for.
                view = view[self._duplex.send(view[:_CHUNK]):]
        except OSError as exc:  # it ended already: the wait will tell
            LOG.debug('Container %s took no request: %s', self.container[:12],
                      exc)
        return True

    def _wait(self, reply: Reply, deadline: float) -> None:
        with self._changed:
            while not (reply.answered and reply.logs_ended):
                if self._ended:
                    reply.ended = not reply.answered
                    return
                now = time.monotonic()
                if reply.answered:  # the rest of its logs is on its way
                    deadline = min(deadline, now + LOGS_GRACE)
                if now >= deadline:
                    reply.timed_out = not reply.answered
                    return
                self._changed.wait(deadline - now)

    def kill(self) -> None:
        """Kill the container; fine if it has ended already."""
        try:
            self.api.kill(self.container)
        except docker_errors.APIError as exc:
            if exc.status_code not in (404, 409):  # gone, or not running
                raise

    def close(self) -> None:
        """Close the attach connection; the reader thread ends."""
        for closing in (self._sock, self._raw):
            try:
                closing.close()
            except OSError:
                pass

    def wait_ended(self, timeout: float) -> bool:
        """Wait until the container's streams end; whether they did."""
        with self._changed:
            return self._changed.wait_for(lambda: self._ended, timeout)

    def _read(self) -> None:
        try:
            for stream, chunk in self._duplex.frames():
                with self._changed:
                    if stream == docker_socket.STDOUT:
                        self._on_stdout(chunk)
                    elif stream == docker_socket.STDERR:
                        self._on_stderr(chunk)
                    self._changed.notify_all()
        except (OSError, ValueError) as exc:  # closed under us: the end
            LOG.debug('Container %s output ended: %s', self.container[:12],
                      exc)
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def _on_stdout(self, chunk: bytes) -> None:
        reply = self._reply
        if reply is None or reply.answered:
            self._stray = True  # nobody asked: the runtime is out of step
            return
        reply.stdout.feed(chunk)
        if b'\n' in chunk or reply.stdout.overflow:
            reply.answered = True
            reply.line = _result.result_line(reply.stdout.value())

    def _on_stderr(self, chunk: bytes) -> None:
        reply = self._reply
        if reply is None or reply.logs_ended:
            self._keep_between(chunk)
            return
        data = self._carry + chunk
        at = data.find(self._marker)
        if at >= 0:
            reply.logs.feed(data[:at])
            reply.logs_ended = True
            self._keep_between(data[at + len(self._marker):])
            return
        # The marker may be cut in two: keep what could be its start.
        keep = min(len(data), len(self._marker) - 1)
        reply.logs.feed(data[:len(data) - keep])
        self._carry = data[len(data) - keep:]

    def _keep_between(self, data: bytes) -> None:
        self._between += data
        # Bounded: a thread printing between invocations costs no memory.
        del self._between[:max(0, len(self._between) - 65536)]

