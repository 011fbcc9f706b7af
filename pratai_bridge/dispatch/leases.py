"""Leases: this bridge keeps its running executions; dead bridges' come back.

Every running execution carries a lease (``lease_until``) that its bridge
renews every ``[dispatcher] sweep_interval`` seconds. Past its lease an
execution is taken to be abandoned, and any bridge sharing the journal
takes it back, as a starting bridge takes back at once those of its dead
predecessors on its host (see :mod:`pratai_bridge.journal._lifecycle`).

Taking back is two steps, in this order: first the runner kills and
removes what the dead bridge left running (:meth:`Runner.stop_orphans
<pratai_bridge.runners.base.Runner.stop_orphans>`: its containers, where
this bridge reaches their engine), then the executions go back to pending,
their attempts ``interrupted``. When the first step fails (the engine is
away), the second waits for the next sweep: running a function twice at
once is worse than running it late.
"""

import logging
from collections.abc import Callable

from oslo_config import cfg

from pratai_bridge._periodic import Periodic

from pratai_bridge.journal.api import Journal
from pratai_bridge.runners import base as runners

LOG = logging.getLogger(__name__)

__all__ = ['Leases']


class Leases:
    """Renews this bridge's leases and takes back stale executions, on a
    thread of its own from :meth:`start` to :meth:`stop`."""

    def __init__(self, conf: cfg.ConfigOpts, journal: Journal,
                 runner: runners.Runner,
                 on_recovered: Callable[[], None]) -> None:
        """``on_recovered`` is called when executions went back to pending
        (the dispatcher's wake()); it must not block."""
        self._conf = conf
        self._journal = journal
        self._runner = runner
        self._on_recovered = on_recovered
        self._thread = Periodic('pratai-leases',
                                lambda: conf.dispatcher.sweep_interval,
                                self._sweep)

    def recover(self) -> int:
        """Take back what stale bridges left running; how many.

        Raises what the journal raises when it cannot be read or written.
        """
        recovered = 0
        for stale, ids in self._journal.stale_owners().items():
            if stale:
                try:
                    stopped = self._runner.stop_orphans(stale)
                except runners.RunnerError as exc:
                    LOG.warning('Cannot stop what bridge %s left running '
                                '(%s); its %d executions wait for the next '
                                'sweep', stale, exc, len(ids))
                    continue
                if stopped:
                    LOG.warning('Stopped %d runs left by bridge %s',
                                stopped, stale)
            taken = self._journal.recover(stale, ids)
            if taken:
                LOG.warning('Took back %d executions left running by bridge '
                            '%s; they run again', taken, stale or 'unknown')
            recovered += taken
        if recovered:
            self._on_recovered()
        return recovered

    def renew(self) -> int:
        """Renew this bridge's leases; how many executions it holds."""
        return self._journal.renew_leases(self._conf.dispatcher.lease_time)

    def start(self) -> None:
        """Renew and take back every sweep_interval, on a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing: what is still running then expires by itself."""
        self._thread.stop()

    def _sweep(self) -> None:
        try:
            self.renew()
        except Exception:
            LOG.exception('Renewing the leases of this bridge\'s running '
                          'executions failed; trying again in %s s',
                          self._conf.dispatcher.sweep_interval)
        try:
            self.recover()
        except Exception:
            LOG.exception('Looking for executions whose lease expired '
                          'failed; trying again in %s s',
                          self._conf.dispatcher.sweep_interval)
