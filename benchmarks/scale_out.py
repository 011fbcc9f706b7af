"""Intake with one, two and three bridges sharing one pool and one journal.

For each count of bridges, that many ``pratai-bridge`` daemons (separate
processes: threads of one would share its interpreter lock) consume
through one listener pool from the test RabbitMQ and journal into one
PostgreSQL database made for the run (and dropped after it). The bridges
are started, then stopped with SIGSTOP while a backlog of N notifications
(a Nova notification no subscription takes, so the dispatcher stays idle;
100 subscriptions are loaded and matched against each) is published on a
topic of the run's own; SIGCONT lets them go, and the clock runs until
the journal holds all N events. Each run prints its rate; the medians and
their ratio to one bridge (the baseline, measured in the same run) close.

Usage: python benchmarks/scale_out.py [--messages 6000] [--runs 3]
       [--bridges 1,2,3]
Needs RabbitMQ and PostgreSQL (python3 tools/services.py start).
"""

import argparse
import os
import pathlib
import signal
import statistics
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.intake import subscriptions_yaml  # noqa: E402
from tests.functional import rabbit  # noqa: E402
from tests.functional.bridge import Bridge  # noqa: E402

ADMIN_URL = os.environ.get(
    'PRATAI_TEST_POSTGRESQL',
    'postgresql+psycopg2://postgres@127.0.0.1:5432/test')
EVENT_TYPE = 'compute.instance.exists'  # no subscription takes it


def _events(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text('SELECT count(*) FROM events')
                                ).scalar_one()
    finally:
        engine.dispose()


def one_run(workdir: pathlib.Path, bridges: int, messages: int,
            publisher) -> float:
    """Notifications/s that ``bridges`` bridges journal from a backlog."""
    admin = sa.create_engine(ADMIN_URL, isolation_level='AUTOCOMMIT')
    name = f'pratai_bench_{uuid.uuid4().hex[:10]}'
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE {name}'))
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(
        hide_password=False)
    topic = f'bench-scale-{uuid.uuid4().hex[:8]}'
    pool = rabbit.new_pool()
    made = [Bridge(workdir / f'{name}-{n}', f"""[journal]
connection = {url}
[runner]
driver = local
[listener]
targets = nova:{topic}
""", pool=pool) for n in range(bridges)]
    try:
        for bridge in made:
            bridge.subscribe('bench.yaml', subscriptions_yaml(100))
            bridge.start(timeout=60)
        for bridge in made:
            bridge.signal(signal.SIGSTOP)
        for n in range(messages):
            publisher.publish('nova', topic, 'info', 'compute.host1',
                              EVENT_TYPE, {'instance_id': f'i-{n}',
                                           'tenant_id': 'p1'})
        started = time.monotonic()
        for bridge in made:
            bridge.signal(signal.SIGCONT)
        while _events(url) < messages:
            if time.monotonic() - started > 300:
                raise RuntimeError(f'{bridges} bridges: not all journaled '
                                   'in 300 s')
            time.sleep(0.02)
        return messages / (time.monotonic() - started)
    finally:
        for bridge in made:
            if bridge.process is not None:
                bridge.signal(signal.SIGCONT)
            bridge.stop()
        rabbit.delete_queues([f'{pool}.nova', f'{topic}.info'])
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS {name} '
                                 'WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--messages', type=int, default=6000)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--bridges', default='1,2,3')
    args = parser.parse_args()
    counts = [int(n) for n in args.bridges.split(',')]
    rabbit.require_rabbitmq()
    publisher = rabbit.make_publisher()
    rates: dict[int, list[float]] = {n: [] for n in counts}
    try:
        with tempfile.TemporaryDirectory(prefix='pratai-bench-') as tmp:
            for run in range(args.runs):
                for n in counts:  # interleaved: drift hits each alike
                    rate = one_run(pathlib.Path(tmp), n, args.messages,
                                   publisher)
                    rates[n].append(rate)
                    print(f'run {run + 1} {n} bridge(s) {rate:8.0f} msg/s',
                          flush=True)
    finally:
        publisher.close()
    print(f'\nmedians over {args.runs} runs of {args.messages} messages, '
          f'{os.cpu_count()} CPUs:')
    medians = {n: statistics.median(rates[n]) for n in counts}
    for n in counts:
        print(f'  {n} bridge(s) {medians[n]:8.0f} msg/s   '
              f'x{medians[n] / medians[counts[0]]:.2f} of '
              f'{counts[0]} bridge(s)')


if __name__ == '__main__':
    main()
