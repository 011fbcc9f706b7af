"""Intake across outages: the daemon's memory behind a journal outage, and
how soon it takes notifications again when RabbitMQ comes back.

* ``journal outage``: the real ``pratai-bridge`` daemon on a PostgreSQL
  journal of its own (a private cluster, see
  ``tests/functional/private_services.py``); the cluster stops, a backlog
  of ``--backlog`` notifications (50,000) is published, and the outage
  goes on ``--outage`` s (30) after the last is published; the daemon's
  RSS is sampled every 0.2 s throughout, and the messages RabbitMQ counts
  unacked on its queue every second of the outage. Printed: RSS before,
  peak during, the growth, the most messages unacked on its queue
  (RabbitMQ's count: what it holds), and seconds from the journal's
  return to the whole backlog journaled (``max_pending_executions`` is
  off: the pace is the intake's).
* ``rabbitmq return``: the daemon on a RabbitMQ node of its own, whose app
  is stopped and started (``rabbitmqctl stop_app`` / ``start_app``); from
  the moment the node answers again, a notification is published every
  20 ms until the first one is journaled. Printed: those seconds (the
  daemon's reconnection, its queues declared again, one notification
  through), median of ``--runs``.

Usage: python benchmarks/intake_outage.py [--backlog 50000] [--outage 30]
       [--runs 3]
"""

import argparse
import copy
import pathlib
import statistics
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pratai_bridge.journal import Journal  # noqa: E402
from tests.functional import rabbit  # noqa: E402
from tests.functional.bridge import Bridge  # noqa: E402
from tests.functional.private_services import PrivatePostgres  # noqa: E402
from tests.functional.private_services import PrivateRabbit  # noqa: E402
from tests.functional.private_services import queue_depth  # noqa: E402
from tests.functional.test_intake_faults import CREATE  # noqa: E402
from tests.functional.test_intake_faults import NOVA_ONLY  # noqa: E402
from tests.functional.test_intake_faults import SUBSCRIPTION  # noqa: E402


def _rss_kib(pid: int) -> int:
    for line in pathlib.Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    raise RuntimeError(f'no VmRSS for {pid}')


def _send(publisher, first: int, count: int) -> None:
    for n in range(first, first + count):
        payload = copy.deepcopy(CREATE.payload)
        payload['instance_id'] = f'i-{n}'
        publisher.publish('nova', 'notifications', 'info',
                          CREATE.publisher_id, CREATE.event_type, payload)


def _events(journal: Journal) -> int:
    return journal.counts()['events']


def journal_outage(backlog: int, outage: float, workdir: pathlib.Path
                   ) -> dict[str, float]:
    publisher = rabbit.make_publisher()
    with PrivatePostgres() as pg:
        # No bound on pending executions: the figure is the intake's, not
        # the dispatcher's pace (its functions do not exist: each errs).
        bridge = Bridge(workdir / 'outage',
                        f'{NOVA_ONLY}max_pending_executions = 0\n'
                        f'[journal]\nconnection = {pg.url}\n')
        bridge.subscribe('10.yaml', SUBSCRIPTION)
        journal = Journal(pg.url)
        queue = f'{bridge.pool}.nova'
        peak = [0, 0]  # RSS KiB, unacked
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.2):
                assert bridge.process is not None
                peak[0] = max(peak[0], _rss_kib(bridge.process.pid))

        try:
            bridge.start()
            journal.start(upgrade=False)
            _send(publisher, 0, 100)  # warm: the daemon at work once
            while _events(journal) < 100:
                time.sleep(0.1)
            time.sleep(1)
            before = _rss_kib(bridge.process.pid)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            pg.stop()
            stopped = time.monotonic()
            _send(publisher, 100, backlog)
            published = time.monotonic() - stopped
            while time.monotonic() - stopped < published + outage:
                peak[1] = max(peak[1], queue_depth(queue)[1])
                time.sleep(1)
            pg.start()
            back = time.monotonic()
            while _safe_events(journal) < backlog + 100:
                if time.monotonic() - back > 600:
                    raise RuntimeError('backlog not journaled in 600 s')
                time.sleep(0.2)
            drained = time.monotonic() - back
            sampling.set()
            sampler.join()
            bridge.stop(timeout=120)
        finally:
            sampling.set()
            journal.stop()
            bridge.cleanup()
            publisher.close()
    return {'rss_before_mib': before / 1024, 'rss_peak_mib': peak[0] / 1024,
            'unacked_peak': peak[1], 'publish_s': published,
            'drain_s': drained}


def _safe_events(journal: Journal) -> int:
    try:
        return _events(journal)
    except Exception:  # the cluster is still starting
        return -1


def rabbitmq_return(runs: int, workdir: pathlib.Path) -> list[float]:
    seconds = []
    with PrivateRabbit() as broker:
        bridge = Bridge(workdir / 'return', NOVA_ONLY,
                        transport_url=broker.url)
        bridge.subscribe('10.yaml', SUBSCRIPTION)
        journal = Journal(f'sqlite:///{bridge.root}/journal.sqlite')
        try:
            bridge.start()
            journal.start(upgrade=False)
            for run in range(runs):
                broker.ctl('stop_app')
                time.sleep(2)
                broker.ctl('start_app')
                broker.await_startup()
                back = time.monotonic()
                before = _events(journal)
                publisher = rabbit.make_publisher(broker.url)
                n = 0
                try:
                    while _events(journal) == before:
                        if time.monotonic() - back > 120:
                            raise RuntimeError('not back after 120 s')
                        _send(publisher, 100_000 * (run + 1) + n, 1)
                        n += 1
                        time.sleep(0.02)
                finally:
                    publisher.close()
                seconds.append(time.monotonic() - back)
                print(f'run {run + 1}: first journaled {seconds[-1]:.2f} s '
                      'after RabbitMQ answered again', flush=True)
            bridge.stop()
        finally:
            journal.stop()
            bridge.cleanup()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--backlog', type=int, default=50000)
    parser.add_argument('--outage', type=float, default=30.0)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--skip-outage', action='store_true')
    parser.add_argument('--skip-return', action='store_true')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        if not args.skip_outage:
            found = journal_outage(args.backlog, args.outage, workdir)
            print(f'journal outage ({args.backlog} notifications published '
                  f'in {found["publish_s"]:.1f} s, then {args.outage:.0f} s '
                  'more):')
            print(f'  RSS before {found["rss_before_mib"]:.1f} MiB, peak '
                  f'{found["rss_peak_mib"]:.1f} MiB (+'
                  f'{found["rss_peak_mib"] - found["rss_before_mib"]:.1f}), '
                  f'at most {found["unacked_peak"]:.0f} unacked on its '
                  'queue')
            print(f'  backlog journaled {found["drain_s"]:.1f} s after the '
                  'journal returned')
        if args.skip_return:
            return
        seconds = rabbitmq_return(args.runs, workdir)
        print(f'rabbitmq return to first journaled: median '
              f'{statistics.median(seconds):.2f} s over {len(seconds)} runs')


if __name__ == '__main__':
    main()
