"""The docker runner against a fake engine: what it asks for, and how it
reads the attach stream. tests/functional/test_docker_runner.py runs it on
the real engine."""

import json
import socket
import struct
import threading

import pytest
import requests
from docker import errors as docker_errors

from pratai_bridge.runners import base
from pratai_bridge.runners.docker import DockerRunner
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import make_function


class FakeEngine:
    """The calls DockerRunner makes, and a container behind a socket.

    ``behaviour`` is what the container does once started: ``answer``
    reads its stdin then writes a result line (the payload echoed) and a
    log line; ``hang`` reads its stdin and waits to be killed; ``oom``
    reads its stdin and is ended by the out-of-memory killer.
    """

    def __init__(self, behaviour='answer', fail_start=False):
        self.behaviour = behaviour
        self.fail_start = fail_start
        self.calls = []
        self.stdin = b''
        self.created = {}
        self._ended = threading.Event()
        self._ours, self._theirs = socket.socketpair()

    def create_host_config(self, **kwargs):
        return kwargs

    def create_container(self, image, **kwargs):
        self.calls.append('create')
        self.created = dict(kwargs, image=image)
        return {'Id': 'c0ffee'}

    def attach_socket(self, container, params):
        self.calls.append('attach')
        self.attach_params = params
        return self._ours

    def start(self, container):
        self.calls.append('start')
        if self.fail_start:
            raise docker_errors.APIError('cannot start')
        threading.Thread(target=self._container, daemon=True).start()

    def _container(self):
        while chunk := self._theirs.recv(65536):
            self.stdin += chunk
        if self.behaviour == 'answer':
            self._frame(2, b'a log line\n')
            line = {'status': 'succeeded', 'result': json.loads(self.stdin)}
            self._frame(1, json.dumps(line).encode() + b'\n')
            self._end()
        elif self.behaviour == 'oom':
            self._end()
        else:
            self._ended.wait()

    def _frame(self, stream, data):
        self._theirs.sendall(struct.pack('>BxxxL', stream, len(data)) + data)

    def _end(self):
        self._theirs.close()
        self._ended.set()

    def wait(self, container, timeout=None):
        if not self._ended.wait(timeout):
            raise requests.exceptions.ReadTimeout('read timed out')
        return {'StatusCode': 0 if self.behaviour == 'answer' else 137,
                'Error': None}

    def kill(self, container):
        self.calls.append('kill')
        self._end()

    def inspect_container(self, container):
        return {'State': {'OOMKilled': self.behaviour == 'oom'}}

    def remove_container(self, container, force=False):
        self.calls.append(f'remove force={force}')


@pytest.fixture
def runner(conf):
    return DockerRunner(conf)


def _run(runner, engine, **limit_overrides):
    runner.builder._client = type('Client', (), {'api': engine})()
    function, _ = make_function({'handler.py': 'def main(p=None): pass\n'},
                                name='hello', version=3, handler='handler')
    return function, runner.run(function, {'event_type': 'a.b'},
                                limits(**limit_overrides))


def test_the_container_is_locked_down(runner):
    engine = FakeEngine()
    function, outcome = _run(runner, engine, memory_mb=96, pids=32,
                             cpus=0.5)
    created = engine.created
    assert created['image'] == f'pratai/function:{function.sha256}'
    assert created['command'] == ['--handler', 'handler']
    assert created['user'] == '10001:10001'
    assert created['stdin_open'] is True
    assert created['use_config_proxy'] is False
    assert 'environment' not in created and 'entrypoint' not in created
    assert created['labels'] == {'pratai.function': 'hello',
                                 'pratai.version': '3'}
    assert created['name'].startswith('pratai-hello-3-')
    assert created['host_config'] == {
        'read_only': True, 'tmpfs': {'/tmp': 'size=16m,mode=1777'},
        'cap_drop': ['ALL'], 'security_opt': ['no-new-privileges'],
        'mem_limit': '96m', 'memswap_limit': '96m', 'pids_limit': 32,
        'nano_cpus': 500000000, 'network_mode': 'none', 'init': True,
        'log_config': {'type': 'none', 'config': {}}}
    assert engine.attach_params == {'stdin': 1, 'stdout': 1, 'stderr': 1,
                                    'stream': 1}
    # The payload went on stdin, nowhere else.
    assert json.loads(engine.stdin) == {'event_type': 'a.b'}
    assert engine.calls == ['create', 'attach', 'start',
                            'remove force=True']
    assert outcome.status == base.SUCCEEDED
    assert outcome.result == {'event_type': 'a.b'}
    assert outcome.logs == 'a log line\n'


def test_network_only_when_asked(runner):
    engine = FakeEngine()
    _run(runner, engine, network=True)
    assert engine.created['host_config']['network_mode'] == 'bridge'


def test_timeout_kills_then_removes(runner):
    engine = FakeEngine('hang')
    _, outcome = _run(runner, engine, timeout_s=0.3)
    assert outcome.status == base.TIMEOUT
    assert engine.calls[-2:] == ['kill', 'remove force=True']


def test_oom(runner):
    engine = FakeEngine('oom')
    _, outcome = _run(runner, engine, memory_mb=64)
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'out of memory (limit 64 MiB)')
    assert 'kill' not in engine.calls


def test_engine_errors_are_runner_errors_and_still_remove(runner):
    engine = FakeEngine(fail_start=True)
    with pytest.raises(base.RunnerError, match='running its container '
                                               'failed: .*cannot start'):
        _run(runner, engine)
    assert engine.calls[-1] == 'remove force=True'


def test_a_missing_image_says_to_prepare(runner):
    engine = FakeEngine()

    def missing(image, **kwargs):
        raise docker_errors.ImageNotFound('no such image')

    engine.create_container = missing
    with pytest.raises(base.RunnerError, match='prepare'):
        _run(runner, engine)
