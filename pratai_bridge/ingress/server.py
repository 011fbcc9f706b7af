"""The HTTP server the ingress runs on: cheroot, in threads of its own.

cheroot (CherryPy's WSGI server, maintained on its own) rather than one
of ours: a bounded thread pool, HTTP/1.1 keep-alive, a request body limit
enforced before the application sees the request, and a clean stop.
:meth:`ApiServer.start` binds the socket synchronously, so a port in use
stops the daemon's start with one clear error rather than failing later
in a thread; :meth:`ApiServer.stop` stops accepting, lets the requests in
flight finish (bounded by ``shutdown_timeout``) and joins the thread.
"""

import logging
import threading

from cheroot import wsgi
from cheroot.ssl import builtin

from pratai_bridge.ingress._http import WSGIApp

__all__ = ['ApiServer', 'ServerError']

LOG = logging.getLogger(__name__)


class ServerError(Exception):
    """The server could not start (the address is taken, say)."""


class ApiServer:
    """One cheroot server for ``app`` on ``host:port``."""

    def __init__(self, app: WSGIApp, host: str, port: int, threads: int,
                 max_request_bytes: int, shutdown_timeout: int = 5,
                 tls: tuple[str, str] | None = None) -> None:
        """``tls`` is (certificate file, key file) to serve HTTPS."""
        self._server = wsgi.Server(
            (host, port), app, numthreads=threads,
            max=threads, server_name='pratai-bridge',
            shutdown_timeout=shutdown_timeout)
        # Attributes of cheroot's HTTPServer (0 means no limit): cheroot
        # answers 413 itself, before the application reads anything. The
        # application checks the body limit exactly; this bounds the
        # headers and is the backstop.
        self._server.max_request_header_size = 64 * 1024
        self._server.max_request_body_size = max_request_bytes + 1024
        if tls is not None:
            # Reads the files now: a missing or bad one fails the build.
            self._server.ssl_adapter = builtin.BuiltinSSLAdapter(*tls)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the real port when 0 was asked)."""
        bound = self._server.bind_addr
        return bound[0], bound[1]

    def start(self) -> None:
        try:
            self._server.prepare()
        except OSError as exc:
            raise ServerError(f'cannot listen on {self._server.bind_addr}: '
                              f'{exc}') from exc
        self._thread = threading.Thread(target=self._server.serve,
                                        name='pratai-api', daemon=True)
        self._thread.start()
        LOG.info('HTTP API listening on %s:%d', *self.address)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.stop()
        self._thread.join(30)
        self._thread = None
        LOG.info('HTTP API stopped')
