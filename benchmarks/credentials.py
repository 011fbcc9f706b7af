"""What a credential costs each execution: the payload the dispatcher makes.

Against the real Keystone (tools/services.py start keystone): a project's
application credential configured as ``[credential:bench]``. Times, per
execution, the median of ``--runs`` calls of Handoff.payload (what the
dispatcher calls before each run: the event document, the request id,
and the credential's token, expiry and catalog) for an instance event:

- a subscription without a credential (the baseline);
- with a credential, token cached by its keystoneauth1 plugin (every run
  but the first in a token's life);
- with a credential, fresh token each time (the first run, or after
  expiry): one POST /v3/auth/tokens::

    python benchmarks/credentials.py [--runs 50]
"""

import argparse
import statistics
import sys
import tempfile
import time

from oslo_config import cfg

from benchmarks import _keystone
from pratai_bridge.conf import credentials as credentials_conf
from pratai_bridge.credentials import CredentialBroker
from pratai_bridge.credentials import Handoff
from pratai_bridge.events.model import Event
from pratai_bridge.subscriptions.model import Subscription
from tests.functional import keystone


EVENT = Event(message_id='m-1', source='nova',
              event_type='compute.instance.update',
              publisher_id='nova-compute:c1', priority='info',
              timestamp='2026-11-28T03:02:20Z', project_id='p', user_id='u',
              resource_id='i-1', payload={'instance_id': 'i-1'})


def _broker(directory, credential) -> CredentialBroker:
    conf = cfg.ConfigOpts()
    credentials_conf.register_opts(conf)
    path = f'{directory}/credentials.conf'
    with open(path, 'w') as f:
        f.write('[credentials]\nnames = bench\n[credential:bench]\n'
                f'auth_url = {keystone.URL}\n'
                'auth_type = v3applicationcredential\n'
                f"application_credential_id = {credential['id']}\n"
                f"application_credential_secret = {credential['secret']}\n")
    conf(['--config-file', path], default_config_files=[])
    return CredentialBroker(conf)


def _median(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=50)
    args = parser.parse_args()
    with _keystone.tenant() as (cloud, project, user), \
            tempfile.TemporaryDirectory() as directory:
        broker = _broker(directory,
                         cloud.application_credential(user, project))
        plugin = broker._sessions.get('credential:bench').auth

        handoff = Handoff(broker)
        plain = Subscription(name='plain', function='f')
        acting = Subscription(name='acting', function='f',
                              credential='bench')

        def fresh():
            plugin.invalidate()
            handoff.payload(EVENT, acting, 30)

        baseline = _median(lambda: handoff.payload(EVENT, plain, 30),
                           args.runs)
        handoff.payload(EVENT, acting, 30)
        cached = _median(lambda: handoff.payload(EVENT, acting, 30),
                         args.runs)
        uncached = _median(fresh, args.runs)
    print(f'per execution, median of {args.runs}:')
    print(f'  no credential (baseline): {baseline * 1e6:.1f} us')
    print(f'  credential, cached token: {cached * 1e6:.1f} us '
          f'({cached / baseline:.1f}x the baseline)')
    print(f'  credential, fresh token:  {uncached * 1000:.1f} ms '
          f'({uncached / cached:.0f}x the cached cost)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
