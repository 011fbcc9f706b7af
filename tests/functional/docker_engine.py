"""Fixtures and helpers of the tests on the real Docker engine.

Import the fixtures into a test module to use them. A missing engine fails
the run in CI and skips it elsewhere. Every function the tests prepare is
named ``ft-<NONCE>-...`` and its source holds NONCE, so each run builds
its own images; the images are removed at the end of the module.
"""

import datetime
import time
import uuid

import pytest

from pratai_bridge.runners.docker import LABEL
from pratai_bridge.runners.docker import DockerRunner
from tests.functional.unavailable import unavailable
from tests.unit.runners.helpers import local_index
from tests.unit.runners.helpers import make_conf
from tests.unit.runners.helpers import make_function

# In every function's source, so each run builds its own images.
NONCE = uuid.uuid4().hex[:8]


@pytest.fixture(scope='module')
def engine():
    import docker

    try:
        # Generous: the shared engine is slow when the machine is loaded.
        client = docker.from_env(timeout=60)
        client.ping()
    except docker.errors.DockerException as exc:
        message = (f'the Docker engine does not answer ({exc}): '
                   'python3 tools/services.py start docker')
        unavailable(message)
    yield client
    client.close()


@pytest.fixture(scope='module')
def runner(engine, tmp_path_factory):
    root = tmp_path_factory.mktemp('docker-runner')
    # pip reads no configuration of this host: the index is the test's own;
    # a function network of the run's own (and its host rules), removed at
    # the end: never the one a bridge on this machine uses.
    conf = make_conf(root, '[builder]\npip_index_url = '
                     f'{local_index(root / "index")}\n'
                     f'[runner]\nfunction_network = ft-{NONCE}\n')
    made = DockerRunner(conf)
    prepared = []
    made.prepared = prepared
    try:
        yield made
    finally:
        made.close()
        for function in prepared:
            made.forget(function)
        made.network.remove(made.builder.api)
        made.builder.close()


@pytest.fixture(autouse=True)
def no_leftover_containers(request):
    yield
    if 'engine' not in request.fixturenames:
        return
    engine = request.getfixturevalue('engine')
    if 'runner' in request.fixturenames:
        # What the pool keeps warm is not left behind: retire it first.
        runner = request.getfixturevalue('runner')
        for function in runner.prepared:
            runner.pool.drop(function.sha256)
    # The engine's list alone (no inspect of each): another run's
    # container may go between the list and an inspect.
    ours = [c['Names'] for c in engine.api.containers(
        all=True, filters={'label': LABEL})
        if (c.get('Labels') or {}).get(LABEL, '').startswith(f'ft-{NONCE}')]
    assert ours == [], 'containers left behind'


def prepared(runner, what, files, **settings):
    """A function named after ``what``, its image built."""
    function, data = make_function(files, name=f'ft-{NONCE}-{what}',
                                   **settings)
    runner.prepare(function, data)
    runner.prepared.append(function)
    return function


def containers_of(engine, function):
    return engine.containers.list(
        all=True, filters={'label': f'{LABEL}={function.name}'})


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f'{what} after {timeout} s')


def seconds(timestamp):
    return datetime.datetime.fromisoformat(timestamp).timestamp()
