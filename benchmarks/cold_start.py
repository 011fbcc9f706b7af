"""Cold start: a notification published to the function's main() entered.

One function, whose image is built before the clock starts, returns
``time.time()`` as the first thing its ``main()`` does; the machine's one
clock dates both ends. Each round measures, in turn:

* ``pipeline``: a real oslo.messaging Notifier publishes on the real
  RabbitMQ; the bridge service (listener, normalizer, matcher, journal,
  dispatcher, docker runner: the daemon's own objects, in this process)
  takes it, and a fresh container runs the function. Split into
  ``intake`` (published to the execution journaled, which includes the
  listener's batch_timeout) and ``dispatch+run`` (journaled to main()).
* ``runner.run``: the docker runner alone, from the call to main().
* ``docker run``: a bare ``docker run --rm --network none --memory 128m
  --read-only`` of the same image running ``python3 -c`` that prints the
  time: the floor, measured in the same run; ``docker run (wall)`` is
  until that command exits.

Usage: python benchmarks/cold_start.py [--runs 9]
Needs RabbitMQ and dockerd (python3 tools/services.py start docker).
Prints each round, the medians, and the pipeline's ratio to the floor.
"""

import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from oslo_config import cfg

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _bridge_conf  # noqa: E402
from pratai_bridge import publish  # noqa: E402
from pratai_bridge.runners.docker import builder  # noqa: E402
from pratai_bridge import deploy  # noqa: E402
from pratai_bridge.runners.base import Limits  # noqa: E402
from pratai_bridge.service import BridgeService  # noqa: E402
from tests.functional import rabbit  # noqa: E402
from tests.unit.functions.zips import make_zip  # noqa: E402

EVENT_TYPE = 'bench.cold_start'
SOURCE = 'import time\ndef main(payload=None):\n    return time.time()\n'
SUBSCRIPTION = f"""subscriptions:
  - name: cold
    function: cold
    filters:
      - event_type: {EVENT_TYPE}
    delivery: {{max_attempts: 1}}
"""


def make_conf(workdir: pathlib.Path) -> cfg.ConfigOpts:
    return _bridge_conf.make(workdir, SUBSCRIPTION, ['nova:notifications'],
                             f'pratai-bench-{uuid.uuid4().hex[:8]}')


def through_pipeline(service: BridgeService, publisher: publish.Publisher,
                     round_no: int) -> tuple[float, float]:
    """(intake, dispatch+run) seconds of one notification."""
    published = time.time()
    publisher.publish('nova', 'notifications', 'info', 'bench.cold',
                      EVENT_TYPE, {'round': round_no})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = [e for e in service.journal.list_executions(function='cold')
                if e.status != 'pending' and e.status != 'running']
        if len(done) > round_no:
            execution = done[0]
            if execution.status != 'succeeded':
                raise SystemExit(f'the function failed: {execution}')
            journaled = execution.created_at.timestamp()
            return journaled - published, execution.result - journaled
        time.sleep(0.005)
    raise SystemExit('no execution after 60 s')


def through_runner(service: BridgeService, function) -> float:
    called = time.time()
    outcome = service.runner.run(function, {}, Limits(128, 30))
    return outcome.result - called


def bare_docker_run(image: str) -> tuple[float, float]:
    """(python entered, command done) seconds of a bare docker run."""
    started = time.time()
    done = subprocess.run(
        ['docker', 'run', '--rm', '--network', 'none', '--memory', '128m',
         '--read-only', '--entrypoint', 'python3', image, '-c',
         'import time; print(time.time())'],
        capture_output=True, text=True, check=True)
    ended = time.time()
    return float(done.stdout) - started, ended - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=9)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {
        'pipeline': [], '  intake': [], '  dispatch+run': [],
        'runner.run': [], 'docker run': [], 'docker run (wall)': []}
    with tempfile.TemporaryDirectory(prefix='pratai-cold-') as tmp:
        conf = make_conf(pathlib.Path(tmp))
        service = BridgeService(conf)
        data = make_zip({'handler.py': SOURCE})
        function = deploy.create_function(conf, service.store, 'cold',
                                             data)
        started = time.monotonic()
        service.runner.prepare(function, data)
        image = builder.image_tag(function.sha256)
        print(f'image {image[:31]}... ready in '
              f'{time.monotonic() - started:.1f} s')
        publisher = publish.Publisher(rabbit.URL)
        service.start()
        try:
            # One unmeasured round: queues, connections, first imports.
            through_pipeline(service, publisher, 0)
            for n in range(1, args.runs + 1):
                intake, run = through_pipeline(service, publisher, n)
                direct = through_runner(service, function)
                entered, wall = bare_docker_run(image)
                values = (intake + run, intake, run, direct, entered, wall)
                for name, value in zip(rows, values, strict=True):
                    rows[name].append(value)
                print(f'round {n}: ' + ', '.join(
                    f'{name.strip()} {values[-1]:.3f}'
                    for name, values in rows.items()))
        finally:
            service.stop()
            publisher.close()
            service.runner.forget(function)
            rabbit.delete_queues([f'{conf.listener.pool}.nova'])
    print(f'\nmedians of {args.runs} runs (seconds):')
    medians = {name: statistics.median(v) for name, v in rows.items()}
    for name, value in medians.items():
        print(f'  {name:20} {value:.3f}')
    print(f'pipeline / bare docker run: '
          f'{medians["pipeline"] / medians["docker run"]:.1f}x '
          f'(main() entered); pipeline / docker run (wall): '
          f'{medians["pipeline"] / medians["docker run (wall)"]:.1f}x')


if __name__ == '__main__':
    main()
