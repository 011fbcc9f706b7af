"""The daemon's periodic purge of the journal (``[journal] *_max_age``).

Every ``[journal] purge_interval`` seconds a thread deletes what the
max_age options no longer keep (see :meth:`Journal.purge
<pratai_bridge.journal.api.Journal.purge>`, which works in short
transactions so intake goes on meanwhile). Bridges sharing a journal each
purge; deleting what another already deleted is a no-op.
"""

import logging
import threading

from oslo_config import cfg

from pratai_bridge.conf import journal as journal_conf
from pratai_bridge.journal import Journal

LOG = logging.getLogger(__name__)

__all__ = ['Purger']


class Purger:
    """Purges the journal on a thread, from :meth:`start` to :meth:`stop`."""

    def __init__(self, conf: cfg.ConfigOpts, journal: Journal) -> None:
        self._conf = conf
        self._journal = journal
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def purge(self) -> dict[str, int]:
        """Purge once now; rows deleted per kind."""
        executions, matched, unmatched = journal_conf.cutoffs(self._conf)
        counts = self._journal.purge(executions, matched, unmatched)
        if any(counts.values()):
            LOG.info('Journal purge: %s', ', '.join(
                f'{count} {kind}' for kind, count in counts.items()))
        return counts

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError('the purger is already started')
        self._thread = threading.Thread(target=self._loop,
                                        name='pratai-purge', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        # The interval is mutable: read it again each round (0: wait for
        # it to change, looking every minute).
        while not self._stopping.wait(self._conf.journal.purge_interval
                                      or 60.0):
            if not self._conf.journal.purge_interval:
                continue
            try:
                self.purge()
            except Exception:
                LOG.exception('Journal purge failed; trying again in %s s',
                              self._conf.journal.purge_interval)
