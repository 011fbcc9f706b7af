"""The whole loop on real services: RabbitMQ, Swift (with
ceilometermiddleware in its proxy), the Docker engine.

Functions are uploaded with ``pratai-bridge-manage function create`` into
a real Swift container; notifications are published with a real
oslo.messaging Notifier, or made by Swift itself when an object is
uploaded; each function runs in a real container, and what it returned
is read back with ``pratai-bridge-manage executions show``.
"""

import io
import os
import signal
import socket
import time
import uuid
import zipfile

import docker
import pytest
from swiftclient import client as swift_client

from pratai_bridge.events import decode
from tests.functional.tcp_proxy import TcpProxy
from tests.functional.unavailable import unavailable
from tests.unit import samples

AUTH_URL = os.environ.get('PRATAI_SWIFT_AUTH_URL',
                          'http://127.0.0.1:8080/auth/v1.0')
SWIFT_USER = os.environ.get('PRATAI_SWIFT_USER', 'test:tester')
SWIFT_KEY = os.environ.get('PRATAI_SWIFT_KEY', 'testing')
FINAL = ('succeeded', 'dead')

ECHO = '''
def main(payload=None):
    print('event', payload['event_type'])
    return {'event_type': payload['event_type'],
            'source': payload['source'],
            'resource_id': payload['resource_id'],
            'project_id': payload['project_id'],
            'path': payload['details'].get('path'),
            'subscription': payload['subscription']}
'''
BOOM = '''
def main(payload=None):
    raise ValueError('boom: ' + payload['event_type'])
'''
SLEEPY = '''
import time
def main(payload=None):
    time.sleep(60)
'''
HOG = '''
def main(payload=None):
    hog = bytearray(400 * 1024 * 1024)
    return len(hog)
'''


def _require(what: str, check) -> None:
    try:
        check()
    except Exception as exc:  # any failure: the service is not usable
        unavailable(f'{what} is not usable: {exc} '
                    '(python3 tools/services.py start)')


def _swift() -> swift_client.Connection:
    return swift_client.Connection(authurl=AUTH_URL, user=SWIFT_USER,
                                   key=SWIFT_KEY, auth_version='1',
                                   retries=1, timeout=10)


def _zip(path, source: str) -> str:
    """The same bytes for the same source (a fixed date): tests share
    the image of each function."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        archive.writestr(zipfile.ZipInfo('handler.py', (2026, 1, 1, 0, 0, 0)),
                         source)
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def loop(make_bridge, tmp_path):
    """A bridge on Swift and Docker with four functions and subscriptions."""
    _require('Swift', lambda: _swift().head_account())
    _require('Docker', lambda: docker.from_env().ping())
    run = uuid.uuid4().hex[:8]
    uploads = f'uploads-{run}'
    bridge = make_bridge(f"""
[store]
driver = swift
container = pratai-e2e-{run}

[swift]
auth_type = tempauth
auth_url = {AUTH_URL}
user = {SWIFT_USER}
key = {SWIFT_KEY}

[runner]
driver = docker

[dispatcher]
retry_delay = 0.2
stop_timeout = 3
""")
    bridge.subscribe('10-e2e.yaml', f"""
subscriptions:
  - name: instance-up
    function: echo
    filters:
      - event_type: [compute.instance.create.end, instance.create.end]
  - name: object-written
    function: echo
    filters:
      - event_type: objectstore.http.request
      - pattern:
          payload: {{action: [create, update]}}
          details: {{container: [{uploads}], object: [{{prefix: photos/}}]}}
  - name: explodes
    function: boom
    filters: [{{event_type: test.boom}}]
    delivery: {{max_attempts: 2}}
  - name: hangs
    function: sleepy
    filters: [{{event_type: test.sleepy}}]
    delivery: {{max_attempts: 1, timeout: 3}}
  - name: lingers
    function: sleepy
    filters: [{{event_type: test.linger}}]
    delivery: {{max_attempts: 1, timeout: 60}}
  - name: hogs
    function: hog
    filters: [{{event_type: test.hog}}]
    delivery: {{max_attempts: 1}}
""")
    for name, source, memory in (('echo', ECHO, 64), ('boom', BOOM, 64),
                                 ('sleepy', SLEEPY, 64), ('hog', HOG, 64)):
        bridge.manage('function', 'create', name, '--zip',
                      _zip(tmp_path / f'{name}.zip', source),
                      '--memory', str(memory), '--timeout', '30')
    bridge.start()
    yield bridge, uploads
    bridge.stop()
    for name in ('echo', 'boom', 'sleepy', 'hog'):  # and their images
        bridge.manage('function', 'delete', name)
    swift = _swift()
    for container in (uploads, f'pratai-e2e-{run}'):
        try:
            for obj in swift.get_container(container, full_listing=True)[1]:
                swift.delete_object(container, obj['name'])
            swift.delete_container(container)
        except swift_client.ClientException:
            pass  # never created


def _finished(bridge, subscription: str, timeout: float = 240) -> dict:
    """The execution of ``subscription`` once final, as executions show."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [e for e in bridge.executions(subscription=subscription)
                if e['status'] in FINAL]
        if done:
            return bridge.manage_json('executions', 'show',
                                      str(done[0]['id']))
        time.sleep(0.5)
    raise AssertionError(f'no final execution of {subscription}: '
                         f'{bridge.executions(subscription=subscription)}\n'
                         f'{bridge.log_text()[-3000:]}')


def swift_through(url: str, container: str) -> str:
    """The [store] and [swift] options of a bridge reaching Swift at
    ``url`` (a proxy a test can cut), giving up at once when it is away."""
    return f"""
[store]
driver = swift
container = {container}
refresh_interval = 0.5

[swift]
auth_type = tempauth
auth_url = {url}/auth/v1.0
user = {SWIFT_USER}
key = {SWIFT_KEY}
endpoint_override = {url}/v1/AUTH_test
retries = 0
timeout = 5
"""


def _publish(publisher, relative, exchange, topic):
    notification = decode.load_file(str(samples.path(relative)), exchange)
    publisher.publish(exchange, topic, notification.priority,
                      notification.publisher_id, notification.event_type,
                      notification.payload)


def test_nova_notifications_run_a_function_in_docker(loop, publisher):
    bridge, _ = loop
    _publish(publisher,
             'nova-legacy/compute.instance.create.end.ceilometer-tests.json',
             'nova', 'notifications')
    _publish(publisher, 'nova-versioned/instance-create-end.json',
             'nova', 'versioned_notifications')
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        done = [e for e in bridge.executions(subscription='instance-up')
                if e['status'] in FINAL]
        if len(done) == 2:
            break
        time.sleep(0.5)
    shown = [bridge.manage_json('executions', 'show', str(e['id']))
             for e in done]
    by_type = {s['result']['event_type']: s for s in shown}
    assert set(by_type) == {'compute.instance.create.end',
                            'instance.create.end'}
    for execution in shown:
        assert execution['status'] == 'succeeded', execution
        assert execution['result']['source'] == 'nova'
        assert execution['result']['subscription'] == 'instance-up'
        assert execution['function_version'] == 1
        assert 'event ' in execution['logs']
    legacy = by_type['compute.instance.create.end']['result']
    assert legacy['resource_id'] == '9f9d01b9-4a58-4271-9e27-398b21ab20d1'


def test_object_upload_runs_a_function_that_sees_the_path(loop):
    bridge, uploads = loop
    swift = _swift()
    swift.put_container(uploads)
    swift.put_object(uploads, 'photos/cat.jpg', b'not really a cat')
    shown = _finished(bridge, 'object-written')
    assert shown['status'] == 'succeeded', shown
    path = shown['result']['path']
    assert path.endswith(f'/{uploads}/photos/cat.jpg'), path
    assert shown['result']['source'] == 'swift'


def test_failures_end_failed_timeout_and_oom(loop, publisher):
    bridge, _ = loop
    for event_type in ('test.boom', 'test.sleepy', 'test.hog'):
        publisher.publish('nova', 'notifications', 'info', 'compute.test',
                          event_type, {'n': 1})
    boom = _finished(bridge, 'explodes')
    assert (boom['status'], boom['outcome'], boom['error_code']) == (
        'dead', 'failed', 'function_failed')
    assert 'ValueError: boom: test.boom' in boom['error']
    assert boom['attempts'] == 2
    assert [a['outcome'] for a in boom['attempt_history']] == ['failed'] * 2
    hang = _finished(bridge, 'hangs')
    assert (hang['status'], hang['outcome'], hang['error_code']) == (
        'dead', 'timeout', 'timed_out'), hang
    hog = _finished(bridge, 'hogs')
    assert (hog['status'], hog['outcome']) == ('dead', 'failed'), hog
    assert 'out of memory' in hog['error']
    # The daemon goes on: another event still runs a function.
    _publish(publisher, 'nova-versioned/instance-create-end.json',
             'nova', 'versioned_notifications')
    up = _finished(bridge, 'instance-up')
    assert up['status'] == 'succeeded'
    assert bridge.process.poll() is None
    # What failed was retired; only the succeeding echo's container is
    # left, warm, for the next event. Containers carry the bridge's id
    # (host:pid:token), which its executions keep as their owner.
    assert up['owner'].startswith(
        f'{socket.gethostname()}:{bridge.process.pid}:')
    containers = docker.from_env().containers.list(all=True, filters={
        'label': f'pratai.bridge={up["owner"]}'})
    assert [(c.labels['pratai.function'], c.labels.get('pratai.warm'),
             c.status) for c in containers] == [('echo', '1', 'running')]


def test_sigterm_waits_stop_timeout_for_running_functions(loop, publisher):
    bridge, _ = loop
    publisher.publish('nova', 'notifications', 'info', 'compute.test',
                      'test.linger', {'n': 1})
    deadline = time.monotonic() + 240
    while not bridge.executions(subscription='lingers', status='running'):
        assert time.monotonic() < deadline, bridge.log_text()[-3000:]
        time.sleep(0.2)
    started = time.monotonic()
    bridge.signal(signal.SIGTERM)
    assert bridge.process.wait(30) == 0
    # stop_timeout is 3 s; the function would sleep 60.
    assert time.monotonic() - started < 15
    assert 'Exiting with executions still running' in bridge.log_text()
    (execution,) = bridge.executions(subscription='lingers')
    assert execution['status'] == 'running'  # given back at next start
    for container in docker.from_env().containers.list(
            all=True, filters={'label': 'pratai.function=sleepy'}):
        container.remove(force=True)


def test_warm_runs_are_recorded(loop, publisher):
    bridge, _ = loop
    sample = 'nova-versioned/instance-create-end.json'
    for count in (1, 2):
        _publish(publisher, sample, 'nova', 'versioned_notifications')
        done = bridge.wait_for_executions(count, 240,
                                          subscription='instance-up')
        while any(e['status'] not in FINAL for e in done):
            time.sleep(0.2)
            done = bridge.executions(subscription='instance-up')
    shown = [bridge.manage_json('executions', 'show', str(e['id']))
             for e in sorted(done, key=lambda e: e['id'])]
    assert [(s['status'], s['warm'], s['build_wait']) for s in shown] == [
        ('succeeded', False, None), ('succeeded', True, None)]


def _image_of(bridge, name):
    sha256 = bridge.manage_json('function', 'show', name)['sha256']
    return f'pratai/function:{sha256}'


def _has_image(engine, image):
    try:
        engine.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_a_bridge_builds_ahead_what_its_subscriptions_name(
        make_bridge, publisher, tmp_path):
    _require('Docker', lambda: docker.from_env().ping())
    engine = docker.from_env()
    nonce = uuid.uuid4().hex[:8]
    bridge = make_bridge('[runner]\ndriver = docker\n')
    for name in ('early', 'later'):
        bridge.manage('function', 'create', f'{name}-{nonce}', '--zip',
                      _zip(tmp_path / f'{name}.zip', f'# {nonce} {name}\n'
                           + ECHO), '--no-build')
    early, later = (_image_of(bridge, f'{n}-{nonce}')
                    for n in ('early', 'later'))
    assert not _has_image(engine, early)  # --no-build: stored only
    bridge.subscribe('10-early.yaml', f"""
subscriptions:
  - name: early
    function: early-{nonce}
    filters: [{{event_type: test.early}}]
""")
    try:
        bridge.start()
        # An event at once: it waits, unclaimed, for the build begun at
        # start, and records how long.
        publisher.publish('nova', 'notifications', 'info', 'compute.test',
                          'test.early', {'n': 1})
        shown = _finished(bridge, 'early')
        assert shown['status'] == 'succeeded', shown
        assert shown['build_wait'] > 0 and shown['attempts'] == 1
        assert 'ahead of its events' in bridge.log_text()
        # A reload builds what the new subscriptions name, with no event.
        bridge.subscribe('20-later.yaml', f"""
subscriptions:
  - name: later
    function: later-{nonce}
    filters: [{{event_type: test.later}}]
""")
        bridge.signal(signal.SIGHUP)
        deadline = time.monotonic() + 120
        while not _has_image(engine, later):
            assert time.monotonic() < deadline, bridge.log_text()[-3000:]
            time.sleep(0.5)
        assert bridge.executions(subscription='later') == []
    finally:
        bridge.stop()
        for name in ('early', 'later'):
            bridge.manage('function', 'delete', f'{name}-{nonce}')


def test_a_swift_outage_affects_only_what_this_host_never_saw(
        make_bridge, publisher, tmp_path):
    _require('Swift', lambda: _swift().head_account())
    _require('Docker', lambda: docker.from_env().ping())
    run = uuid.uuid4().hex[:8]
    container = f'pratai-outage-{run}'
    with TcpProxy(8080) as proxy:
        url = f'http://127.0.0.1:{proxy.port}'
        bridge = make_bridge(swift_through(url, container) + """
[runner]
driver = docker

[dispatcher]
retry_delay = 0.5
""")
        images = []
        for name in ('seen', 'unseen'):
            bridge.manage('function', 'create', f'{name}-{run}', '--zip',
                          _zip(tmp_path / f'{name}.zip', f'# {name} {run}\n'
                               + ECHO))
            images.append(_image_of(bridge, f'{name}-{run}'))
        bridge.subscribe('10-seen.yaml', f"""
subscriptions:
  - name: seen
    function: seen-{run}
    filters: [{{event_type: test.seen}}]
""")
        try:
            bridge.start()
            publisher.publish('nova', 'notifications', 'info',
                              'compute.test', 'test.seen', {'n': 1})
            assert _finished(bridge, 'seen')['status'] == 'succeeded'
            proxy.cut()  # Swift is away for this bridge from now on
            time.sleep(1)  # past [store] refresh_interval
            # The version it ran runs on; one it never saw waits.
            bridge.subscribe('20-unseen.yaml', f"""
subscriptions:
  - name: unseen
    function: unseen-{run}
    filters: [{{event_type: test.unseen}}]
    delivery: {{max_attempts: 2}}
""")
            bridge.signal(signal.SIGHUP)
            bridge.wait_for_log('Cannot prepare function unseen')
            for event_type in ('test.seen', 'test.unseen'):
                publisher.publish('nova', 'notifications', 'info',
                                  'compute.test', event_type, {'n': 2})
            done = bridge.wait_for_executions(2, 60, subscription='seen')
            while any(e['status'] not in FINAL for e in done):
                time.sleep(0.2)
                done = bridge.executions(subscription='seen')
            assert [e['status'] for e in done] == ['succeeded'] * 2
            assert 'runs its last version seen' in bridge.log_text()
            unseen = _finished(bridge, 'unseen', 60)
            assert (unseen['status'], unseen['outcome'], unseen['error_code'],
                    unseen['attempts']) == (
                'dead', 'error', 'store_unavailable', 2)
            assert unseen['error'].startswith('store: ')
        finally:
            bridge.stop()
    # Swift is away for the bridge's own CLI too: clean up directly.
    swift = _swift()
    for obj in swift.get_container(container, full_listing=True)[1]:
        swift.delete_object(container, obj['name'])
    swift.delete_container(container)
    for image in images:
        docker.from_env().images.remove(image, force=True)
