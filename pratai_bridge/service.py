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
import threading
import time
from collections.abc import Callable

from oslo_config import cfg

from pratai_bridge import _gc
from pratai_bridge import ingress
from pratai_bridge import openstack
from pratai_bridge import queues
from pratai_bridge.enrich import MatchStage
from pratai_bridge.dispatch import Dispatcher
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.functions.store import _loader as store_loader
from pratai_bridge.journal import Journal
from pratai_bridge.listener import NotificationListener
from pratai_bridge.matcher import Matcher
from pratai_bridge.metrics import Metrics
from pratai_bridge.pipeline import Pipeline
from pratai_bridge.purge import Purger
from pratai_bridge.runners._loader import load_runner
from pratai_bridge.subscriptions import loader
from pratai_bridge.subscriptions.watch import DirectoryWatcher

LOG = logging.getLogger(__name__)
#: seconds between two counts of the journal's rows for /metrics: counting
#: a large journal is not free
_JOURNAL_ROWS_INTERVAL = 15.0
#: seconds between two looks at the listener queues' depths for /metrics
_BACKLOG_INTERVAL = 5.0


def load_matcher(conf: cfg.ConfigOpts,
                 cache: loader.FileCache | None = None) -> Matcher:
    """Load the subscription directory; raises loader.SubscriptionError.

    With ``cache``, files whose content did not change since the last load
    through it are not parsed again (a reload after one file changed).
    """
    directory = conf.subscriptions.directory
    if not os.path.isdir(directory):
        LOG.warning('[subscriptions] directory %s does not exist: no '
                    'subscriptions', directory)
    started = time.monotonic()
    # One pause for both: the objects they make are walked once, at the end.
    with _gc.paused():
        subscriptions = loader.load_directory(directory, cache=cache)
        matcher = Matcher(subscriptions)
    LOG.info('Loaded %d subscriptions from %s (read, checked and compiled '
             'in %.2f s)', len(subscriptions), directory,
             time.monotonic() - started)
    return matcher


def make_pipeline(conf: cfg.ConfigOpts, journal: Journal,
                  on_new_executions: Callable[[], None] | None = None,
                  file_cache: loader.FileCache | None = None,
                  metrics: Metrics | None = None,
                  stage: MatchStage | None = None) -> Pipeline:
    """The event-side pipeline on ``journal`` with the configured files;
    ``stage`` enriches (by default nothing is looked up)."""
    return Pipeline(Normalizers(), load_matcher(conf, file_cache), journal,
                    record_unmatched=conf.journal.record_unmatched_events,
                    on_new_executions=on_new_executions, metrics=metrics,
                    stage=stage)


def _backlog(conf: cfg.ConfigOpts) -> dict[str, int]:
    """Messages waiting in each queue of this bridge's pool (none: the
    transport has no queues to look at, such as fake://)."""
    try:
        with queues.Queues(conf) as broker:
            shown = [broker.show(name, exchange) for name, exchange
                     in queues.bridge_queues(conf)]
    except queues.BrokerError as exc:
        LOG.debug('No listener backlog to show: %s', exc)
        return {}
    return {q.name: q.messages for q in shown if q.messages is not None}


class BridgeService:
    """Listener, pipeline, dispatcher and journal of one bridge process."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        # One registry for every stage of this bridge, served at /metrics.
        self.metrics = Metrics()
        self.journal = Journal(conf.journal.connection,
                               conf.dispatcher.max_chain_depth,
                               on_loop=self.metrics.loop_stopped)
        # One keystoneauth1 session per credential set, for every client.
        self.clients = openstack.build(conf)
        self.store = store_loader.load_store(
            conf, cached=True, sessions=self.clients.sessions)
        self.runner = load_runner(conf)
        # The subscription files as last read, so a reload parses only
        # the files that changed.
        self._file_cache = loader.FileCache()
        self.pipeline = make_pipeline(conf, self.journal, self._wake,
                                      self._file_cache, self.metrics,
                                      self.clients.stage())
        self.dispatcher = Dispatcher(
            conf, self.journal, self.store, self.runner,
            lambda: self.pipeline.matcher.by_name, metrics=self.metrics,
            handoff=self.clients.handoff())
        self.listener = NotificationListener(conf, self.pipeline,
                                             self.journal.count_pending)
        # Deletes what [journal] *_max_age no longer keeps.
        self.purger = Purger(conf, self.journal)
        self.api = self._build_api() if conf.api.enabled else None
        # One reload at a time (SIGHUP and the watcher may both ask), so
        # an older set never replaces a newer one.
        self._reload_lock = threading.Lock()
        self.watcher = (DirectoryWatcher(
            conf.subscriptions.directory, self.reload_subscriptions,
            conf.subscriptions.watch_debounce)
            if conf.subscriptions.watch else None)

    def _wake(self) -> None:
        self.dispatcher.wake()

    def start(self) -> None:
        self.runner.check_config()  # what it cannot honour stops the start
        self.journal.start()
        self.dispatcher.start()
        self.purger.start()
        self.listener.start()
        self._prepare_functions()
        if self.watcher is not None:
            self.watcher.start()
        self._start_api()
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
        self._stop_api()
        if self.watcher is not None:
            self.watcher.stop()
        # Bounded: a batch the journal will not take is requeued.
        self.listener.stop(self._conf.dispatcher.stop_timeout or None)
        drained = self.dispatcher.stop(
            self._conf.dispatcher.stop_timeout or None)
        self.purger.stop()
        if drained:
            self.journal.stop()
        LOG.info('pratai-bridge stopped')
        return drained

    def _build_api(self) -> ingress.ApiServer:
        """The HTTP server of [api]: ingress into this pipeline, /healthz
        over this bridge's parts, /metrics of this bridge."""
        journal = self.journal

        def journal_check() -> None:
            # An indexed read: the journal answers, without counting rows.
            journal.get_event('pratai-healthz')

        checks: dict[str, ingress.Check] = {
            'transport': ingress.transport_check(self._conf),
            'journal': journal_check, 'runner': self.runner.probe}
        self.metrics.collect_before_scrape(
            lambda: self.metrics.set_journal_rows(journal.counts()),
            min_interval=_JOURNAL_ROWS_INTERVAL)
        self.metrics.collect_before_scrape(
            lambda: self.metrics.set_backlog(_backlog(self._conf)),
            min_interval=_BACKLOG_INTERVAL)
        return ingress.build(self._conf, self.pipeline, self.metrics, checks)

    def _start_api(self) -> None:
        """Listen, last: requests are journaled through started parts."""
        if self.api is not None:
            self.api.start()

    def _stop_api(self) -> None:
        """Stop taking requests, first; the ones in flight finish."""
        if self.api is not None:
            self.api.stop()

    def reload(self) -> bool:
        """SIGHUP: reload mutable options and subscriptions; on any problem
        keep the current ones."""
        try:
            self._conf.mutate_config_files()
        except Exception:
            LOG.exception('Configuration reload failed; keeping the '
                          'options and subscriptions loaded before')
            return False
        return self.reload_subscriptions()

    def reload_subscriptions(self) -> bool:
        """Recompile the subscription files and swap the matcher in one
        assignment; events in flight finish on the old one. On any problem
        keep the current set and log each problem as ``file:line: msg``.
        Then build what this host lacks of the functions the new set
        names."""
        with self._reload_lock:
            try:
                matcher = load_matcher(self._conf, self._file_cache)
            except loader.SubscriptionError as exc:
                LOG.error('Subscription reload failed with %d problems; '
                          'keeping the %d subscriptions loaded before',
                          len(exc.problems), len(self.pipeline.matcher))
                for problem in exc.problems:
                    LOG.error('%s', problem)
                return False
            self.pipeline.set_matcher(matcher)
        self._prepare_functions()
        return True
