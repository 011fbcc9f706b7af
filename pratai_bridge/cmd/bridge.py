"""``pratai-bridge``: the daemon."""

import os
import signal
import sys

from oslo_log import log as logging

from pratai_bridge import cmd
from pratai_bridge.service import BridgeService

LOG = logging.getLogger(__name__)


def main() -> int:
    conf = cmd.prepare(sys.argv[1:])
    service = BridgeService(conf)
    # Signal handlers only write to a pipe; the main thread does the work,
    # so no lock is ever taken inside a handler.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    for handled in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(handled, lambda n, _f: os.write(wake_w, bytes([n])))
    service.start()
    while (received := os.read(wake_r, 1)[0]) == signal.SIGHUP:
        LOG.info('SIGHUP: reloading subscriptions')
        service.reload()
    LOG.info('Signal %d: shutting down', received)
    service.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
