"""Matcher: events/s with 10 to 100,000 subscriptions, beside a linear scan.

For each size, in a fresh process (so resident memory is its own), N
subscriptions are written as YAML files of 1,000 (as operators keep them),
then read, validated and compiled (timed, and timed again end to end
through ``service.load_matcher``: what a start, a SIGHUP or a watched
change runs); then events shaped like the samples (Nova legacy and
versioned, Swift PUT and GET, Aodh transitions and updates, over 500
projects) are matched by the compiled matcher and by a linear scan over
the same subscriptions (every filter of every subscription), in the same
process.

Subscriptions mix the operators: exact values, prefixes, suffixes, numeric
ranges, anything-but, exists, wildcards, ``$or`` and ``any``; 49 in 50
are scoped to one of 500 projects, as in a real cloud, so an event matches
a handful.

Times are CPU seconds of the measuring process (one core), not wall time.
Each size loads in a process of its own (so its resident memory is its
own), then the sizes take turns: every round times each size for
``--seconds``, compiled then linear, so a change in the machine's load
hits all sizes alike, and the ratios are taken per round (the rate at N
over the rate at the smallest size, compiled over linear) before their
median.

Usage: python benchmarks/matcher.py [--sizes 10,1000,10000,100000]
       [--seconds 1] [--rounds 5]
Prints per size: load (read+validate) and compile times, the reload time
(all files new, and one file of 1,000 changed with the others cached),
resident memory after the first load, the medians of events/s compiled
(and of the first pass over the events, which builds the matcher's
states) and linear and of their ratio, and matches per event; then the
rate at each size over the rate at the smallest, per round and their
median.
"""

import argparse
import json
import pathlib
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oslo_config import cfg  # noqa: E402

from pratai_bridge import service  # noqa: E402
from pratai_bridge.conf import subscriptions as subscriptions_conf  # noqa
from pratai_bridge.events.model import Event  # noqa: E402
from pratai_bridge.matcher import Matcher  # noqa: E402
from pratai_bridge.subscriptions import loader  # noqa: E402

PROJECTS = [f'{i:032x}' for i in range(500)]
PER_FILE = 1000

# One template per kind; {n} is the subscription number, {p} its project.
KINDS = [
    # Nova legacy and versioned creations on some hosts: exact + prefix.
    ("event_type: [compute.instance.create.end, instance.create.end]\n"
     "      - pattern: {{details: {{host: [{{prefix: compute-{h:02d}}}]}}}}"),
    # Swift uploads into one container: exact + suffix.
    ("event_type: objectstore.http.request\n"
     "      - pattern: {{details: {{container: [bucket-{c}], method: [PUT],"
     " object: [{{suffix: .tar.gz}}, {{suffix: .png}}]}}}}"),
    # Swift big uploads: numeric range + exists.
    ("pattern:\n"
     "          event_type: [objectstore.http.request]\n"
     "          details: {{bytes_in: [{{numeric: ['>', {lo}, '<=', {hi}]}}],"
     " action: [{{exists: true}}]}}"),
    # Aodh: an alarm that fired, from any state but alarm.
    ("event_type: [alarm.state_transition, alarm.update]\n"
     "      - pattern: {{details: {{state: [alarm], previous: "
     "[{{anything-but: alarm}}], alarm_id: [a-{a}]}}}}"),
    # Nova: wildcard names and $or over legacy/versioned states.
    ("pattern:\n"
     "          event_type: [{{wildcard: 'compute.instance.*.end'}}, "
     "{{prefix: instance.}}]\n"
     "          details: {{display_name: [{{wildcard: 'web-*-{c}'}}],"
     " $or: [{{state: [active]}}, {{state: [{{exists: false}}]}}]}}"),
    # Swift reads of one object tree, any of two methods.
    ("any:\n"
     "          - pattern: {{details: {{method: [GET], object: [{{prefix: "
     "'logs/{c}/'}}]}}}}\n"
     "          - pattern: {{details: {{method: [HEAD], container: "
     "[bucket-{c}]}}}}\n"
     "      - event_type: objectstore.http.request"),
]


def subscriptions_yaml(start: int, count: int, rng: random.Random) -> str:
    lines = ['subscriptions:']
    for n in range(start, start + count):
        kind = KINDS[n % len(KINDS)]
        lo = rng.randrange(0, 10_000)
        spec = kind.format(n=n, h=n % 40, c=n % 300, a=n % 100, lo=lo,
                           hi=lo + rng.randrange(1, 5_000))
        lines += [f'  - name: sub-{n}', f'    function: fn-{n % 50}']
        if n % 50:
            lines.append(f'    project: "{PROJECTS[rng.randrange(500)]}"')
        lines += ['    filters:', '      - ' + spec]
    return '\n'.join(lines) + '\n'


def write_files(directory: pathlib.Path, size: int) -> None:
    rng = random.Random(size)
    for start in range(0, size, PER_FILE):
        count = min(PER_FILE, size - start)
        (directory / f'{start // PER_FILE:04d}.yaml').write_text(
            subscriptions_yaml(start, count, rng))


def _event(rng: random.Random, i: int) -> Event:
    """An event shaped like one of the samples, after normalization."""
    project = PROJECTS[rng.randrange(500)]
    kind = i % 6
    common = {'message_id': f'm-{i}', 'priority': 'info',
              'timestamp': '2026-11-28T03:02:28.177383Z',
              'project_id': project, 'user_id': 'u' * 32,
              'resource_id': f'r-{i}'}
    if kind in (0, 1):  # Nova legacy / versioned
        state = rng.choice(['active', 'building', 'error'])
        details = {'state': state,
                   'host': f'compute-{rng.randrange(60):02d}',
                   'display_name': f'web-{i}-{rng.randrange(300)}',
                   'instance_type': 'm1.tiny'}
        if kind == 0:
            return Event(source='nova', publisher_id='compute.compute-1',
                         event_type=rng.choice([
                             'compute.instance.create.end',
                             'compute.instance.delete.end']),
                         payload=dict(details, tenant_id=project),
                         details=details, **common)
        return Event(source='nova', publisher_id='nova-compute:compute',
                     event_type=rng.choice(['instance.create.end',
                                            'instance.update']),
                     payload={'nova_object.name': 'InstancePayload',
                              'nova_object.data': dict(details)},
                     details=details, **common)
    if kind in (2, 3):  # Swift PUT / GET
        container = f'bucket-{rng.randrange(400)}'
        obj = rng.choice(['db.tar.gz', 'a.png', f'logs/{i % 300}/x'])
        method = 'PUT' if kind == 2 else rng.choice(['GET', 'HEAD'])
        details = {'path': f'v1/AUTH_{project}/{container}/{obj}',
                   'container': container, 'object': obj, 'method': method,
                   'action': 'update' if method == 'PUT' else 'read',
                   'outcome': 'success',
                   'bytes_in': rng.randrange(200_000) if kind == 2 else 0,
                   'bytes_out': None}
        return Event(source='swift', publisher_id='ceilometermiddleware',
                     event_type='objectstore.http.request',
                     payload={'typeURI': 'http://schemas.dmtf.org/cloud/'
                              'audit/1.0/event', 'action': details['action'],
                              'target': {'id': 'target'}},
                     details=details, **common)
    state, previous = rng.choice([('alarm', 'ok'), ('ok', 'alarm'),
                                  ('alarm', 'insufficient data')])
    details = {'alarm_id': f'a-{rng.randrange(100)}', 'state': state,
               'previous': previous,
               'current': state, 'severity': 'low', 'detail': {}}
    return Event(source='aodh', publisher_id='aodh.evaluator',
                 event_type=('alarm.state_transition' if kind == 4
                             else 'alarm.update'),
                 payload={'alarm_id': f'a-{i}', 'detail': {}},
                 details=details, **common)


def linear_scan(subscriptions, event):
    document = event.as_document()
    return [s for s in subscriptions
            if (s.project is None or s.project == event.project_id)
            and all(f.match(document) for f in s.filters)]


def _clock() -> float:
    """CPU seconds of this (single-threaded) process: on a shared machine
    the time other processes hold the cores does not count, so figures
    are per core and comparable between runs (wall time was up to five
    times longer under load)."""
    return time.process_time()


def _rate(match, events, seconds: float) -> tuple[float, float]:
    """Events/s over at least ``seconds`` (and one pass), matches/event."""
    done = matched = 0
    start = _clock()
    while True:
        for event in events:
            matched += len(match(event))
            done += 1
            if done % 64 == 0 and _clock() - start > seconds:
                break
        elapsed = _clock() - start
        if elapsed > seconds:
            return done / elapsed, matched / done


def _conf(directory: pathlib.Path) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    subscriptions_conf.register_opts(conf)
    conf([], project='pratai-bridge', default_config_files=[])
    conf.set_override('directory', str(directory), group='subscriptions')
    return conf


def _rss_mib() -> float:
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(size: int) -> tuple[dict, list, Matcher]:
    """Write, load and compile one size, in this process (timed)."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = pathlib.Path(tmp)
        write_files(directory, size)
        rss_before = _rss_mib()
        start = _clock()
        subscriptions = loader.load_directory(str(directory))
        loaded = _clock()
        matcher = Matcher(subscriptions)
        compiled = _clock()
        rss = _rss_mib()
        # What a SIGHUP or a watched change runs, end to end: every file
        # new, then one file of the set changed (the others cached).
        cache = loader.FileCache()
        reload_start = _clock()
        service.load_matcher(_conf(directory), cache)
        reload_s = _clock() - reload_start
        first = directory / '0000.yaml'
        first.write_text(first.read_text().replace('function: fn-',
                                                   'function: fx-'))
        reload_start = _clock()
        service.load_matcher(_conf(directory), cache)
        reload_one_s = _clock() - reload_start
    return ({'size': size, 'load_s': loaded - start,
             'compile_s': compiled - loaded, 'reload_s': reload_s,
             'reload_one_file_s': reload_one_s, 'rss_mib': rss,
             'rss_growth_mib': rss - rss_before},
            subscriptions, matcher)


def child(size: int) -> None:
    """Load one size, then time rounds as the parent asks (stdin lines).

    Each size lives in its own process (so its resident memory is its
    own) and waits while another size is timed, so rounds of different
    sizes alternate under the same load of the machine.
    """
    stats, subscriptions, matcher = load(size)
    rng = random.Random(7)
    events = [_event(rng, i) for i in range(3000)]
    # The first pass builds the automaton's states (what the first events
    # after a start or a reload pay); the rounds then time it built.
    start = _clock()
    for event in events:
        matcher.match(event)
    stats['cold_per_s'] = len(events) / (_clock() - start)
    # The same answers, or the comparison means nothing.
    for event in events[:300]:
        assert matcher.match(event) == linear_scan(subscriptions, event)
    linear_events = events[:max(20, 3000 // max(1, size // 10))]
    print(json.dumps(stats), flush=True)
    for command in sys.stdin:
        kind, seconds = command.split()
        if kind == 'compiled':
            rate, matched = _rate(matcher.match, events, float(seconds))
        else:
            rate, matched = _rate(
                lambda e: linear_scan(subscriptions, e), linear_events,
                float(seconds))
        print(json.dumps({'rate': rate, 'matched': matched}), flush=True)


def _ask(process: subprocess.Popen, command: str) -> dict:
    process.stdin.write(command + '\n')
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def _start(size: int) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, __file__, '--child', str(size)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    return process, json.loads(process.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='10,1000,10000,100000')
    parser.add_argument('--seconds', type=float, default=1.0,
                        help='length of one timed round')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--child', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    sizes = [int(s) for s in args.sizes.split(',')]
    children = {}
    try:
        for size in sizes:
            children[size] = _start(size)
        rates: dict[int, dict[str, list[float]]] = {
            size: {'compiled': [], 'linear': [], 'matches': []}
            for size in sizes}
        for _round in range(args.rounds):
            # Alternate sizes within every round: a change in the load of
            # the machine hits every size alike.
            for size in sizes:
                process = children[size][0]
                for kind in ('compiled', 'linear'):
                    found = _ask(process, f'{kind} {args.seconds}')
                    rates[size][kind].append(found['rate'])
                    if kind == 'compiled':
                        rates[size]['matches'].append(found['matched'])
    finally:
        for process, _stats in children.values():
            process.stdin.close()
            process.wait()
    _report(sizes, {size: children[size][1] for size in sizes}, rates,
            args.rounds)


def _report(sizes: list[int], stats: dict[int, dict],
            rates: dict[int, dict[str, list[float]]], rounds: int) -> None:
    median = statistics.median
    print(f'medians of {rounds} alternating rounds')
    for size in sizes:
        result, rate = stats[size], rates[size]
        compiled, linear = median(rate['compiled']), median(rate['linear'])
        ratios = [c / lin for c, lin in zip(rate['compiled'], rate['linear'],
                                            strict=True)]
        print(f"{size:>7} subscriptions: load {result['load_s']:6.2f} s, "
              f"compile {result['compile_s']:6.2f} s, "
              f"reload {result['reload_s']:6.2f} s "
              f"(one file changed {result['reload_one_file_s']:5.2f} s), "
              f"RSS {result['rss_mib']:6.0f} MiB, "
              f"{compiled:9.0f} events/s compiled "
              f"(first pass {result['cold_per_s']:7.0f}), "
              f"{linear:9.1f} linear (x{median(ratios):.0f}), "
              f"{median(rate['matches']):.2f} matches/event", flush=True)
    smallest = sizes[0]
    for size in sizes[1:]:
        # The ratio of each round's pair, then their median.
        ratios = [big / small for big, small in zip(
            rates[size]['compiled'], rates[smallest]['compiled'],
            strict=True)]
        print(f'  rate at {size} / rate at {smallest} = '
              f'{statistics.median(ratios):.2f} (rounds: '
              + ', '.join(f'{r:.2f}' for r in ratios) + ')')


if __name__ == '__main__':
    main()
