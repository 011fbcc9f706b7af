"""``GET /healthz``: is each part the bridge needs up?

A check is a callable that returns None when its part is fine and raises
(or returns a reason) when it is not. :class:`Health` runs every check
with a deadline (a hung database must not hang the probe), reuses an
answer for ``[api] health_cache_seconds``, and reports::

    200 {"status": "ok", "checks": {"journal": "ok", ...}}
    503 {"status": "down", "down": ["transport"],
         "checks": {"transport": "no broker answers at ...", ...}}

The checks the bridge registers: ``transport`` (a broker of
``transport_url`` accepts a TCP connection), ``journal`` (a read of the
journal), ``runner`` (the Docker engine answers a ping, for the docker
runner).
"""

import concurrent.futures
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import oslo_messaging
import oslo_messaging.opts
from oslo_config import cfg

__all__ = ['Check', 'Health', 'transport_check']

_AMQP_PORT = 5672
_IN_PROCESS = ('fake', 'kombu+memory', 'kafka+memory')

Check = Callable[[], str | None]


class Health:
    """Named checks, run together, their answer cached; thread safe."""

    def __init__(self, checks: dict[str, Check], cache_seconds: float = 2.0,
                 deadline: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._checks = dict(checks)
        self._cache_seconds = cache_seconds
        self._deadline = deadline
        self._clock = clock
        self._lock = threading.Lock()
        #: (clock time, answer) of the last run (guarded by _lock)
        self._last: tuple[float, dict[str, str]] | None = None

    def report(self) -> tuple[bool, dict[str, Any]]:
        """(all up, the document to answer)."""
        with self._lock:
            if (self._last is None or self._clock() - self._last[0]
                    >= self._cache_seconds):
                self._last = (self._clock(), self._run())
            results = self._last[1]
        down = sorted(name for name, text in results.items() if text != 'ok')
        if down:
            return False, {'status': 'down', 'down': down, 'checks': results}
        return True, {'status': 'ok', 'checks': results}

    def _run(self) -> dict[str, str]:
        # A fresh pool per run: a check still hung from the last run must
        # not take a thread this run needs.
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(len(self._checks), 1),
            thread_name_prefix='pratai-healthz')
        futures = {name: pool.submit(check)
                   for name, check in self._checks.items()}
        pool.shutdown(wait=False)
        results = {}
        for name, future in futures.items():
            try:
                reason = future.result(timeout=self._deadline)
            except concurrent.futures.TimeoutError:
                reason = f'no answer within {self._deadline:.0f} s'
            except Exception as exc:  # the check's failure is its answer
                reason = f'{type(exc).__name__}: {exc}'
            results[name] = reason or 'ok'
        return results


def transport_check(conf: cfg.ConfigOpts, timeout: float = 2.0) -> Check:
    """A broker host of the notification transport accepts a TCP connection.

    The URL is ``[oslo_messaging_notifications] transport_url``, else
    ``[DEFAULT] transport_url``, as the listener's transport uses; a URL
    without hosts means the driver's default, localhost:5672. In-process
    transports (``fake://``, ``kombu+memory://``) are always up.
    """
    for group, opts in oslo_messaging.opts.list_opts():
        if group in (None, 'oslo_messaging_notifications'):
            # The same options oslo.messaging registers when it makes the
            # listener's transport; registering twice is harmless.
            conf.register_opts(opts, group=group)

    def check() -> str | None:
        # Read at each check: the options may change on SIGHUP.
        text = (conf.oslo_messaging_notifications.transport_url
                or conf.transport_url)
        url = oslo_messaging.TransportURL.parse(conf, text)
        hosts = [(h.hostname, h.port or _AMQP_PORT) for h in url.hosts
                 if h.hostname]
        if not hosts and url.transport not in _IN_PROCESS:
            hosts = [('localhost', _AMQP_PORT)]
        failures = []
        for host, port in hosts:
            try:
                with socket.create_connection((host, port), timeout=timeout):
                    return None
            except OSError as exc:
                failures.append(f'{host}:{port} ({exc.strerror or exc})')
        if failures:
            return 'no broker answers at ' + ', '.join(failures)
        return None

    return check
