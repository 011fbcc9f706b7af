"""The journal's size after a million unmatched Swift GETs, with the
defaults (``record_unmatched_events = true``, ``unmatched_events_max_age =
1h``).

Records ``--events`` (50,000) real Swift GET notifications (the
ceilometermiddleware sample, each with its own message id and object path)
that no subscription matches, in batches of 100 as the listener hands them
over, into a fresh SQLite journal; measures the bytes per event on disk
(database and WAL, after a checkpoint) beside the notification's own JSON
body (the baseline, measured in the same run), and extrapolates to one
million. Then purges as the daemon does an hour later and measures the
rows left and the file: SQLite reuses the freed pages, so the journal's
size levels off at the last hour's GETs. Median of ``--runs`` runs::

    python -m benchmarks.journal_size [--events 50000] [--runs 3]
"""

import argparse
import dataclasses
import datetime
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time

from pratai_bridge.events import decode
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.journal import Journal
from tests.unit import samples

GET = 'swift-ceilometermiddleware/objectstore.http.request.GET.json'
MILLION = 1_000_000


def _events(run: int, count: int):
    notification = decode.load_file(str(samples.path(GET)), 'swift')
    template = Normalizers().normalize(notification)
    body = len(json.dumps({'event_type': notification.event_type,
                           'payload': notification.payload,
                           'publisher_id': notification.publisher_id,
                           'priority': notification.priority,
                           'message_id': template.message_id,
                           'timestamp': template.timestamp}))
    events = []
    for number in range(count):
        path = f'{template.resource_id}-{run}-{number}'
        events.append(dataclasses.replace(
            template, message_id=f'get-{run}-{number:07d}',
            resource_id=path))
    return events, body


def _size(path: str) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    return sum(os.path.getsize(p) for p in (path, path + '-wal')
               if os.path.exists(p))


def _run(tmp: str, run: int, count: int) -> dict[str, float]:
    path = os.path.join(tmp, f'journal-{run}.sqlite')
    journal = Journal(f'sqlite:///{path}')
    journal.start()
    empty = _size(path)
    events, body = _events(run, count)
    started = time.perf_counter()
    for at in range(0, count, 100):
        journal.record(events[at:at + 100], [], [])
    rate = count / (time.perf_counter() - started)
    full = _size(path)
    # An hour later, the daemon's purge with the default ages.
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
        hours=1, seconds=1)
    started = time.perf_counter()
    purged = journal.purge(None, None, later)['events']
    purge_rate = purged / (time.perf_counter() - started)
    left = journal.counts()['events']
    journal.stop()
    return {'per_event': (full - empty) / count, 'body': body,
            'rate': rate, 'purge_rate': purge_rate, 'left': left,
            'after_purge': _size(path)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--events', type=int, default=50_000)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [_run(tmp, run, args.events) for run in range(args.runs)]

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    per_event, body = median('per_event'), median('body')
    print(f'{args.events} unmatched Swift GETs, median of {args.runs} runs:'
          f' {per_event:.0f} bytes per event in the journal, beside '
          f'{body:.0f} bytes of notification JSON (ratio '
          f'{per_event / body:.2f}); recorded at {median("rate"):.0f} '
          'events/s')
    print(f'extrapolated to {MILLION:,} GETs kept at once: '
          f'{per_event * MILLION / 1e9:.2f} GB (the JSON alone: '
          f'{body * MILLION / 1e9:.2f} GB)')
    print(f'with the defaults (unmatched_events_max_age = 1h): the purge an'
          f' hour later deletes them at {median("purge_rate"):.0f} events/s'
          f' and leaves {median("left"):.0f}; the file stays at '
          f'{median("after_purge") / 1e6:.1f} MB and its pages are reused, '
          'so the journal holds only the last hour of GETs: a million GETs '
          f'an hour is {per_event * MILLION / 1e9:.2f} GB, a million a day '
          f'{per_event * MILLION / 24 / 1e9:.2f} GB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
