"""Three bridges, one RabbitMQ pool, one PostgreSQL journal, one killed.

The bridges consume through the same pool (so one queue: RabbitMQ hands
each message to one of them) and share a journal in a database this test
creates on the shared PostgreSQL and drops at the end. 3,000
notifications are published in two halves; once a third of the first
half's executions have run, one bridge is SIGKILLed while it holds
unacked messages and running executions, the second half is published,
and a bridge is started in its place (a restart on the same host: it puts
back the executions its dead predecessor left running). Then every count
is exact: each notification journaled once, each match one execution,
every execution succeeded, nothing left in the queue.

The function (local runner, so it can leave a mark on the host) writes
one file per invocation. An invocation the killed bridge had started may
have run without its outcome being recorded: it runs again (at least
once), and only those executions may have two marks.
"""

import collections
import os
import pathlib
import time
import uuid

import pytest
import sqlalchemy as sa

from pratai_bridge.journal import Journal
from tests.functional import rabbit
from tests.functional.unavailable import unavailable

ADMIN_URL = os.environ.get(
    'PRATAI_TEST_POSTGRESQL',
    'postgresql+psycopg2://postgres@127.0.0.1:5432/test')
TOTAL = 3000
#: every fifth notification is a create.end, which the subscription takes
#: (the rest are journaled unmatched); runs are what takes the time
EVERY = 5
MATCHED = TOTAL // EVERY
BRIDGES = 3


@pytest.fixture
def database():
    """A database of this test's own on the shared server; dropped."""
    admin_url = sa.make_url(ADMIN_URL)
    name = f'pratai_scale_{uuid.uuid4().hex[:10]}'
    try:
        admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT',
                                 connect_args={'connect_timeout': 5})
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE {name}'))
    except (ImportError, sa.exc.OperationalError) as exc:
        unavailable(f'PostgreSQL not available: {exc}')
    try:
        yield admin_url.set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS {name} '
                                 'WITH (FORCE)'))
        admin.dispose()


def _function(directory: pathlib.Path, marks: pathlib.Path) -> str:
    directory.mkdir()
    (directory / 'handler.py').write_text(f"""import os, uuid


def main(payload=None):
    # One mark per invocation: message id, then a nonce.
    name = payload['message_id'] + '.' + uuid.uuid4().hex
    open(os.path.join({str(marks)!r}, name), 'w').close()
    return payload['resource_id']
""")
    return str(directory)


def _publish(publisher, topic, first, count):
    for n in range(first, first + count):
        kind = 'create' if n % EVERY == 0 else 'update'
        publisher.publish('nova', topic, 'info', 'compute.host1',
                          f'compute.instance.{kind}.end',
                          {'instance_id': f'i-{n:05d}', 'tenant_id': 'p1'})


def _succeeded(journal) -> int:
    return journal.counts()['succeeded']


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f'{what} after {timeout} s'
        time.sleep(0.25)
    return found


def test_three_bridges_one_killed_every_match_once(make_bridge, publisher,
                                                   database, tmp_path):
    topic = f'ft-scale-{uuid.uuid4().hex[:8]}'
    pool = rabbit.new_pool()
    shared = tmp_path / 'shared'
    marks = shared / 'marks'
    marks.mkdir(parents=True)
    conf = f"""[journal]
connection = {database}
[store]
driver = local
local_directory = {shared}/functions
[runner]
driver = local
local_directory = {shared}/local-runner
[listener]
targets = nova:{topic}
[dispatcher]
workers = 3
stop_timeout = 10
"""
    bridges = [make_bridge(conf, name=f'bridge-{n}', pool=pool)
               for n in range(BRIDGES)]
    for bridge in bridges:
        bridge.subscribe('10-scale.yaml', """
subscriptions:
  - name: count
    function: mark
    filters: [{event_type: compute.instance.create.end}]
""")
    bridges[0].manage('function', 'create', 'mark', '--zip',
                      _function(tmp_path / 'mark', marks))
    journal = Journal(database)
    journal.start()
    try:
        began = time.monotonic()
        for bridge in bridges:
            bridge.start(timeout=60)
        _publish(publisher, topic, 0, TOTAL // 2)
        # Midway: a third of the first half's matches have run.
        _wait(lambda: _succeeded(journal) >= MATCHED // 6, 120,
              'a sixth of the executions')
        victim = bridges[1]
        running_before = journal.counts()['running']
        victim.process.kill()  # SIGKILL: no drain, no ack, no cleanup
        victim.process.wait(30)
        _publish(publisher, topic, TOTAL // 2, TOTAL - TOTAL // 2)
        victim.start(timeout=60)  # in its place, on the same host
        _wait(lambda: _succeeded(journal) >= MATCHED, 180,
              f'{MATCHED} executions succeeded')
        elapsed = time.monotonic() - began
        counts = journal.counts()
        executions = journal.list_executions()
    finally:
        journal.stop()
        for bridge in bridges:
            bridge.stop()
        # ...and the <topic>.info queue the Notifier declared on sending.
        rabbit.delete_queues([f'{pool}.nova', f'{topic}.info'])

    # Every notification journaled once, every match one execution, each
    # succeeded; nothing pending, running or failed.
    assert counts['events'] == TOTAL
    assert counts['rejected'] == 0
    assert counts['executions'] == MATCHED
    assert (counts['succeeded'], counts['pending'], counts['running']) == (
        MATCHED, 0, 0)
    assert len({e.message_id for e in executions}) == MATCHED
    # Each execution ran: a mark per invocation, one for every execution
    # run once; two only where an attempt of the killed bridge was lost.
    ran = collections.Counter(p.name.split('.')[0] for p in marks.iterdir())
    assert set(ran) == {e.message_id for e in executions}
    again = {e.message_id for e in executions if e.attempts > 1}
    assert {m for m, n in ran.items() if n > 1} <= again
    assert all(n <= 2 for n in ran.values())
    # The three shared the work, the killed one's successor included.
    assert len({e.owner.rsplit(':', 1)[1] for e in executions}) >= BRIDGES
    print(f'\nscale-out: {TOTAL} notifications, {MATCHED} executions, '
          f'{running_before} running when bridge-1 was killed, '
          f'{len(again)} run again, {sum(ran.values()) - MATCHED} '
          f'invocations twice; {elapsed:.1f} s')
