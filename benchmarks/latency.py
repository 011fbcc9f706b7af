"""Latency: a notification published to the function's main() entered.

In one run, on the real RabbitMQ and Docker engine, with the bridge
service (listener, normalizer, matcher, journal, dispatcher, docker
runner: the daemon's own objects, in this process) and two functions of
the same trivial code:

* ``warm``: a warm container serves it (after one unmeasured run; its
  ``warm_max_uses`` is high enough that no retirement happens meanwhile);
* ``cold``: ``--warm-pool-size 0``, so each event starts a container of
  its image (the image exists);
* ``docker run``: a bare ``docker run --rm --network none --memory 128m
  --read-only`` of the same image running ``python3 -c`` that prints the
  time, from the command to python running: the floor a cold start is
  measured against, taken in the same rounds.

Rounds are paced (one event at a time, each waited for). The listener's
``batch_timeout`` is at its minimum, 0.01 s, and on the path.

Usage: python benchmarks/latency.py [--warm 200] [--cold 30]
Needs RabbitMQ and dockerd (python3 tools/services.py start docker).
Prints p50 and p99 of each and of their parts (intake: published to
journaled, the listener's batch wait included; dispatch: journaled to
claimed; run: claimed to main() entered), and cold minus the bare docker
run.
"""

import argparse
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _functions  # noqa: E402
from pratai_bridge.runners.docker import builder  # noqa: E402


def through_bridge(service, publisher, name: str,
                   number: int) -> tuple[float, float, float, float]:
    """Seconds from publishing one event to its main() entered, and its
    parts: to the execution journaled (intake: the listener, its batch
    wait, the pipeline, the commit), to its claim (dispatch), to main()
    entered (run: the attempt, the runner, the container)."""
    published = _functions.send(publisher, name, number)
    done = _functions.finished(service, name, number)
    execution = max(done, key=lambda e: e.id)
    journaled = execution.created_at.timestamp()
    claimed = execution.started_at.timestamp()
    return (execution.result - published, journaled - published,
            claimed - journaled, execution.result - claimed)


def _keep(rows, name, suffix, values) -> None:
    for row, value in zip((name, f'  intake{suffix}', f'  dispatch{suffix}',
                           f'  run{suffix}'), values, strict=True):
        rows[row].append(value)


def bare_docker_run(image: str) -> float:
    """Seconds from ``docker run`` to python running in it."""
    started = time.time()
    done = subprocess.run(
        ['docker', 'run', '--rm', '--network', 'none', '--memory', '128m',
         '--read-only', '--entrypoint', 'python3', image, '-c',
         'import time; print(time.time())'],
        capture_output=True, text=True, check=True)
    return float(done.stdout) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--warm', type=int, default=200)
    parser.add_argument('--cold', type=int, default=30)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {
        'warm': [], '  intake': [], '  dispatch': [], '  run': [],
        'cold': [], '  intake ': [], '  dispatch ': [], '  run ': [],
        'docker run': []}
    # warm: never retired for its uses meanwhile (a retirement is a cold
    # start, measured as such below).
    functions = {'warm': {'warm_max_uses': 1000000},
                 'cold': {'warm_pool_size': 0}}
    with _functions.bridge(functions) as (service, publisher):
        image = builder.image_tag(service.store.get('cold').sha256)
        count = {'warm': 0, 'cold': 0}
        for name in ('warm', 'cold'):  # unmeasured: queues, imports, warm
            count[name] += 1
            through_bridge(service, publisher, name, count[name])
        for n in range(max(args.warm, args.cold)):
            if n < args.cold:
                count['cold'] += 1
                _keep(rows, 'cold', ' ', through_bridge(
                    service, publisher, 'cold', count['cold']))
                rows['docker run'].append(bare_docker_run(image))
            if n < args.warm:
                count['warm'] += 1
                _keep(rows, 'warm', '', through_bridge(
                    service, publisher, 'warm', count['warm']))
            time.sleep(0.02)
        warm = [e.warm for e in service.journal.list_executions(
            function='warm')]
    print(f'\npublished to main() entered ({args.warm} warm, {args.cold} '
          'cold rounds, paced; [listener] batch_timeout = 0.01 s):')
    for name, values in rows.items():
        print(f'  {name:12} {_functions.summary(values)}')
    gap = statistics.median(rows['cold']) - statistics.median(
        rows['docker run'])
    print(f'  cold - docker run (p50): {gap * 1000:.1f} ms')
    print(f'  warm executions that ran warm: {sum(map(bool, warm))} of '
          f'{len(warm)} (the first one is cold)')


if __name__ == '__main__':
    main()
