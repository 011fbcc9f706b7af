"""How many notifications per second Journal.record() takes in.

Batches of 100 events with one match each, as the listener hands them over,
into a fresh SQLite file (or ``--url``); prints the median of five runs::

    python benchmarks/journal_record.py [--url URL] [--batches 50]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

from pratai_bridge.events.model import Event
from pratai_bridge.journal import Journal
from pratai_bridge.subscriptions.model import Subscription

# Roughly a Nova compute.instance.create.end payload, trimmed.
_PAYLOAD = {
    'instance_id': '9b0bf2b6-9fe4-4bc2-a5b4-0e42af9d4b3e',
    'display_name': 'bench', 'host': 'compute-1', 'state': 'active',
    'tenant_id': '6f70656e737461636b20697320', 'memory_mb': 512,
    'disk_gb': 1, 'vcpus': 1, 'image_ref_url': 'http://glance/images/x',
    'fixed_ips': [{'address': '10.0.0.3', 'version': 4, 'type': 'fixed',
                   'label': 'private', 'vif_mac': 'fa:16:3e:00:00:01'}],
    'metadata': {}, 'state_description': '', 'launched_at': '2026-01-01',
}


def _batch(run: int, number: int, size: int) -> list[Event]:
    return [Event(message_id=f'run{run}-batch{number}-{i}',
                  source='nova', event_type='compute.instance.create.end',
                  publisher_id='compute.compute-1', priority='info',
                  timestamp='2026-01-01T00:00:00.000000Z',
                  project_id='6f70656e737461636b20697320', user_id='u',
                  resource_id=_PAYLOAD['instance_id'], payload=_PAYLOAD,
                  exchange='nova')
            for i in range(size)]


def _run(url: str, run: int, batches: int, size: int) -> float:
    journal = Journal(url)
    journal.start()
    subscription = Subscription(name='on-create', function='hello')
    work = [_batch(run, n, size) for n in range(batches)]
    started = time.perf_counter()
    for events in work:
        journal.record(events, [(e, subscription) for e in events], ())
    elapsed = time.perf_counter() - started
    journal.stop()
    return batches * size / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', help='journal URL (default: a temp SQLite '
                                      'file per run)')
    parser.add_argument('--batches', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=100)
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            url = args.url or 'sqlite:///' + os.path.join(
                tmp, f'journal-{run}.sqlite')
            rates.append(_run(url, run, args.batches, args.batch_size))
    runs = ', '.join(f'{rate:.0f}' for rate in rates)
    print(f'journal.record: {statistics.median(rates):.0f} events/s '
          f'(median of {args.runs} runs of {args.batches} batches of '
          f'{args.batch_size}, 1 match each; runs: {runs})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
