"""The bridge's Prometheus metrics, and the helpers that record them.

Served at ``GET /metrics`` by the HTTP server (:mod:`pratai_bridge.ingress`)
in the Prometheus text format, from a registry of the bridge's own (not
prometheus_client's global one: two bridges in one test process must not
count into each other). Every name starts with ``pratai_``:

======================================  =========  ==========================
name                                    type       labels
======================================  =========  ==========================
pratai_notifications_received_total     counter    source, event_type
pratai_notifications_parked_total       counter    source, event_type
pratai_matches_total                    counter    subscription
pratai_executions_total                 counter    function, status
pratai_execution_duration_seconds       histogram  function
pratai_intake_duration_seconds          histogram  source
pratai_starts_total                     counter    function, kind (cold|warm)
pratai_listener_backlog_messages        gauge      queue
pratai_journal_rows                     gauge      kind (events, rejected,
                                                   executions, <status>)
pratai_loops_stopped_total              counter    subscription
pratai_http_requests_total              counter    route, code
pratai_http_request_duration_seconds    histogram  route
pratai_enrichment_lookups_total         counter    result (hit, miss,
                                                   coalesced, error)
pratai_credential_tokens_total          counter    credential, result
======================================  =========  ==========================

``status`` is an execution's final status as the journal records it
(``succeeded`` or ``dead``). Intake latency is the time
from the notification's own timestamp to its commit in the journal;
execution duration is one attempt's run time.

Each number has one home, a call of one line in the stage that knows it:
the pipeline calls :meth:`Metrics.journaled` once per committed batch
(the bus and the HTTP API go through it alike; ``source`` is the
exchange), the dispatcher :meth:`Metrics.attempted` per attempt and
:meth:`Metrics.execution_finished` per final status; the service reads
the journal's rows and the listener queues' depths before a scrape. The
ingress counts only its own HTTP requests.

Label values that come from outside (event types, names) are bounded:
past :data:`MAX_LABEL_VALUES` distinct values of one label, new ones are
counted as ``other``, so a sender inventing event types cannot make the
bridge hold an unbounded number of series.

Thread safety: prometheus_client's metrics are thread safe; the label
guard takes a lock of its own. Gauges that are read rather than pushed
(journal rows, backlog) are set by :meth:`Metrics.set_journal_rows` and
:meth:`Metrics.set_backlog`, or by a callback given to
:meth:`Metrics.collect_before_scrape`, called on each scrape.
"""

import collections
import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from typing import Protocol

import prometheus_client
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram

from pratai_bridge.events import _time

__all__ = ['CONTENT_TYPE', 'MAX_LABEL_VALUES', 'OTHER', 'Metrics']

LOG = logging.getLogger(__name__)

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
#: distinct values one label may take before new ones count as OTHER
MAX_LABEL_VALUES = 500
OTHER = 'other'
# Function runs last from well under a second (warm) to the 3600 s limit.
_EXECUTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
                      900, 3600)
# A notification is normally journaled within a batch timeout (~1 s).
_INTAKE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                   60, 300)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Received(Protocol):
    """A notification as the pipeline counts it (Notification, Rejected)."""

    @property
    def exchange(self) -> str | None: ...

    @property
    def event_type(self) -> str | None: ...


class _Bounded:
    """Caps the distinct values each label takes; thread safe."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        #: label name -> values seen (guarded by _lock)
        self._seen: dict[str, set[str]] = {}

    def __call__(self, label: str, value: str | None) -> str:
        value = value or 'unknown'
        with self._lock:
            seen = self._seen.setdefault(label, set())
            if value in seen:
                return value
            if len(seen) >= self._limit:
                return OTHER
            seen.add(value)
            return value


class _Throttled:
    """Calls a function at most every ``interval`` seconds; thread safe."""

    def __init__(self, function: Callable[[], None], interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._function = function
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None

    def __call__(self) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self._interval:
                return
            self._last = now
        self._function()


class Metrics:
    """The metrics of one bridge, in a registry of their own."""

    def __init__(self, max_label_values: int = MAX_LABEL_VALUES) -> None:
        self.registry = CollectorRegistry()
        self._bounded = _Bounded(max_label_values)
        self._before_scrape: list[_Throttled] = []
        self._make_metrics()

    def _make_metrics(self) -> None:
        registry = self.registry
        self.received = Counter(
            'pratai_notifications_received', 'Notifications received, by '
            'source and event type.', ['source', 'event_type'],
            registry=registry)
        self.parked = Counter(
            'pratai_notifications_parked', 'Notifications that could not '
            'be decoded or normalized, kept in the journal as rejected.',
            ['source', 'event_type'], registry=registry)
        self.matches = Counter(
            'pratai_matches', 'Events matched by a subscription.',
            ['subscription'], registry=registry)
        self.executions = Counter(
            'pratai_executions', 'Executions finished, by function and '
            'final status.', ['function', 'status'], registry=registry)
        self.execution_seconds = Histogram(
            'pratai_execution_duration_seconds', 'Run time of one attempt '
            'of a function.', ['function'], buckets=_EXECUTION_BUCKETS,
            registry=registry)
        self.intake_seconds = Histogram(
            'pratai_intake_duration_seconds', 'From the notification\'s '
            'timestamp to its commit in the journal.', ['source'],
            buckets=_INTAKE_BUCKETS, registry=registry)
        self.starts = Counter(
            'pratai_starts', 'Function starts, cold (a new container) or '
            'warm (a kept one).', ['function', 'kind'], registry=registry)
        self.backlog = Gauge(
            'pratai_listener_backlog_messages', 'Messages waiting in a '
            'listener queue.', ['queue'], registry=registry)
        self.journal_rows = Gauge(
            'pratai_journal_rows', 'Rows in the journal: events, rejected, '
            'executions, and executions per status.', ['kind'],
            registry=registry)
        self.loops_stopped = Counter(
            'pratai_loops_stopped', 'Events not run because their causal '
            'chain was deeper than [dispatcher] max_chain_depth.',
            ['subscription'], registry=registry)
        self._make_service_metrics(registry)

    def _make_service_metrics(self, registry: CollectorRegistry) -> None:
        self.http_requests = Counter(
            'pratai_http_requests', 'HTTP requests answered by the API '
            'server, by route and status code.', ['route', 'code'],
            registry=registry)
        self.http_seconds = Histogram(
            'pratai_http_request_duration_seconds', 'Time to answer an '
            'HTTP request.', ['route'], buckets=_HTTP_BUCKETS,
            registry=registry)
        self.enrichment_lookups = Counter(
            'pratai_enrichment_lookups', 'Enrichment lookups by result.',
            ['result'], registry=registry)
        self.credential_tokens = Counter(
            'pratai_credential_tokens', 'Tokens handed out for a '
            'credential, by result (cached, issued, error).',
            ['credential', 'result'], registry=registry)

    # -- recording helpers: what the stages call ---------------------------

    def notification_received(self, source: str | None,
                              event_type: str | None) -> None:
        self.received.labels(self._bounded('source', source),
                             self._bounded('event_type', event_type)).inc()

    def notification_parked(self, source: str | None,
                            event_type: str | None) -> None:
        self.parked.labels(self._bounded('source', source),
                           self._bounded('event_type', event_type)).inc()

    def matched(self, subscription: str) -> None:
        self.matches.labels(self._bounded('subscription', subscription)
                            ).inc()

    def journaled(self, received: Iterable[Received],
                  parked: Iterable[Received], events: Iterable[Any],
                  subscriptions: Iterable[str],
                  now: float | None = None) -> None:
        """One batch the journal committed (the pipeline's only call).

        ``received``: every notification of the batch, parked ones
        included; ``parked``: those kept as rejected; ``events``: the
        events journaled (their ``exchange`` and ISO 8601 ``timestamp``
        give the intake latency, up to ``now``, epoch seconds);
        ``subscriptions``: the subscription of each match. Counted after
        the commit, so a batch that is requeued is counted when it is
        journaled, once.
        """
        for (source, event_type), count in _by_kind(received).items():
            self.received.labels(self._bounded('source', source),
                                 self._bounded('event_type', event_type)
                                 ).inc(count)
        for (source, event_type), count in _by_kind(parked).items():
            self.parked.labels(self._bounded('source', source),
                               self._bounded('event_type', event_type)
                               ).inc(count)
        for name, count in collections.Counter(subscriptions).items():
            self.matches.labels(self._bounded('subscription', name)
                                ).inc(count)
        now = time.time() if now is None else now
        for event in events:
            stamp = _epoch(event.timestamp)
            if stamp is not None:
                self.intake(event.exchange, now - stamp)

    def attempted(self, function: str, outcome: Any) -> None:
        """One attempt the dispatcher got an outcome for: its run time
        and whether it started cold or warm, when it ran at all (an
        attempt refused before the runner has neither)."""
        if outcome.warm is not None:
            self.started(function, outcome.warm)
        if outcome.warm is not None or (
                0 < outcome.started_at < outcome.finished_at):
            self.execution_seconds.labels(
                self._bounded('function', function)).observe(
                    max(outcome.duration, 0.0))

    def intake(self, source: str | None, seconds: float) -> None:
        self.intake_seconds.labels(self._bounded('source', source)).observe(
            max(seconds, 0.0))

    def execution_finished(self, function: str, status: str,
                           seconds: float | None = None) -> None:
        """An execution's final status (its last attempt's run time is
        :meth:`attempted`'s; ``seconds`` is for callers without one)."""
        name = self._bounded('function', function)
        self.executions.labels(name, status).inc()
        if seconds is not None:
            self.execution_seconds.labels(name).observe(max(seconds, 0.0))

    def started(self, function: str, warm: bool) -> None:
        self.starts.labels(self._bounded('function', function),
                           'warm' if warm else 'cold').inc()

    def loop_stopped(self, subscription: str) -> None:
        self.loops_stopped.labels(
            self._bounded('subscription', subscription)).inc()

    def http_request(self, route: str, code: int, seconds: float) -> None:
        self.http_requests.labels(route, str(code)).inc()
        self.http_seconds.labels(route).observe(seconds)

    def enrichment(self, result: str) -> None:
        """One enrichment lookup: hit, miss, coalesced or error."""
        self.enrichment_lookups.labels(result).inc()

    def credential_token(self, credential: str, result: str) -> None:
        """One token handed out: cached, issued or error."""
        self.credential_tokens.labels(
            self._bounded('credential', credential), result).inc()

    def set_backlog(self, depths: Mapping[str, int]) -> None:
        for queue, depth in depths.items():
            self.backlog.labels(queue).set(depth)

    def set_journal_rows(self, counts: Mapping[str, int]) -> None:
        for kind, count in counts.items():
            self.journal_rows.labels(kind).set(count)

    def collect_before_scrape(self, callback: Callable[[], None],
                              min_interval: float = 0.0) -> None:
        """Call ``callback`` before a scrape renders (it sets the gauges
        that are read, not pushed), at most every ``min_interval``
        seconds: scrapes in between serve the last values."""
        self._before_scrape.append(_Throttled(callback, min_interval))

    def render(self) -> bytes:
        """The registry in the Prometheus text format (a scrape)."""
        for callback in self._before_scrape:
            try:
                callback()
            except Exception:
                # A gauge that cannot be read keeps its last value; the
                # scrape still answers with everything else.
                LOG.exception('Reading metrics for a scrape failed; '
                              'serving the last values')
        return prometheus_client.generate_latest(self.registry)


def _by_kind(items: Iterable[Received]) -> collections.Counter[
        tuple[str | None, str | None]]:
    return collections.Counter((i.exchange, i.event_type) for i in items)


def _epoch(timestamp: str | None) -> float | None:
    """Epoch seconds of an event's timestamp; None if it is not one."""
    when = _time.parse(timestamp)
    return None if when is None else when.timestamp()
