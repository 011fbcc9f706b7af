"""The attach connection of a container, shared by its reader and writer.

The engine multiplexes stdout and stderr on one connection: frames of an
8-byte header (stream, 3 bytes of padding, big-endian length) and that
many bytes. docker-py's reader polls the socket before each read, which
hangs on a TLS connection (a remote engine, ``[builder] docker_url`` with
certificates): OpenSSL may already hold the decrypted rest of a record
that poll() cannot see, so the poll waits for bytes that have arrived.
And a TLS connection is one OpenSSL object, which the session's reader
thread and the thread writing a request must not use at the same time.

So :class:`Duplex` reads the connection itself: it waits (select) only
when OpenSSL holds nothing pending, then reads without blocking; every
read and write of the socket takes turns under one lock, held only for
the call, never while waiting. A plain unix socket goes the same way.
"""

import select
import ssl
import struct
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ['Duplex']

_HEADER = struct.Struct('>BxxxL')
_READ = 65536


class Duplex:
    """One attach socket: :meth:`frames` for one reader thread,
    :meth:`send` for writers; thread safe."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self._lock = threading.Lock()

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """(stream, bytes) of each frame until the connection ends.

        Raises OSError (or ValueError) when the socket is closed under
        it, which ends the stream as well.
        """
        buffer = bytearray()
        while chunk := self._recv():
            buffer += chunk
            while len(buffer) >= _HEADER.size:
                stream, length = _HEADER.unpack_from(buffer)
                end = _HEADER.size + length
                if len(buffer) < end:
                    break
                yield stream, bytes(buffer[_HEADER.size:end])
                del buffer[:end]

    def send(self, data: bytes | memoryview) -> int:
        """Write what the socket takes now; how many bytes (see
        socket.send: the caller waits for room first)."""
        with self._lock:
            return self.sock.send(data)

    def _recv(self) -> bytes:
        """The next bytes read, b'' at the end of the connection."""
        while True:
            pending = getattr(self.sock, 'pending', None)
            if not (pending is not None and pending()):
                select.select([self.sock], [], [])
            with self._lock:
                self.sock.setblocking(False)
                try:
                    return self.sock.recv(_READ)
                except (BlockingIOError, ssl.SSLWantReadError,
                        ssl.SSLWantWriteError):
                    continue  # a partial record, or nothing after all
                finally:
                    self.sock.setblocking(True)
