"""Throughput: executions per second of a trivial function, 4 workers.

In one run, on the real RabbitMQ and Docker engine, with the bridge
service ([dispatcher] workers = 4) and two functions of the same trivial
code: ``warm`` (``--warm-pool-size 4``: four warm containers serve it,
after an unmeasured burst that starts them) and ``cold``
(``--warm-pool-size 0``: a container per execution, its image present).
For each, N notifications are published at once; the clock runs from the
first publish to the last execution's end, as the journal records it.

Usage: python benchmarks/throughput.py [--warm 400] [--cold 40]
Needs RabbitMQ and dockerd (python3 tools/services.py start docker).
"""

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _functions  # noqa: E402

WORKERS = 4


def burst(service, publisher, name: str, count: int, before: int) -> float:
    """Executions per second of ``count`` events of ``name`` sent at once
    (``before`` of its executions were done already)."""
    first = _functions.send(publisher, name, before + 1)
    for number in range(before + 2, before + count + 1):
        _functions.send(publisher, name, number)
    done = _functions.finished(service, name, before + count, timeout=600)
    ended = max(e.finished_at.timestamp() for e in done)
    return count / (ended - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--warm', type=int, default=400)
    parser.add_argument('--cold', type=int, default=40)
    args = parser.parse_args()
    functions = {'warm': {'warm_pool_size': WORKERS},
                 'cold': {'warm_pool_size': 0}}
    with _functions.bridge(functions, workers=WORKERS) as (service,
                                                           publisher):
        burst(service, publisher, 'warm', WORKERS * 2, 0)  # unmeasured
        warm = burst(service, publisher, 'warm', args.warm, WORKERS * 2)
        cold = burst(service, publisher, 'cold', args.cold, 0)
        ran_warm = sum(bool(e.warm) for e in service.journal.list_executions(
            function='warm'))
    print(f'\nexecutions/s, {WORKERS} workers, trivial function:')
    print(f'  warm ({args.warm} events): {warm:8.1f}/s '
          f'({ran_warm} of {args.warm + WORKERS * 2} ran warm)')
    print(f'  cold ({args.cold} events): {cold:8.1f}/s')
    print(f'  warm / cold: {warm / cold:.1f}x')


if __name__ == '__main__':
    main()
