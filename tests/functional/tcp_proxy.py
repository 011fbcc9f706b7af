"""A loopback TCP proxy a test can cut: a service outage without touching
the shared service.

``TcpProxy(port)`` listens on an ephemeral port of 127.0.0.1 and forwards
every connection to 127.0.0.1:``port``; :meth:`TcpProxy.cut` closes the
listener and every connection in flight, so clients see connections
refused, as if the service were down, and :meth:`TcpProxy.resume` listens
on the same port again, as if it came back. Threads are daemons; ``cut``
(or leaving the ``with`` block) stops them.
"""

import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:``self.port`` to 127.0.0.1:``target``."""

    def __init__(self, target: int) -> None:
        self.target = target
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> 'TcpProxy':
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cut()

    def cut(self) -> None:
        """Refuse new connections and close those open."""
        with self._lock:
            self._cut = True
            sockets, self._open = self._open, []
        for sock in [self._listener, *sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def resume(self) -> None:
        """Listen on the same port again, after :meth:`cut`."""
        with self._lock:
            self._listener = socket.create_server(('127.0.0.1', self.port))
            self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(('127.0.0.1', self.target),
                                                  timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._cut:
                    client.close()
                    server.close()
                    return
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink),
                                 daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
