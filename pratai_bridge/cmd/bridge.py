"""``pratai-bridge``: the daemon."""

import logging as stdlib_logging
import os
import signal
import sys

from oslo_log import log as logging

from pratai_bridge import cmd
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
    conf = cmd.prepare(sys.argv[1:])
    service = BridgeService(conf)
    service.start()
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


if __name__ == '__main__':
    sys.exit(main())
