"""The bridge service: builds the stages and runs them in one process.

Objects are built in ``__init__`` (nothing connects there), connections and
threads are opened in :meth:`BridgeService.start` and released in reverse in
:meth:`BridgeService.stop`, so a fork or a failed start leaves nothing half
open.
"""

import logging

from oslo_config import cfg

from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.journal import Journal
from pratai_bridge.listener import NotificationListener
from pratai_bridge.matcher import Matcher
from pratai_bridge.pipeline import Pipeline
from pratai_bridge.subscriptions import loader

LOG = logging.getLogger(__name__)


def load_matcher(conf: cfg.ConfigOpts) -> Matcher:
    """Load the subscription directory; raises loader.SubscriptionError."""
    subscriptions = loader.load_directory(conf.subscriptions.directory)
    LOG.info('Loaded %d subscriptions from %s', len(subscriptions),
             conf.subscriptions.directory)
    return Matcher(subscriptions)


def make_pipeline(conf: cfg.ConfigOpts, journal: Journal) -> Pipeline:
    """The event-side pipeline on ``journal`` with the configured files."""
    return Pipeline(Normalizers(), load_matcher(conf), journal,
                    record_unmatched=conf.journal.record_unmatched_events)


class BridgeService:
    """Listener, pipeline and journal of one pratai-bridge process."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        self.journal = Journal(conf.journal.connection)
        self.pipeline = make_pipeline(conf, self.journal)
        self.listener = NotificationListener(conf, self.pipeline)

    def start(self) -> None:
        self.journal.start()
        self.listener.start()
        LOG.info('pratai-bridge started')

    def stop(self) -> None:
        """Stop taking notifications, finish the batches in flight."""
        LOG.info('pratai-bridge stopping: draining in-flight batches')
        self.listener.stop()
        self.journal.stop()
        LOG.info('pratai-bridge stopped')

    def reload(self) -> bool:
        """Reload subscriptions; on any problem keep the current ones."""
        self._conf.mutate_config_files()
        try:
            matcher = load_matcher(self._conf)
        except loader.SubscriptionError as exc:
            LOG.error('Subscription reload failed; keeping the %d '
                      'subscriptions loaded before:\n%s',
                      len(self.pipeline.matcher), exc)
            return False
        self.pipeline.set_matcher(matcher)
        return True
