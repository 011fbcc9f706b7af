"""Server enrichment: the cache's hit rate and what a lookup costs.

Instance events as a cloud emits them, each server in a burst (create.start,
create.end, updates, power off/on: ``--events-per-server`` events), bursts
of ``--servers`` servers interleaved, looked up through the real Keystone
(a compute endpoint in the catalog) and a loopback Nova answering Nova's
documented server show body (tests/functional/fake_nova.py) that takes
``--nova-ms`` per answer. Prints the hit rate, Nova requests made, and
the median time per event with the cache (``[nova] cache_ttl`` 30 s)
beside the same stream with no cache (cache_ttl 0): the baseline::

    python benchmarks/enrich.py [--servers 50] [--events-per-server 8]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid

from oslo_config import cfg

from benchmarks import _keystone
from pratai_bridge.conf import nova as nova_conf
from pratai_bridge.enrich.nova import ServerEnricher
from pratai_bridge.events.model import Event
from tests.functional import keystone
from tests.functional.fake_nova import FakeNova

EVENT_TYPES = ('instance.create.start', 'instance.create.end',
               'instance.update', 'instance.power_off.start',
               'instance.power_off.end', 'instance.power_on.start',
               'instance.power_on.end', 'instance.update')


def _events(servers: list[str], per_server: int, seed: int) -> list[Event]:
    stream = [(server, EVENT_TYPES[n % len(EVENT_TYPES)])
              for server in servers for n in range(per_server)]
    # Interleave the servers' bursts but keep each server's order.
    rng = random.Random(seed)
    queues = {s: [e for e in stream if e[0] == s] for s in servers}
    events = []
    while queues:
        server = rng.choice(sorted(queues))
        events.append(queues[server].pop(0))
        if not queues[server]:
            del queues[server]
    return [Event(message_id=str(uuid.uuid4()), source='nova',
                  event_type=kind, publisher_id='nova-compute:c1',
                  priority='info', timestamp='2026-11-28T03:02:20Z',
                  project_id='p', user_id='u', resource_id=server,
                  payload={}) for server, kind in events]


def _enricher(directory, project, user, region, ttl) -> ServerEnricher:
    conf = cfg.ConfigOpts()
    nova_conf.register_opts(conf)
    path = f'{directory}/nova-{ttl}.conf'
    with open(path, 'w') as f:
        f.write('[nova]\nauth_type = password\n'
                f'auth_url = {keystone.URL}\n'
                f"username = {user['name']}\npassword = {user['password']}\n"
                f"user_domain_id = default\nproject_id = {project['id']}\n"
                f"region_name = {region['id']}\ncache_ttl = {ttl}\n")
    conf(['--config-file', path], default_config_files=[])
    return ServerEnricher(conf)


def _run(enricher, events, nova) -> tuple[float, int]:
    enricher.server(events[0])  # authenticate outside the timing
    nova.requests.clear()
    times = []
    for event in events:
        began = time.perf_counter()
        enricher.server(event)
        times.append(time.perf_counter() - began)
    return statistics.median(times), len(nova.requests)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--servers', type=int, default=50)
    parser.add_argument('--events-per-server', type=int, default=8)
    parser.add_argument('--nova-ms', type=float, default=20.0)
    args = parser.parse_args()
    nova = FakeNova().start()
    nova.delay = args.nova_ms / 1000
    servers = [str(uuid.uuid4()) for _ in range(args.servers)]
    for server in servers:
        nova.add(server)
    events = _events(servers, args.events_per_server, seed=7)
    try:
        with _keystone.tenant(roles=('reader',)) as (cloud, project, user), \
                tempfile.TemporaryDirectory() as directory:
            region = cloud.region()
            cloud.endpoint('compute', nova.url, region)
            cached = _enricher(directory, project, user, region, 30)
            median, requests = _run(cached, events, nova)
            base_median, base_requests = _run(
                _enricher(directory, project, user, region, 0), events, nova)
    finally:
        nova.stop()
    stats = cached.stats
    print(f'{len(events)} instance events, {args.servers} servers, Nova '
          f'answers in {args.nova_ms:.0f} ms')
    print(f'cache (ttl 30 s): hit rate {stats.hit_rate:.1%}, {requests} '
          f'Nova requests, median {median * 1000:.2f} ms per event')
    print(f'no cache (baseline): {base_requests} Nova requests, median '
          f'{base_median * 1000:.2f} ms per event')
    print(f'ratio: {base_median / median:.1f}x faster per event, '
          f'{base_requests / max(requests, 1):.1f}x fewer requests')
    return 0


if __name__ == '__main__':
    sys.exit(main())
