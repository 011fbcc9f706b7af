"""The docker runner against a fake engine: what it asks for, and how it
reads the attach stream. tests/functional/test_docker_runner.py runs it on
the real engine."""

import json
import math
import socket
import struct
import threading
import time

import pytest
import requests
from docker import errors as docker_errors

from pratai_bridge.runners import base
from pratai_bridge.runners.base import RunContext
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

    def inspect_image(self, image):
        self.calls.append('inspect image')
        return {'Config': {'Entrypoint': ['python3', 'runtime.py'],
                           'Cmd': None}}

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
    assert 'environment' not in created
    # The image's entrypoint, under a timeout of its own: the container
    # ends itself even when no bridge is left to kill it.
    assert created['entrypoint'] == ['timeout', '--signal=KILL', '15',
                                     'python3', 'runtime.py']
    labels = dict(created['labels'])
    deadline = int(labels.pop('pratai.deadline'))
    assert labels == {'pratai.function': 'hello', 'pratai.version': '3'}
    assert time.time() + 10 < deadline <= math.ceil(time.time() + 10 + 120)
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
    assert engine.calls == ['inspect image', 'create', 'attach', 'start',
                            'remove force=True']
    assert outcome.status == base.SUCCEEDED
    assert outcome.result == {'event_type': 'a.b'}
    assert outcome.logs == 'a log line\n'


def test_a_run_is_labelled_with_its_bridge_and_execution(runner):
    engine = FakeEngine()
    runner.builder._client = type('Client', (), {'api': engine})()
    function, _ = make_function({'handler.py': 'def main(p=None): pass\n'})
    runner.run(function, {}, limits(),
               RunContext(bridge='host:12:ab', execution=42))
    labels = engine.created['labels']
    assert labels['pratai.bridge'] == 'host:12:ab'
    assert labels['pratai.execution'] == '42'


def test_the_own_timeout_rounds_up(runner):
    engine = FakeEngine()
    _run(runner, engine, timeout_s=0.3)
    assert engine.created['entrypoint'][:3] == ['timeout', '--signal=KILL',
                                                '6']


@pytest.mark.parametrize('overrides, problem', [
    ({'memory_mb': 0}, 'memory 0 MiB is under 16'),
    ({'memory_mb': 15}, 'memory 15 MiB is under 16'),
    ({'timeout_s': 0}, 'timeout 0 s is not positive'),
    ({'timeout_s': -1.0}, 'timeout -1.0 s is not positive'),
    ({'timeout_s': float('nan')}, 'timeout nan s is not positive'),
    ({'timeout_s': float('inf')}, 'timeout inf s is not positive'),
    ({'pids': 0}, 'pids limit 0 is under 1'),
    ({'cpus': 0.0}, 'cpus 0.0 is not positive'),
])
def test_limits_meaning_no_limit_are_refused(runner, overrides, problem):
    engine = FakeEngine()
    with pytest.raises(base.RunnerError,
                       match=f'hello:3: refused to run: {problem}'):
        _run(runner, engine, **overrides)
    assert engine.calls == []


def test_the_smallest_limits_run(runner):
    engine = FakeEngine()
    _, outcome = _run(runner, engine, memory_mb=16, timeout_s=0.5)
    assert outcome.status == base.SUCCEEDED
    assert engine.created['host_config']['mem_limit'] == '16m'


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
    del engine.create_container
    engine.inspect_image = missing
    with pytest.raises(base.RunnerError, match='prepare'):
        _run(runner, engine)


def test_an_image_without_entrypoint_is_refused(runner):
    engine = FakeEngine()
    engine.inspect_image = lambda image: {'Config': {'Entrypoint': None}}
    with pytest.raises(base.RunnerError, match='has no ENTRYPOINT'):
        _run(runner, engine)
    assert 'create' not in engine.calls


NOW = 1_700_000_000.0


def _iso(moment):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(moment)) + \
        '.123456789Z'


class FakeListing:
    """An engine's containers, as a sweep sees and removes them.

    Each is (id, state, labels, finished): ``finished`` is when it ended,
    as the engine reports it (a string), or None.
    """

    def __init__(self, *containers, created=NOW - 10):
        self.containers_ = {c[0]: c for c in containers}
        self.created = created
        self.removed = []
        self.listed_with = None

    def containers(self, all=False, filters=None):
        self.listed_with = (all, filters)
        return [{'Id': cid, 'State': state, 'Labels': labels,
                 'Created': self.created}
                for cid, state, labels, _ in self.containers_.values()]

    def inspect_container(self, container):
        _, state, _, finished = self.containers_[container]
        return {'State': {'Status': state, 'FinishedAt': finished}}

    def remove_container(self, container, force=False):
        assert force
        self.removed.append(container)


def _labels(deadline=None):
    labels = {'pratai.function': 'fn', 'pratai.version': '1'}
    if deadline is not None:
        labels['pratai.deadline'] = str(deadline)
    return labels


def _sweep(runner, listing, now=NOW):
    runner.builder._client = type('Client', (), {'api': listing})()
    return runner.sweep(now=now)


def test_sweep_spares_runs_in_progress(runner):
    future = int(NOW) + 100
    listing = FakeListing(
        ('running', 'running', _labels(future), None),
        ('starting', 'created', _labels(future), None),
        # Exited a moment ago: its runner is still reading it.
        ('just-ended', 'exited', _labels(future), _iso(NOW - 5)),
        # No end time: judged by its creation, 10 s ago.
        ('unknown-end', 'exited', _labels(future), 'yesterday'),
        ('being-removed', 'removing', _labels(int(NOW) - 100), None))
    assert _sweep(runner, listing) == 0
    assert listing.removed == []
    assert listing.listed_with == (True, {'label': 'pratai.function'})


def test_sweep_removes_what_is_left_behind(runner):
    past, future = int(NOW) - 1, int(NOW) + 100
    listing = FakeListing(
        ('overdue', 'running', _labels(past), None),
        ('never-started', 'created', _labels(past), None),
        ('ended-long-ago', 'exited', _labels(future), _iso(NOW - 61)),
        ('dead', 'dead', _labels(future), _iso(NOW - 3600)),
        ('kept', 'running', _labels(future), None))
    assert _sweep(runner, listing) == 4
    assert listing.removed == ['overdue', 'never-started', 'ended-long-ago',
                               'dead']


def test_sweep_and_time_passing(runner):
    listing = FakeListing(
        ('ended', 'exited', _labels(int(NOW) + 1000), _iso(NOW)),
        ('running', 'running', _labels(int(NOW) + 1000), None))
    assert _sweep(runner, listing, now=NOW + 59) == 0
    assert _sweep(runner, listing, now=NOW + 61) == 1
    assert _sweep(runner, listing, now=NOW + 1000) == 2
    assert listing.removed == ['ended', 'ended', 'running']


def test_sweep_without_deadline_label_waits_the_longest_timeout(runner):
    listing = FakeListing(
        ('old', 'running', _labels(), None),
        ('garbled', 'running', dict(_labels(), **{'pratai.deadline': 'x'}),
         None), created=NOW)
    assert _sweep(runner, listing, now=NOW + 3600) == 0
    assert _sweep(runner, listing, now=NOW + 3600 + 121) == 2


def test_sweep_races_with_other_bridges(runner):
    listing = FakeListing(
        ('gone', 'exited', _labels(int(NOW) - 1), _iso(NOW - 100)),
        ('busy', 'running', _labels(int(NOW) - 1), None),
        ('vanished', 'exited', _labels(int(NOW) + 100), _iso(NOW - 100)))

    def remove(container, force=False):
        if container == 'gone':
            raise docker_errors.NotFound('no such container')
        raise docker_errors.APIError('removal in progress', response=type(
            'Response', (), {'status_code': 409, 'reason': 'Conflict'})())

    def inspect(container):
        raise docker_errors.NotFound('no such container')

    listing.remove_container = remove
    listing.inspect_container = inspect
    assert _sweep(runner, listing) == 0


def test_sweep_engine_errors_are_runner_errors(runner):
    listing = FakeListing()

    def broken(**kwargs):
        raise requests.exceptions.ConnectionError('engine away')

    listing.containers = broken
    with pytest.raises(base.RunnerError, match='cannot sweep.*engine away'):
        _sweep(runner, listing)


def test_other_runners_sweep_nothing(conf):
    from pratai_bridge.runners.local import LocalRunner

    assert LocalRunner(conf).sweep() == 0


class FilteringListing(FakeListing):
    """A listing that applies the engine's ``label=KEY=VALUE`` filter."""

    def containers(self, all=False, filters=None):
        key, _, value = filters['label'].partition('=')
        return [c for c in super().containers(all, filters)
                if c['Labels'].get(key) == value]


def test_stop_orphans_removes_only_the_dead_bridges_containers(runner):
    mine = dict(_labels(int(NOW) + 100), **{'pratai.bridge': 'dead:1'})
    other = dict(_labels(int(NOW) + 100), **{'pratai.bridge': 'live:2'})
    listing = FilteringListing(('a', 'running', mine, None),
                               ('b', 'created', mine, None),
                               ('c', 'running', other, None),
                               ('d', 'running', _labels(int(NOW) + 100),
                                None))
    runner.builder._client = type('Client', (), {'api': listing})()
    assert runner.stop_orphans('dead:1') == 2
    assert listing.removed == ['a', 'b']
    assert listing.listed_with == (True, {'label': 'pratai.bridge=dead:1'})
    assert runner.stop_orphans('') == 0
