"""The daemon's periodic purge of the journal (``[journal] *_max_age``).

Every ``[journal] purge_interval`` seconds a thread deletes what the
max_age options no longer keep (see :meth:`Journal.purge
<pratai_bridge.journal.api.Journal.purge>`, which works in short
transactions so intake goes on meanwhile). Bridges sharing a journal each
purge; deleting what another already deleted is a no-op.
"""

import logging

from oslo_config import cfg

from pratai_bridge._periodic import Periodic

from pratai_bridge.conf import journal as journal_conf
from pratai_bridge.journal import Journal

LOG = logging.getLogger(__name__)

__all__ = ['Purger']


class Purger:
    """Purges the journal on a thread, from :meth:`start` to :meth:`stop`."""

    def __init__(self, conf: cfg.ConfigOpts, journal: Journal) -> None:
        self._conf = conf
        self._journal = journal
        # An interval of 0 turns the purge off: look again every minute
        # whether it was turned on (the option is mutable).
        self._thread = Periodic(
            'pratai-purge', lambda: conf.journal.purge_interval or 60.0,
            self._purge)

    def purge(self) -> dict[str, int]:
        """Purge once now; rows deleted per kind."""
        executions, matched, unmatched = journal_conf.cutoffs(self._conf)
        counts = self._journal.purge(executions, matched, unmatched)
        if any(counts.values()):
            LOG.info('Journal purge: %s', ', '.join(
                f'{count} {kind}' for kind, count in counts.items()))
        return counts

    def start(self) -> None:
        """Purge every purge_interval, on a thread."""
        self._thread.start()

    def stop(self) -> None:
        self._thread.stop()

    def _purge(self) -> None:
        if not self._conf.journal.purge_interval:
            return
        try:
            self.purge()
        except Exception:
            LOG.exception('Journal purge failed; trying again in %s s',
                          self._conf.journal.purge_interval)
