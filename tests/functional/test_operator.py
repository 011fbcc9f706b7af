"""The operator's commands against the real services: ``config check``
asking RabbitMQ, the journal and the Docker engine, ``queues
list|purge|delete`` on a running bridge's queues, the daemon's start-up
warning for a function missing from the store, and the README's RabbitMQ
policy for the queues of a bridge that is gone."""

import json
import os
import pathlib
import re
import shlex
import subprocess
import time


from tests.functional import rabbit
from tests.functional.test_daemon import SUBSCRIPTIONS
from tests.functional.unavailable import unavailable

README = pathlib.Path(__file__).resolve().parents[2] / 'README.md'
HANDLER = 'def main(payload=None):\n    return payload\n'


def _function_dir(tmp_path):
    source = tmp_path / 'fn'
    source.mkdir(exist_ok=True)
    (source / 'handler.py').write_text(HANDLER)
    return str(source)


def test_config_check_asks_every_service(make_bridge, tmp_path):
    # An exchange of this test's own, so that no other run's notification
    # waits in the queue when it is counted.
    exchange = rabbit.new_pool()
    bridge = make_bridge(f'[runner]\ndriver = local\n[listener]\n'
                         f'targets = {exchange}:notifications\n')
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    for name in ('hello', 'thumbnail', 'scale-up'):
        bridge.manage('function', 'create', name, '--zip',
                      _function_dir(tmp_path))
    try:
        bridge.start()  # so the journal and the queue exist
        result = bridge.manage('config', 'check')
    finally:
        bridge.stop()
        rabbit.delete_queues([f'{bridge.pool}.{exchange}'])
    assert result.stderr == ''
    assert result.stdout.splitlines() == [
        f'transport: the broker answers; 1 of the 1 queues of pool '
        f'{bridge.pool!r} exist, 0 messages waiting',
        'journal: answers, schema up to date',
        'runner local: nothing to reach',
        '1 configuration files, 3 subscriptions: valid',
    ]


def test_config_check_says_what_does_not_answer(make_bridge):
    # Nothing serves port 9 here; the journal was never created.
    bridge = make_bridge('[DEFAULT]\nallow_unknown_options = true\n'
                         'transport_url = rabbit://guest:guest@127.0.0.1:9/'
                         '\n[runner]\ndriver = local\n[extra]\nx = 1\n')
    result = bridge.manage('config', 'check', check=False)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].endswith(': warning: unknown section [extra]')
    assert lines[1].startswith('transport: the broker does not answer: ')
    assert lines[2].startswith('warning: journal: no journal at ')
    assert result.stdout.splitlines()[-1] == (
        '1 configuration files, 0 subscriptions: 1 errors, 2 warnings')
    offline = bridge.manage('config', 'check', '--offline')
    assert offline.stdout.splitlines()[-1] == (
        '1 configuration files, 0 subscriptions: valid, 1 warnings')


def test_config_check_asks_the_docker_engine(make_bridge):
    import docker
    try:
        docker.from_env(timeout=10).ping()
    except docker.errors.DockerException as exc:
        unavailable(f'the Docker engine does not answer ({exc}): '
                    'python3 tools/services.py start docker')
    bridge = make_bridge('[runner]\ndriver = docker\n')
    result = bridge.manage('config', 'check', check=False)
    (note,) = [line for line in result.stdout.splitlines()
               if line.startswith('runner docker: ')]
    assert note.startswith('runner docker: the engine answers; runtime '
                           'image pratai/python-runtime:latest ')
    broken = make_bridge('[runner]\ndriver = docker\n[builder]\n'
                         'docker_url = unix:///nonexistent.sock\n',
                         name='broken')
    result = broken.manage('config', 'check', check=False)
    assert result.returncode == 1
    assert any(line.startswith('runner docker: cannot reach the Docker '
                               'engine') or 'nonexistent.sock' in line
               for line in result.stderr.splitlines())


def _queues(bridge, *args):
    return {row['queue']: row
            for row in bridge.manage_json('queues', 'list', *args)}


def test_queues_list_purge_delete_the_bridges_own(make_bridge, publisher):
    # An exchange of this test's own: other runs publish on nova's, and
    # every copy would land in the pool's queue too.
    exchange = rabbit.new_pool()
    bridge = make_bridge(f'[runner]\ndriver = local\n[listener]\n'
                         f'targets = {exchange}:notifications\n')
    queue = f'{bridge.pool}.{exchange}'
    try:
        _list_purge_delete(bridge, publisher, exchange, queue)
    finally:
        rabbit.delete_queues([queue])


def _list_purge_delete(bridge, publisher, exchange, queue):
    assert _queues(bridge) == {queue: {
        'queue': queue, 'exchange': exchange, 'exists': False,
        'messages': None, 'consumers': None}}
    bridge.start()
    assert _queues(bridge)[queue]['consumers'] == 1
    refused = bridge.manage('queues', 'delete', check=False)
    assert refused.returncode == 1
    assert 'consumer(s), a bridge running on this pool' in refused.stderr
    assert _queues(bridge)[queue]['exists']
    assert bridge.stop() == 0

    # Nothing consumes now: what is sent waits in the pool's queue.
    for _ in range(3):
        publisher.publish(exchange, 'notifications', 'info',
                          'compute.host1', 'compute.instance.create.end',
                          {'instance_id': 'x'})
    deadline = time.monotonic() + 10
    while _queues(bridge)[queue]['messages'] < 3:
        assert time.monotonic() < deadline, 'the notifications never came'
        time.sleep(0.1)
    assert bridge.manage_json('queues', 'purge') == [
        {'queue': queue, 'exchange': exchange, 'purged': 3}]
    assert _queues(bridge)[queue]['messages'] == 0
    publisher.publish(exchange, 'notifications', 'info', 'compute.host1',
                      'compute.instance.create.end', {'instance_id': 'y'})
    deadline = time.monotonic() + 10
    while _queues(bridge)[queue]['messages'] < 1:
        assert time.monotonic() < deadline, 'the notification never came'
        time.sleep(0.1)
    assert bridge.manage_json('queues', 'delete') == [
        {'queue': queue, 'exchange': exchange, 'deleted_messages': 1}]
    assert not _queues(bridge)[queue]['exists']
    # Deleting what is gone changes nothing and says so.
    assert bridge.manage_json('queues', 'delete')[0][
        'deleted_messages'] is None


def test_queues_of_another_pool(make_bridge):
    """--pool: the queues of a bridge that is gone, found by its pool."""
    gone = make_bridge('[runner]\ndriver = local\n', name='gone')
    gone.start()
    assert gone.stop() == 0
    other = make_bridge('[runner]\ndriver = local\n', name='other')
    listed = _queues(other, '--pool', gone.pool)
    assert sorted(listed) == sorted(gone.queues)
    assert all(r['exists'] and r['consumers'] == 0 for r in listed.values())
    other.manage('queues', 'delete', '--pool', gone.pool)
    assert not any(r['exists']
                   for r in _queues(other, '--pool', gone.pool).values())


def test_the_daemon_warns_of_functions_missing_from_the_store(make_bridge):
    bridge = make_bridge('[runner]\ndriver = local\n')
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.start()
    main = bridge.subscriptions / '10-main.yaml'
    warnings = [line for line in bridge.log_text().splitlines()
                if ' WARNING ' in line and 'is not in the store' in line]
    assert len(warnings) == 3
    assert f"{main}:3: subscription 'on-instance-create': function " \
           "'hello' is not in the store" in warnings[0]


def _readme_policy() -> list[str]:
    """The argv of the README's queue TTL policy command."""
    text = README.read_text()
    block = text.split('### Pooled queues', 1)[1]
    command = re.search(r'```sh\n(rabbitmqctl set_policy .*?)\n```', block,
                        re.S).group(1)
    return shlex.split(command.replace('\\\n', ' '))


def test_the_readmes_queue_ttl_policy_applies(publisher):
    """The README's command, on a pattern of this test's own (the
    README's would apply to every pratai-bridge.* queue of the broker)."""
    argv = _readme_policy()
    assert argv[:4] == ['rabbitmqctl', 'set_policy', 'pratai-bridge',
                        r'^pratai-bridge\.']
    definition = json.loads(argv[4])
    assert definition['expires'] == 7 * 24 * 3600 * 1000
    pool = rabbit.new_pool()
    name = f'{pool}-policy'
    argv[2:4] = [name, f'^{re.escape(pool)}\\.']
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
    except FileNotFoundError:
        unavailable('rabbitmqctl is not installed')
    queue = f'{pool}.nova'
    try:
        import kombu
        with kombu.Connection(rabbit.URL.replace('rabbit://', 'amqp://')
                              ) as conn:
            conn.channel().queue_declare(queue, durable=False,
                                         auto_delete=False)
        deadline = time.monotonic() + 15
        while True:
            listed = subprocess.run(
                ['rabbitmqctl', 'list_queues', '--quiet',
                 '--no-table-headers', 'name', 'policy'],
                capture_output=True, text=True, check=True, timeout=60)
            policies = dict(line.split('\t') for line in
                            listed.stdout.splitlines() if '\t' in line)
            if policies.get(queue) == name:
                break
            assert time.monotonic() < deadline, policies.get(queue)
            time.sleep(0.2)
    finally:
        subprocess.run(['rabbitmqctl', 'clear_policy', name],
                       capture_output=True, timeout=60)
        rabbit.delete_queues([queue])


def test_the_demo_runs_and_leaves_no_queue(tmp_path):
    """tools/demo.sh as the README says: the execution's result, and the
    pratai-demo queues gone when it ends (the local runner: the docker
    one is the end-to-end tests' business)."""
    rabbit.require_rabbitmq()
    repo = README.parent
    result = subprocess.run(
        ['bash', str(repo / 'tools' / 'demo.sh')], cwd=repo,
        env={**os.environ, 'PRATAI_RUNNER': 'local',
             'PRATAI_DEMO_DIR': str(tmp_path / 'demo')},
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r'^\| status +\| succeeded ', result.stdout, re.M)
    assert '"greeting": "hello, demo-server"' in result.stdout
    left = subprocess.run(['rabbitmqctl', 'list_queues', '--quiet',
                           '--no-table-headers', 'name'],
                          capture_output=True, text=True, timeout=60)
    if left.returncode != 0:
        unavailable('rabbitmqctl cannot list the queues')
    assert not [q for q in left.stdout.split()
                if q.startswith('pratai-demo.')]
