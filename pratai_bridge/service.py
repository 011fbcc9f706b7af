"""The bridge service: builds the stages and runs them in one process.

Objects are built in ``__init__`` (nothing connects there), connections and
threads are opened in :meth:`BridgeService.start` and released in reverse in
:meth:`BridgeService.stop`, so a fork or a failed start leaves nothing half
open. Start order: journal, dispatcher (it may resume work a previous
process left), listener; stop order is the reverse, so the listener's last
batches are journaled before the dispatcher drains.
"""

import logging
import os
from collections.abc import Callable

from oslo_config import cfg

from pratai_bridge.dispatch import Dispatcher
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.functions.store import _loader as store_loader
from pratai_bridge.journal import Journal
from pratai_bridge.listener import NotificationListener
from pratai_bridge.matcher import Matcher
from pratai_bridge.pipeline import Pipeline
from pratai_bridge.runners._loader import load_runner
from pratai_bridge.subscriptions import loader

LOG = logging.getLogger(__name__)


def load_matcher(conf: cfg.ConfigOpts) -> Matcher:
    """Load the subscription directory; raises loader.SubscriptionError."""
    directory = conf.subscriptions.directory
    if not os.path.isdir(directory):
        LOG.warning('[subscriptions] directory %s does not exist: no '
                    'subscriptions', directory)
    subscriptions = loader.load_directory(directory)
    LOG.info('Loaded %d subscriptions from %s', len(subscriptions),
             conf.subscriptions.directory)
    return Matcher(subscriptions)


def make_pipeline(conf: cfg.ConfigOpts, journal: Journal,
                  on_new_executions: Callable[[], None] | None = None
                  ) -> Pipeline:
    """The event-side pipeline on ``journal`` with the configured files."""
    return Pipeline(Normalizers(), load_matcher(conf), journal,
                    record_unmatched=conf.journal.record_unmatched_events,
                    on_new_executions=on_new_executions)


class BridgeService:
    """Listener, pipeline, dispatcher and journal of one bridge process."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        self.journal = Journal(conf.journal.connection)
        self.store = store_loader.load_store(conf, cached=True)
        self.runner = load_runner(conf)
        self.pipeline = make_pipeline(conf, self.journal, self._wake)
        self.dispatcher = Dispatcher(
            conf, self.journal, self.store, self.runner,
            lambda: self.pipeline.matcher.by_name)
        self.listener = NotificationListener(conf, self.pipeline)

    def _wake(self) -> None:
        self.dispatcher.wake()

    def start(self) -> None:
        self.journal.start()
        self.dispatcher.start()
        self.listener.start()
        self._prepare_functions()
        LOG.info('pratai-bridge started')

    def _prepare_functions(self) -> None:
        """Build, in the background, what this host lacks of the functions
        the subscriptions name: several hosts share one store, and each
        builds its own images before their first events need them."""
        self.dispatcher.builds.prepare(
            {s.function for s in self.pipeline.matcher.by_name.values()})

    def stop(self) -> bool:
        """Stop taking notifications, finish the batches and runs in flight.

        Runs in flight are bounded by their timeouts; executions not
        started yet stay pending in the journal for the next start.
        Returns False when ``[dispatcher] stop_timeout`` cut runs short:
        they stay ``running`` in the journal, go back to pending at the
        next start, and their threads must not keep the process alive.
        """
        LOG.info('pratai-bridge stopping: draining in-flight work')
        self.listener.stop()
        drained = self.dispatcher.stop(
            self._conf.dispatcher.stop_timeout or None)
        if drained:
            self.journal.stop()
        LOG.info('pratai-bridge stopped')
        return drained

    def reload(self) -> bool:
        """Reload subscriptions; on any problem keep the current ones."""
        try:
            self._conf.mutate_config_files()
        except Exception:
            LOG.exception('Configuration reload failed; keeping the '
                          'options and subscriptions loaded before')
            return False
        try:
            matcher = load_matcher(self._conf)
        except loader.SubscriptionError as exc:
            LOG.error('Subscription reload failed; keeping the %d '
                      'subscriptions loaded before:\n%s',
                      len(self.pipeline.matcher), exc)
            return False
        self.pipeline.set_matcher(matcher)
        self._prepare_functions()
        return True
