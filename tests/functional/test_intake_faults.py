"""Intake under faults, on real servers: nothing lost, nothing acked early.

The RabbitMQ and PostgreSQL that these tests break are private ones
(:mod:`tests.functional.private_services`), never the shared services;
each is stopped in a ``finally`` (its context manager), and each test is
bounded in count and time. Counts are exact: every notification sent is
journaled once, every match has exactly one execution.
"""

import copy
import json
import pathlib
import time

import sqlalchemy as sa

from pratai_bridge.events import decode
from pratai_bridge.journal import Journal
from tests.functional import rabbit
from tests.functional.private_services import PrivatePostgres
from tests.functional.private_services import PrivateRabbit
from tests.functional.private_services import queue_depth
from tests.unit import samples

CREATE = decode.load_file(str(samples.path(
    'nova-legacy/compute.instance.create.end.ceilometer-tests.json')),
    'nova')
SUBSCRIPTION = """
subscriptions:
  - name: on-create
    function: hello
    filters:
      - event_type: compute.instance.create.end
"""
#: only the nova exchange: fewer queues to watch
NOVA_ONLY = '[listener]\ntargets = nova:notifications\n'


def _send(publisher, first: int, count: int) -> None:
    """``count`` legacy instance-create notifications, instances
    ``i-<first>``...: distinct events, one execution each."""
    for n in range(first, first + count):
        payload = copy.deepcopy(CREATE.payload)
        payload['instance_id'] = f'i-{n}'
        publisher.publish('nova', 'notifications', 'info',
                          CREATE.publisher_id, CREATE.event_type, payload)


def _count_until(journal: Journal, key: str, count: int,
                 timeout: float) -> int:
    """Poll the journal's count of ``key`` until it reaches ``count``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = journal.counts()[key]
        except sa.exc.OperationalError:
            found = -1  # the journal's database is away
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _rss_kib(pid: int) -> int:
    for line in pathlib.Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    raise AssertionError(f'no VmRSS for {pid}')


def test_rabbitmq_dropping_connections_and_restarting_loses_nothing(
        tmp_path, make_bridge):
    with PrivateRabbit() as broker:
        publisher = rabbit.make_publisher(broker.url)
        bridge = make_bridge(NOVA_ONLY, transport_url=broker.url)
        bridge.subscribe('10.yaml', SUBSCRIPTION)
        journal = Journal(f'sqlite:///{bridge.root}/journal.sqlite')
        try:
            bridge.start()
            journal.start(upgrade=False)
            # Connections dropped with a stream in flight.
            _send(publisher, 0, 300)
            broker.ctl('close_all_connections', 'pratai fault test')
            _send(publisher, 300, 300)
            assert _count_until(journal, 'executions', 600, 60) == 600
            # The broker's app stopped and started: the bridge
            # reconnects by itself and takes what is sent after.
            broker.ctl('stop_app')
            time.sleep(2)
            broker.ctl('start_app')
            broker.await_startup()
            publisher.close()
            publisher = rabbit.make_publisher(broker.url)
            deadline = time.monotonic() + 60
            sent = 0
            # The bridge's queue comes back when it has reconnected;
            # until then a notification has no queue to go to.
            while time.monotonic() < deadline:
                _send(publisher, 10_000 + sent, 1)
                sent += 1
                if _count_until(journal, 'events', 601, 0.5) >= 601:
                    break
            _send(publisher, 20_000, 200)
            total = 600 + 200
            assert _count_until(journal, 'events', total + 1, 60) >= (
                total + 1)
            counts = journal.counts()
            # Exactly once each: the messages of the dropped connection
            # were redelivered and added nothing twice.
            assert counts['executions'] == counts['events']
            assert 'Unknown' not in bridge.log_text()
            assert bridge.stop() == 0
        finally:
            publisher.close()
            journal.stop()
            bridge.cleanup()


def test_postgresql_away_for_20s_acks_nothing_and_loses_nothing(
        tmp_path, make_bridge, publisher):
    with PrivatePostgres() as pg:
        bridge = make_bridge(
            f'{NOVA_ONLY}\n[journal]\nconnection = {pg.url}\n'
            '[dispatcher]\nstop_timeout = 10\n')
        bridge.subscribe('10.yaml', SUBSCRIPTION)
        queue = f'{bridge.pool}.nova'
        journal = Journal(pg.url)
        try:
            bridge.start()
            journal.start(upgrade=False)
            _send(publisher, 0, 200)
            assert _count_until(journal, 'executions', 200, 60) == 200
            _wait_for_acks(queue)
            rss_before = _rss_kib(bridge.process.pid)
            pg.stop()
            started = time.monotonic()
            # A backlog far past the prefetch arrives while it is away.
            _send(publisher, 200, 3000)
            time.sleep(3)
            first = _queue_total(queue)
            rss_away = _rss_kib(bridge.process.pid)
            time.sleep(max(0.0, 20 - (time.monotonic() - started)))
            # Nothing was acked while it was away: every message is still
            # in RabbitMQ, and the bridge holds no more than its prefetch.
            ready, unacked = queue_depth(queue)
            assert ready + unacked == first == 3000
            assert unacked <= 300
            assert rss_away - rss_before < 30 * 1024, (rss_before, rss_away)
            pg.start()
            assert _count_until(journal, 'events', 3200, 90) == 3200
            executions = journal.list_executions()
            assert len({e.message_id for e in executions}) == 3200
            assert len(executions) == 3200, _twice(executions)
            assert 'Journal back' in bridge.log_text()
            assert bridge.stop() == 0
        finally:
            journal.stop()
            bridge.cleanup()


def _twice(executions) -> list:
    """The executions that share an event and a subscription."""
    seen: dict = {}
    for execution in executions:
        seen.setdefault((execution.message_id, execution.subscription),
                        []).append(execution)
    return [found for found in seen.values() if len(found) > 1]


def _wait_for_acks(queue: str, timeout: float = 10) -> None:
    """Until the acks of what was journaled reached RabbitMQ."""
    deadline = time.monotonic() + timeout
    while queue_depth(queue) != (0, 0):
        assert time.monotonic() < deadline, queue_depth(queue)
        time.sleep(0.2)


def _queue_total(name: str) -> int:
    return sum(queue_depth(name))


# A filter plugin with a bug, installed as a real distribution (entry
# point and all) on the daemon's PYTHONPATH.
_PLUGIN = '''
from pratai_bridge.filters.base import Filter


class OddInstances(Filter):
    """Raises on instances whose number is odd."""

    def match(self, document):
        if int(document["resource_id"].rsplit("-", 1)[1]) % 2:
            raise RuntimeError("plugin bug")
        return True
'''
BUGGY = SUBSCRIPTION + """
  - name: buggy
    function: hello
    filters:
      - event_type: compute.instance.create.end
      - odd_instances: {}
"""


def _install_plugin(root: pathlib.Path) -> str:
    site = root / 'plugins'
    info = site / 'pratai_fault_filter-1.0.dist-info'
    info.mkdir(parents=True)
    (site / 'pratai_fault_filter.py').write_text(_PLUGIN)
    (info / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: pratai-fault-filter\nVersion: 1.0\n')
    (info / 'entry_points.txt').write_text(
        '[pratai_bridge.filters]\n'
        'odd_instances = pratai_fault_filter:OddInstances\n')
    return str(site)


def test_a_raising_filter_plugin_holds_back_no_other_subscription(
        tmp_path, make_bridge, publisher):
    bridge = make_bridge(NOVA_ONLY)
    bridge.env['PYTHONPATH'] = _install_plugin(tmp_path)
    bridge.subscribe('10.yaml', BUGGY)
    journal = Journal(f'sqlite:///{bridge.root}/journal.sqlite')
    try:
        bridge.start()
        journal.start(upgrade=False)
        _send(publisher, 0, 100)
        assert _count_until(journal, 'executions', 150, 60) == 150
        # Every event went to on-create; buggy matched the 50 it did not
        # raise on, and the other 50 carry the failure.
        by_subscription = {
            name: len(journal.list_executions(subscription=name))
            for name in ('on-create', 'buggy')}
        assert by_subscription == {'on-create': 100, 'buggy': 50}
        assert journal.counts()['rejected'] == 0
        failed = [journal.get_event(e.message_id) for e in
                  journal.list_executions(subscription='on-create')]
        errors = [s.filter_errors for s in failed if s.filter_errors]
        assert len(errors) == 50
        assert {json.dumps(e, sort_keys=True) for e in errors} == {
            json.dumps([{'subscription': 'buggy', 'filter': 'odd_instances',
                         'error': 'RuntimeError: plugin bug'}],
                       sort_keys=True)}
        assert bridge.log_text().count('raised on event') == 50
        assert bridge.stop() == 0
    finally:
        journal.stop()
        bridge.cleanup()
