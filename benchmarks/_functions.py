"""A bridge with functions on the real Docker engine, for the benchmarks
of the function side (latency.py, throughput.py).

Each function returns ``time.time()`` as the first thing its ``main()``
does, so the machine's one clock dates both ends of a measurement. Its
image is built (by ``function create``'s own code) before any clock runs.
"""

import contextlib
import pathlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator

from benchmarks import _bridge_conf
from pratai_bridge import deploy
from pratai_bridge import publish
from pratai_bridge.service import BridgeService
from tests.functional import rabbit
from tests.unit.functions.zips import make_zip

#: what every benchmark function does: say when main() was entered
SOURCE = '''# {nonce}
import time
def main(payload=None):
    return time.time()
'''


def subscription(name: str) -> str:
    return f"""  - name: {name}
    function: {name}
    filters:
      - event_type: bench.{name}
    delivery: {{max_attempts: 1, concurrency: 64}}
"""


@contextlib.contextmanager
def bridge(functions: dict[str, dict], workers: int = 4
           ) -> Iterator[tuple[BridgeService, publish.Publisher]]:
    """A started bridge whose functions ``functions`` (name -> warm
    settings) are built, and a publisher; all removed afterwards.

    ``[listener] batch_timeout`` is at its minimum (0.01 s): the
    listener's batch wait is on the path from publish to main().
    """
    nonce = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix='pratai-bench-') as tmp:
        conf = _bridge_conf.make(
            pathlib.Path(tmp), 'subscriptions:\n' + ''.join(
                subscription(name) for name in functions),
            ['nova:notifications'], f'pratai-bench-{nonce}')
        conf.set_override('batch_timeout', 0.01, group='listener')
        conf.set_override('workers', workers, group='dispatcher')
        service = BridgeService(conf)
        made = []
        for name, warm in functions.items():
            data = make_zip({'handler.py': SOURCE.format(nonce=nonce)})
            made.append(deploy.create_function(
                conf, service.store, name, data, runner=service.runner,
                **warm))
        publisher = publish.Publisher(rabbit.URL)
        service.start()
        try:
            yield service, publisher
        finally:
            service.stop()
            publisher.close()
            for function in made:
                service.runner.forget(function)
            rabbit.delete_queues([f'{conf.listener.pool}.nova'])


def send(publisher: publish.Publisher, name: str, number: int) -> float:
    """Publish one event for function ``name``; when (epoch seconds)."""
    published = time.time()
    publisher.publish('nova', 'notifications', 'info', 'bench',
                      f'bench.{name}', {'n': number})
    return published


def finished(service: BridgeService, name: str, count: int,
             timeout: float = 120.0) -> list:
    """The ``count`` final executions of ``name``, once they are."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [e for e in service.journal.list_executions(function=name)
                if e.status not in ('pending', 'running')]
        if len(done) >= count:
            for execution in done:
                if execution.status != 'succeeded':
                    raise SystemExit(f'{name} failed: {execution}')
            return done
        time.sleep(0.002)
    raise SystemExit(f'{name}: {count} executions not done in {timeout} s')


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1,
                      round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: list[float]) -> str:
    """p50 and p99 in milliseconds."""
    return (f'p50 {statistics.median(values) * 1000:8.1f} ms   '
            f'p99 {percentile(values, 0.99) * 1000:8.1f} ms')
