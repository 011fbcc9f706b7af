"""``pratai-bridge``: the daemon.

Start-up either works or says why in one CRITICAL line and exits 1: a bad
configuration file, subscription file or setting never becomes a
traceback or a silent default (the traceback is logged with ``--debug``).
Each configuration problem is logged first as ``file:line: message``.
"""

import logging as stdlib_logging
import os
import signal
import sys
from collections.abc import Sequence

from oslo_config import cfg
from oslo_log import log as logging

from pratai_bridge import cmd
from pratai_bridge import preflight
from pratai_bridge.service import BridgeService

LOG = logging.getLogger(__name__)


def main() -> int:
    # Signal handlers only write to a pipe; the main thread does the work,
    # so no lock is ever taken inside a handler. Installed first, so that
    # a SIGTERM during start-up is a clean stop too.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    for handled in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(handled, lambda n, _f: os.write(wake_w, bytes([n])))
    argv = sys.argv[1:]
    try:
        conf = cmd.prepare(argv)
    except Exception as exc:  # any start-up failure: one line, exit 1
        # oslo.log is not set up yet: the one line goes to stderr.
        _critical_to_stderr(exc, argv)
        return 1
    failure: Exception | None = None
    try:
        service = _start(conf)
    except Exception as exc:  # any start-up failure: one line, exit 1
        failure = exc
    if failure is not None:
        # Logged out of the except block: oslo.log appends the exception
        # being handled to every line logged inside one.
        _startup_failed(conf, failure)
        stdlib_logging.shutdown()
        # Threads started before the failure must not hold the process.
        os._exit(1)
    while (received := os.read(wake_r, 1)[0]) == signal.SIGHUP:
        LOG.info('SIGHUP: reloading subscriptions')
        service.reload()
    LOG.info('Signal %d: shutting down', received)
    if not service.stop():
        # stop_timeout passed with runs going: their worker threads would
        # hold the interpreter until they end. Their containers end by
        # their own timeout; the journal gives their executions back at
        # the next start.
        LOG.warning('Exiting with executions still running')
        stdlib_logging.shutdown()  # flush the log before _exit
        os._exit(0)
    return 0


def _start(conf: cfg.ConfigOpts) -> BridgeService:
    """Check, build and start the service; raises on any failure."""
    for warning in preflight.before_start(conf):
        LOG.warning('%s', warning)
    service = BridgeService(conf)
    try:
        service.start()
    except BaseException:
        try:
            service.stop()
        except Exception:
            LOG.debug('Stopping after a failed start failed too',
                      exc_info=True)
        raise
    return service


def _message(exc: BaseException) -> str:
    if isinstance(exc, preflight.StartupError):
        return exc.summary()
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _startup_failed(conf: cfg.ConfigOpts, exc: BaseException) -> None:
    if isinstance(exc, preflight.StartupError):
        for problem in exc.problems:
            if not problem.error:
                LOG.warning('%s', problem)
            elif len(exc.errors) > 1:  # one alone is the CRITICAL line
                LOG.error('%s', problem)
    LOG.critical('pratai-bridge not started: %s', _message(exc),
                 exc_info=exc if conf.debug else None)
    if conf.log_file and not conf.use_stderr:
        # The log is a file: the terminal or the service manager would
        # see nothing.
        print(f'CRITICAL pratai-bridge not started: {_message(exc)} (see '
              f'{conf.log_file})', file=sys.stderr)


def _critical_to_stderr(exc: BaseException, argv: Sequence[str]) -> None:
    print(f'CRITICAL pratai-bridge not started: {_message(exc)}',
          file=sys.stderr)
    if '--debug' in argv or '-d' in argv:
        import traceback
        traceback.print_exception(exc)


if __name__ == '__main__':
    sys.exit(main())
