"""The docker runner on a remote engine: a second dockerd of this test's
own on a TLS TCP port of 127.0.0.1 (see tests/functional/tls_dockerd.py),
reached with ``[builder] docker_url`` and client certificates.

The engine starts empty and cannot pull, so the base image is copied
into it from the shared engine; the runtime and function images are
built on it by the bridge, as on any remote engine.
"""

import uuid

import pytest
import requests

from pratai_bridge.runners import base
from pratai_bridge.runners.docker import LABEL
from pratai_bridge.runners.docker import DockerRunner
from pratai_bridge.runners.docker import builder as builder_mod
from tests.functional import rabbit
from tests.functional.test_metrics import by_labels
from tests.functional.test_metrics import free_port
from tests.functional.test_metrics import scrape
from tests.functional.tls_dockerd import TLSDockerd
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import make_conf
from tests.unit.runners.helpers import make_function

NONCE = uuid.uuid4().hex[:8]
ECHO = ('def main(payload=None):\n'
        f'    return {{"nonce": "{NONCE}", "got": payload}}\n')


@pytest.fixture(scope='module')
def remote(engine, tmp_path_factory):
    """The TLS engine, holding the base image of the shared one."""
    shared = builder_mod.Builder(make_conf(tmp_path_factory.mktemp('base')))
    try:
        shared.ensure_base_image()  # made here once if this host lacks it
    finally:
        shared.close()
    dockerd = TLSDockerd()
    try:
        dockerd.start()
        dockerd.load_image(engine, shared.conf.builder.base_image)
        yield dockerd
    finally:
        dockerd.stop()


def test_functions_run_on_the_remote_engine_cold_then_warm(remote, engine,
                                                           tmp_path):
    conf = make_conf(tmp_path, '[builder]\n' + remote.conf_lines())
    runner = DockerRunner(conf)
    function, data = make_function({'handler.py': ECHO},
                                   name=f'ft-{NONCE}-remote')
    try:
        runner.probe()
        runner.prepare(function, data)
        first = runner.run(function, {'n': 1}, limits())
        second = runner.run(function, {'n': 2}, limits())
        client = remote.client()
        try:
            on_remote = client.containers.list(
                all=True, filters={'label': f'{LABEL}={function.name}'})
            images = client.images.list(builder_mod.REPOSITORY)
        finally:
            client.close()
    finally:
        runner.close()
        runner.builder.close()
    assert (first.status, first.result) == (
        'succeeded', {'nonce': NONCE, 'got': {'n': 1}})
    assert (second.status, second.result['got']) == ('succeeded', {'n': 2})
    assert (first.warm, second.warm) == (False, True)
    # It ran there (a warm container is kept there), and never here.
    assert len(on_remote) == 1
    assert [i for i in images
            if builder_mod.image_tag(function.sha256) in i.tags]
    assert engine.containers.list(
        all=True, filters={'label': f'{LABEL}={function.name}'}) == []
    assert engine.images.list(builder_mod.image_tag(function.sha256)) == []


def test_an_engine_that_wants_a_client_certificate_refuses_none(remote,
                                                                 tmp_path):
    conf = make_conf(tmp_path, f'[builder]\ndocker_url = {remote.url}\n'
                               f'docker_ca_file = {remote.certs["ca"]}\n')
    runner = DockerRunner(conf)
    with pytest.raises(base.RunnerError, match='(?i)certificate'):
        runner.probe()
    # And a certificate of another CA is not the engine's.
    conf = make_conf(tmp_path, f'[builder]\ndocker_url = {remote.url}\n'
                               f'docker_ca_file = {remote.certs["client"]}\n'
                               f'docker_cert_file = {remote.certs["client"]}\n'
                               'docker_key_file = '
                               f'{remote.certs["client-key"]}\n')
    with pytest.raises(base.RunnerError, match='CERTIFICATE_VERIFY_FAILED'):
        DockerRunner(conf).probe()


def test_the_daemon_runs_on_the_remote_engine(remote, make_bridge, publisher,
                                              tmp_path):
    topic = f'ft-remote-{NONCE}'
    port = free_port()
    bridge = make_bridge(
        f'[api]\nenabled = true\nport = {port}\ntoken = t\n'
        f'health_cache_seconds = 0\n[runner]\ndriver = docker\n'
        f'[builder]\n{remote.conf_lines()}'
        f'[listener]\ntargets = nova:{topic}\n')
    bridge.subscribe('10-main.yaml', f"""
subscriptions:
  - name: on-create
    function: echo-{NONCE}
    filters: [{{event_type: compute.instance.create.end}}]
    delivery: {{concurrency: 1}}
""")
    source = tmp_path / 'echo'
    source.mkdir()
    (source / 'handler.py').write_text(ECHO)
    # Built at upload, on the remote engine: this host has no image of it.
    bridge.manage('function', 'create', f'echo-{NONCE}', '--zip', str(source))
    bridge.start()
    try:
        for n in range(3):
            publisher.publish('nova', topic, 'info', 'compute.host1',
                              'compute.instance.create.end',
                              {'instance_id': f'i-{n}', 'tenant_id': 'p'})
        found = bridge.wait_for_executions(3, timeout=120,
                                           status='succeeded')
        samples = scrape(f'http://127.0.0.1:{port}')
        health = requests.get(f'http://127.0.0.1:{port}/healthz', timeout=30)
    finally:
        bridge.stop()
        # ...and the <topic>.info queue the Notifier declared on sending.
        rabbit.delete_queues([f'{bridge.pool}.nova', f'{topic}.info'])
        bridge.manage('function', 'delete', f'echo-{NONCE}', check=False)
    assert len(found) == 3
    # One at a time: the first starts a container, the next two reuse it.
    assert by_labels(samples, 'pratai_starts_total') == {
        (('function', f'echo-{NONCE}'), ('kind', 'cold')): 1,
        (('function', f'echo-{NONCE}'), ('kind', 'warm')): 2}
    assert health.json()['checks']['runner'] == 'ok'
