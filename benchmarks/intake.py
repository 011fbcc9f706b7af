"""Intake: notifications/s the bridge takes from a RabbitMQ backlog.

For each consumer below, a backlog of N notifications (a mix of the
samples: Nova legacy and versioned, Swift PUT and GET, Aodh) is published
with a real oslo.messaging Notifier into the consumer's own pooled queues
while it is stopped; then the consumer starts and the clock runs until the
whole backlog is handled:

* ``oslo-listener``: the plain oslo.messaging notification listener
  (threading executor) with an endpoint that only counts: the baseline.
* ``oslo-batch-listener``: the same with the batch listener (batch 100).
* ``event-side``: pratai-bridge's listeners, pipeline and journal:
  received, normalized, matched against the subscriptions (100, or
  ``--subscriptions N``), journaled (SQLite) and acked.
* ``bridge``: the whole service, the dispatcher too, taking the
  executions of the matched third of the mix as they are journaled (their
  functions are not in the store, so each ends as an error at once): what
  intake costs while the bridge also works through what it matched.
* ``raw-kombu``: a bare kombu consumer on the same pooled queues
  (prefetch 1000, JSON decode, ack each): the floor the broker allows.
* ``event-side-normal`` (with ``--sync``): the event side with SQLite at
  ``synchronous=NORMAL``, to show what FULL (the bridge's) costs.

``--journal URL`` runs the event side and the bridge on that journal (a
PostgreSQL database) instead of SQLite. ``--latency N`` also times N lone
notifications, paced, from publish to journaled (``received_at`` is not
used: the clock is the benchmark's, polling the journal every 1 ms).

The subscriptions are loaded and compiled before the clock starts, as a
daemon does once at start-up (``benchmarks/matcher.py`` times that).

Usage: python benchmarks/intake.py [--messages 10000] [--runs 3]
       [--subscriptions 100] [--journal URL] [--sync] [--latency 20]
       [--kinds oslo-batch-listener,event-side,...]
Prints each run and the medians, and the bridge's ratio to the baseline.
"""

import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import threading
import time
import uuid

import kombu
import oslo_messaging
from oslo_config import cfg

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _bridge_conf  # noqa: E402
from pratai_bridge import publish  # noqa: E402
from pratai_bridge.events import decode  # noqa: E402
from pratai_bridge.journal import _engine  # noqa: E402
from pratai_bridge.listener import PRIORITIES  # noqa: E402
from pratai_bridge.listener import drain  # noqa: E402
from pratai_bridge.listener import parse_targets  # noqa: E402
from pratai_bridge.listener import queue_name  # noqa: E402
from pratai_bridge.journal import Journal  # noqa: E402
from pratai_bridge.listener import NotificationListener  # noqa: E402
from pratai_bridge.service import BridgeService  # noqa: E402
from pratai_bridge.service import make_pipeline  # noqa: E402
from tests.functional import rabbit  # noqa: E402
from tests.unit import samples  # noqa: E402

MIX = [
    ('nova-legacy/compute.instance.create.end.ceilometer-tests.json',
     'nova', 'notifications'),
    ('nova-versioned/instance-create-end.json', 'nova',
     'versioned_notifications'),
    ('nova-versioned/instance-power_off-end.json', 'nova',
     'versioned_notifications'),
    ('swift-ceilometermiddleware/objectstore.http.request.PUT.json',
     'swift', 'notifications'),
    ('swift-ceilometermiddleware/objectstore.http.request.GET.json',
     'swift', 'notifications'),
    ('aodh/alarm.update.threshold-alarm.json', 'aodh', 'alarming'),
    ('aodh/alarm.state_transition.evaluator-threshold-alarm.json', 'aodh',
     'notifications'),
]
TARGETS = sorted({f'{exchange}:{topic}' for _, exchange, topic in MIX})
SHARED_QUEUES = [f'{target.split(":")[1]}.{priority}'
                 for target in TARGETS for priority in PRIORITIES]


def subscriptions_yaml(count: int) -> str:
    """``count`` subscriptions in the shapes operators write."""
    kinds = [
        "event_type: [compute.instance.{n}.end, instance.{n}.end]",
        "event_type: objectstore.http.request\n"
        "      - pattern: {{details: {{container: [bucket-{n}]}}}}",
        "event_type: alarm.*\n"
        "      - pattern: {{details: {{alarm_name: [alarm-{n}]}}}}",
        "pattern: {{payload: {{nova_object.data: {{host: [host-{n}]}}}}}}",
    ]
    lines = ['subscriptions:']
    for n in range(count - 3):
        lines += [f'  - name: sub-{n}', f'    function: fn-{n % 10}',
                  '    filters:',
                  '      - ' + kinds[n % len(kinds)].format(n=n)]
    lines += [  # and three that match part of the mix
        '  - name: created', '    function: hello', '    filters:',
        '      - event_type: [compute.instance.create.end, '
        'instance.create.end]',
        '  - name: uploads', '    function: thumbnail', '    filters:',
        '      - event_type: objectstore.http.request',
        '      - pattern: {details: {method: [PUT]}}',
        '  - name: alarms', '    function: scale', '    filters:',
        '      - event_type: alarm.update']
    return '\n'.join(lines) + '\n'


def publish_backlog(publisher: publish.Publisher, count: int) -> float:
    notes = [(decode.load_file(str(samples.path(rel)), ex), ex, t)
             for rel, ex, t in MIX]
    start = time.monotonic()
    for i in range(count):
        n, exchange, topic = notes[i % len(notes)]
        publisher.publish(exchange, topic, n.priority, n.publisher_id,
                          n.event_type, n.payload)
    return count / (time.monotonic() - start)


class CountingEndpoint:
    """Counts what it is handed; the cheapest possible consumer."""

    def __init__(self, batch: bool) -> None:
        self.count = 0
        self._lock = threading.Lock()
        for priority in PRIORITIES:
            setattr(self, priority, self._batch if batch else self._one)

    def _one(self, ctxt, publisher_id, event_type, payload, metadata):
        with self._lock:
            self.count += 1

    def _batch(self, messages):
        with self._lock:
            self.count += len(messages)


class RawConsumer:
    def __init__(self, conf: cfg.ConfigOpts, pool: str, batch: bool):
        self.endpoint = CountingEndpoint(batch)
        self._conf, self._pool, self._batch = conf, pool, batch
        self._listeners: list = []

    def start(self) -> None:
        transport = oslo_messaging.get_notification_transport(self._conf)
        for exchange, topics in parse_targets(TARGETS).items():
            targets = [oslo_messaging.Target(exchange=exchange, topic=t)
                       for t in topics]
            pool = queue_name(self._pool, exchange)
            if self._batch:
                listener = oslo_messaging.get_batch_notification_listener(
                    transport, targets, [self.endpoint], executor='threading',
                    pool=pool, batch_size=100, batch_timeout=0.2)
            else:
                listener = oslo_messaging.get_notification_listener(
                    transport, targets, [self.endpoint], executor='threading',
                    pool=pool)
            listener.start()
            self._listeners.append(listener)

    def handled(self) -> int:
        return self.endpoint.count

    def stop(self) -> None:
        drain(self._listeners)
        self._listeners = []


class KombuConsumer:
    """A bare kombu consumer: prefetch 1000, JSON decode, ack each."""

    def __init__(self, pool: str) -> None:
        self._queues = [queue_name(pool, ex) for ex in parse_targets(TARGETS)]
        self._count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    def start(self) -> None:
        self._stop.clear()
        self._started.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._started.wait(30)

    def _run(self) -> None:
        with kombu.Connection(rabbit.URL.replace('rabbit://', 'amqp://',
                                                 1)) as conn:
            channel = conn.channel()
            channel.basic_qos(0, 1000, False)

            def on_message(body, message):
                # kombu decoded the envelope (application/json); the
                # notification inside is JSON text again.
                outer = body if isinstance(body, dict) else json.loads(body)
                json.loads(outer['oslo.message'])
                message.ack()
                self._count += 1

            # The queues exist (the oslo listener of the first start
            # declared them): consume them as they are.
            queues = [kombu.Queue(name, channel=channel, no_declare=True)
                      for name in self._queues]
            with kombu.Consumer(channel, queues, callbacks=[on_message],
                                accept=None):
                self._started.set()
                while not self._stop.is_set():
                    try:
                        conn.drain_events(timeout=0.2)
                    except TimeoutError:
                        pass

    def handled(self) -> int:
        return self._count

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)


class EventSideConsumer:
    """BridgeService's stages but the dispatcher: the intake path alone."""

    def __init__(self, conf: cfg.ConfigOpts):
        self._conf = conf
        self.journal = Journal(conf.journal.connection)
        # Loaded once, outside the timed start (see the module doc).
        self._pipeline = make_pipeline(conf, self.journal)
        self._listener: NotificationListener | None = None

    def start(self) -> None:
        self.journal.start()
        self._listener = NotificationListener(self._conf, self._pipeline)
        self._listener.start()

    def handled(self) -> int:
        counts = self.journal.counts()
        return counts['events'] + counts['rejected']

    def stop(self) -> None:
        assert self._listener is not None
        self._listener.stop()
        self.journal.stop()


class BridgeConsumer:
    def __init__(self, conf: cfg.ConfigOpts):
        self._conf = conf
        self.service = BridgeService(conf)
        self._next: BridgeService | None = self.service

    def start(self) -> None:
        # A service starts once, as a process does: a new one each time,
        # built (subscriptions loaded) before the clock starts.
        self.service = self._next or BridgeService(self._conf)
        self._next = None
        self.service.start()

    def handled(self) -> int:
        counts = self.service.journal.counts()
        return counts['events'] + counts['rejected']

    def stop(self) -> None:
        self.service.stop()
        self._next = BridgeService(self._conf)


def _conf(workdir, subscriptions: int, pool: str,
          journal: str | None) -> cfg.ConfigOpts:
    conf = _bridge_conf.make(workdir / pool,
                             subscriptions_yaml(subscriptions), TARGETS, pool)
    if journal:
        conf.set_override('connection', journal, group='journal')
    # Nothing dispatches in the event-side runs: the pending executions
    # would pause intake (the bound is the dispatcher's to keep).
    conf.set_override('max_pending_executions', 0, group='listener')
    return conf


def measure(kind: str, messages: int, publisher, workdir,
            subscriptions: int = 100, journal: str | None = None) -> float:
    pool = f'pratai-bench-{uuid.uuid4().hex[:8]}'
    if journal:  # a fresh schema of its own for each run
        journal = _fresh_schema(journal, pool)
    conf = _conf(workdir, subscriptions, pool, journal)
    _engine.SQLITE_SYNCHRONOUS = 'NORMAL' if kind.endswith('-normal') \
        else 'FULL'
    if kind == 'bridge':
        consumer = BridgeConsumer(conf)
    elif kind.startswith('event-side'):
        consumer = EventSideConsumer(conf)
    elif kind == 'raw-kombu':
        consumer = _KombuAfterDeclare(conf, pool)
    else:
        consumer = RawConsumer(conf, pool, batch='batch' in kind)
    queues = [queue_name(pool, ex) for ex in parse_targets(TARGETS)]
    try:
        # A first start declares the pooled queues; stopped, they keep
        # every message published meanwhile: the backlog.
        consumer.start()
        consumer.stop()
        before = consumer.handled()
        # The Notifier also fills the shared <topic>.<priority> queues no
        # one consumes here; empty them so RabbitMQ does not page to disk.
        rabbit.purge_queues(SHARED_QUEUES)
        publish_backlog(publisher, messages)
        start = time.monotonic()
        consumer.start()
        deadline = start + 600
        while consumer.handled() - before < messages:
            if time.monotonic() > deadline:
                raise RuntimeError(f'{kind}: backlog not drained in 600 s')
            time.sleep(0.02)
        elapsed = time.monotonic() - start
        consumer.stop()
    finally:
        rabbit.delete_queues(queues)
        _engine.SQLITE_SYNCHRONOUS = 'FULL'
    return messages / elapsed


class _KombuAfterDeclare:
    """The kombu consumer, its queues declared (and bound) first by an
    oslo listener that starts and stops, like the other kinds'."""

    def __init__(self, conf: cfg.ConfigOpts, pool: str) -> None:
        self._declare: RawConsumer | None = RawConsumer(conf, pool, True)
        self._kombu = KombuConsumer(pool)

    def start(self) -> None:
        if self._declare is not None:
            self._declare.start()
            self._declare.stop()
            self._declare = None
            return
        self._kombu.start()

    def handled(self) -> int:
        return self._kombu.handled()

    def stop(self) -> None:
        self._kombu.stop()


def _fresh_schema(url: str, name: str) -> str:
    """``url`` with its own PostgreSQL schema ``name`` (dropped at exit)."""
    import atexit
    import sqlalchemy as sa
    schema = name.replace('-', '_')
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA {schema}')

    def drop() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA {schema} CASCADE')
        engine.dispose()

    atexit.register(drop)
    separator = '&' if '?' in url else '?'
    return f'{url}{separator}options=-csearch_path%3D{schema}'


def lone_latency(count: int, publisher, workdir, journal: str | None
                 ) -> list[float]:
    """Seconds from publish to journaled, one notification at a time on
    a quiet bus, through the event side."""
    pool = f'pratai-bench-{uuid.uuid4().hex[:8]}'
    if journal:
        journal = _fresh_schema(journal, pool)
    consumer = EventSideConsumer(_conf(workdir, 100, pool, journal))
    queues = [queue_name(pool, ex) for ex in parse_targets(TARGETS)]
    note = decode.load_file(str(samples.path(MIX[0][0])), 'nova')
    latencies = []
    try:
        consumer.start()
        for _ in range(count):
            before = consumer.handled()
            start = time.monotonic()
            publisher.publish('nova', 'notifications', note.priority,
                              note.publisher_id, note.event_type,
                              note.payload)
            while consumer.handled() == before:
                if time.monotonic() - start > 10:
                    raise RuntimeError('a lone notification took > 10 s')
                time.sleep(0.001)
            latencies.append(time.monotonic() - start)
            time.sleep(0.2)  # quiet again
        consumer.stop()
    finally:
        rabbit.delete_queues(queues)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--messages', type=int, default=10000)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--subscriptions', type=int, default=100,
                        help='generated subscriptions the bridge matches '
                             'against (e.g. 10000)')
    parser.add_argument('--journal', help='a PostgreSQL URL for the '
                        'journal (default: SQLite in a temporary directory)')
    parser.add_argument('--sync', action='store_true',
                        help='also event-side-normal: SQLite NORMAL')
    parser.add_argument('--latency', type=int, default=0,
                        help='also time this many lone notifications')
    parser.add_argument('--kinds', help='comma-separated kinds to run')
    args = parser.parse_args()
    publisher = rabbit.make_publisher()
    kinds = ['oslo-listener', 'oslo-batch-listener', 'raw-kombu',
             'event-side', 'bridge']
    if args.sync:
        kinds.append('event-side-normal')
    if args.kinds:
        kinds = args.kinds.split(',')
    rates: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for kind in kinds:
                rate = measure(kind, args.messages, publisher,
                               pathlib.Path(tmp), args.subscriptions,
                               args.journal)
                rates[kind].append(rate)
                print(f'run {run + 1} {kind:20s} {rate:8.0f} msg/s',
                      flush=True)
        latencies = (lone_latency(args.latency, publisher, pathlib.Path(tmp),
                                  args.journal) if args.latency else [])
    publisher.close()
    rabbit.purge_queues(SHARED_QUEUES)
    journal = 'PostgreSQL' if args.journal else 'SQLite FULL'
    print(f'\nmedians over {args.runs} runs of {args.messages} messages '
          f'({args.subscriptions} subscriptions, {journal} journal):')
    medians = {k: statistics.median(v) for k, v in rates.items()}
    for kind in kinds:
        print(f'  {kind:20s} {medians[kind]:8.0f} msg/s')
    for kind in ('event-side', 'bridge', 'event-side-normal'):
        for baseline in ('oslo-batch-listener', 'raw-kombu'):
            if kind in medians and baseline in medians:
                print(f'  {kind} / {baseline} = '
                      f'{medians[kind] / medians[baseline]:.2f}')
    if 'event-side-normal' in medians and 'event-side' in medians:
        print(f'  SQLite FULL / NORMAL = '
              f'{medians["event-side"] / medians["event-side-normal"]:.2f}')
    if latencies:
        print(f'lone notification, publish to journaled ({len(latencies)}, '
              f'paced): median {statistics.median(latencies) * 1000:.1f} ms,'
              f' max {max(latencies) * 1000:.1f} ms')


if __name__ == '__main__':
    main()
