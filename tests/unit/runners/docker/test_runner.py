"""The docker runner against a fake engine: what it asks for, how it
speaks the runtime's serve protocol on the attach stream, and when it
reuses or retires a container. tests/functional/test_docker_runner.py and
test_warm_containers.py run it on the real engine."""

import hashlib
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
from pratai_bridge.runners._runtime import runtime_digest
from pratai_bridge.runners._runtime import runtime_directory
from pratai_bridge.runners.base import RunContext
from pratai_bridge.runners.docker import DockerRunner
from pratai_bridge.runners.docker import builder as builder_mod
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import make_function


class FakeContainer:
    """A container behind a socket pair, playing the runtime's side.

    ``behaviour`` is what it does with each request line: ``answer``
    writes a log line, the request's end marker (in two pieces) and an
    answer echoing the payload; ``refuse`` answers the same but not
    reusable; ``hang`` waits to be killed; ``oom`` and ``crash`` end.
    """

    def __init__(self, engine, cid, behaviour):
        self.engine, self.id, self.behaviour = engine, cid, behaviour
        self.requests = []
        self.ended = threading.Event()
        self.ours, self._theirs = socket.socketpair()
        self.killed = False

    def serve(self):
        if self.behaviour == 'deaf':  # never reads its stdin
            self.ended.wait()
            return
        reader = self._theirs.makefile('rb')
        while line := reader.readline():
            request = json.loads(line)
            self.requests.append(request)
            if self.behaviour in ('answer', 'refuse'):
                end = request['end'].encode()
                self._frame(2, b'a log line\n' + end[:5])
                self._frame(2, end[5:] + self.engine.between)
                answer = {'status': 'succeeded',
                          'result': request['payload'],
                          'reusable': self.behaviour == 'answer'}
                self._frame(1, json.dumps(answer).encode() + b'\n')
            elif self.behaviour == 'hang':
                self.ended.wait()
                return
            else:
                break
        self.end()

    def _frame(self, stream, data):
        self._theirs.sendall(struct.pack('>BxxxL', stream, len(data)) + data)

    def end(self):
        if not self.ended.is_set():
            self.ended.set()
            # shutdown, not only close: serve()'s makefile holds the
            # socket open, and the bridge's side must see its streams end
            # as an engine's attach connection does when a container dies.
            try:
                self._theirs.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._theirs.close()


class FakeEngine:
    """The calls DockerRunner makes; each container a FakeContainer."""

    def __init__(self, behaviour='answer', fail_start=False,
                 runtime_label=None):
        self.behaviour = behaviour
        self.fail_start = fail_start
        self.runtime_label = runtime_label
        self.between = b''
        self.calls = []
        self.created = []
        self.containers = {}
        self.networks = {}
        self.runtimes = {'runc': {}, 'io.containerd.runc.v2': {}}

    def create_host_config(self, **kwargs):
        return kwargs

    def info(self):
        return {'Runtimes': self.runtimes}

    def inspect_network(self, name):
        if name not in self.networks:
            raise docker_errors.NotFound('no such network')
        return {'Options': self.networks[name]['options']}

    def create_network(self, name, **kwargs):
        self.calls.append('create network')
        self.networks[name] = kwargs

    def inspect_image(self, image):
        self.calls.append('inspect image')
        return {'Config': {'Entrypoint': ['python3', 'runtime.py'],
                           'Cmd': None, 'Labels': {
                               builder_mod.RUNTIME_LABEL: self.runtime_label}}}

    def create_container(self, image, **kwargs):
        self.calls.append('create')
        cid = f'c0ffee{len(self.created)}'
        self.created.append(dict(kwargs, image=image))
        self.containers[cid] = FakeContainer(self, cid, self.behaviour)
        return {'Id': cid}

    def attach_socket(self, container, params):
        self.calls.append('attach')
        self.attach_params = params
        return self.containers[container].ours

    def start(self, container):
        self.calls.append('start')
        if self.fail_start:
            raise docker_errors.APIError('cannot start')
        threading.Thread(target=self.containers[container].serve,
                         daemon=True).start()

    def wait(self, container, timeout=None):
        if not self.containers[container].ended.wait(timeout):
            raise requests.exceptions.ReadTimeout('read timed out')
        code = {'crash': 3, 'answer': 0}.get(self.behaviour, 137)
        return {'StatusCode': code, 'Error': None}

    def kill(self, container):
        self.calls.append('kill')
        self.containers[container].end()

    def inspect_container(self, container):
        return {'State': {'OOMKilled': self.behaviour == 'oom'}}

    def remove_container(self, container, force=False):
        self.calls.append(f'remove force={force}')
        self.containers[container].end()


@pytest.fixture
def runner(conf):
    made = DockerRunner(conf)
    yield made
    made.close()


def _engine(runner, *args, **kwargs):
    kwargs.setdefault('runtime_label', runtime_digest(
        runtime_directory(runner.conf)))
    engine = FakeEngine(*args, **kwargs)
    runner.builder._client = type('Client', (), {'api': engine})()
    return engine


def _function(**settings):
    function, _ = make_function({'handler.py': 'def main(p=None): pass\n'},
                                name='hello', version=3, handler='handler',
                                **settings)
    return function


def _run(runner, function=None, payload=None, context=base.NO_CONTEXT,
         **limit_overrides):
    return runner.run(function or _function(warm_pool_size=0),
                      payload or {'event_type': 'a.b'},
                      limits(**limit_overrides), context)


def test_the_container_is_locked_down(runner):
    engine = _engine(runner)
    function = _function(warm_pool_size=0)
    outcome = _run(runner, function, memory_mb=96, pids=32, cpus=0.5)
    [created] = engine.created
    assert created['image'] == f'pratai/function:{function.sha256}'
    assert created['command'] == ['--handler', 'handler', '--serve']
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
        'shm_size': '16m',
        'cap_drop': ['ALL'], 'security_opt': ['no-new-privileges'],
        'mem_limit': '96m', 'memswap_limit': '96m', 'pids_limit': 32,
        'nano_cpus': 500000000, 'network_mode': 'none', 'init': True,
        'log_config': {'type': 'none', 'config': {}},
        'ulimits': [{'Name': 'nofile', 'Soft': 256, 'Hard': 256},
                    {'Name': 'nproc', 'Soft': 1024, 'Hard': 1024}]}
    assert engine.attach_params == {'stdin': 1, 'stdout': 1, 'stderr': 1,
                                    'stream': 1}
    # The payload went on stdin, in one request line, nowhere else.
    [request] = engine.containers['c0ffee0'].requests
    assert request['payload'] == {'event_type': 'a.b'}
    assert request['timeout'] == 15.0
    assert request['end'].startswith('\x1e')
    # Killed while its output is still read, then removed: a container
    # disconnected first may block the engine (see DockerRunner._retire).
    assert engine.calls == ['inspect image', 'create', 'attach', 'start',
                            'kill', 'remove force=True']
    assert (outcome.status, outcome.warm) == (base.SUCCEEDED, False)
    assert outcome.result == {'event_type': 'a.b'}
    # The end marker, cut in two, is not in the logs.
    assert outcome.logs == 'a log line\n'


def test_a_run_is_labelled_with_its_bridge_and_execution(runner):
    engine = _engine(runner)
    _run(runner, context=RunContext(bridge='host:12:ab', execution=42))
    labels = engine.created[0]['labels']
    assert labels['pratai.bridge'] == 'host:12:ab'
    assert labels['pratai.execution'] == '42'


def test_the_own_timeout_rounds_up(runner):
    engine = _engine(runner)
    _run(runner, timeout_s=0.3)
    assert engine.created[0]['entrypoint'][:3] == ['timeout',
                                                   '--signal=KILL', '6']


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
    engine = _engine(runner)
    with pytest.raises(base.RunnerError,
                       match=f'hello:3: refused to run: {problem}'):
        _run(runner, **overrides)
    assert engine.calls == []


def test_the_smallest_limits_run(runner):
    engine = _engine(runner)
    outcome = _run(runner, memory_mb=16, timeout_s=0.5)
    assert outcome.status == base.SUCCEEDED
    assert engine.created[0]['host_config']['mem_limit'] == '16m'


def test_network_only_when_asked_and_never_docker0(runner):
    runner.conf.set_override('network_firewall', False, 'runner')
    engine = _engine(runner)
    _run(runner)
    _run(runner, network=True)
    _run(runner, network=True)
    assert [c['host_config']['network_mode'] for c in engine.created] == [
        'none', 'pratai-functions', 'pratai-functions']
    # Made once, with a named interface and no traffic between functions.
    [(name, made)] = engine.networks.items()
    assert name == 'pratai-functions'
    assert made['options'] == {
        'com.docker.network.bridge.name': 'pfn-' + hashlib.sha256(
            b'pratai-functions').hexdigest()[:10],
        'com.docker.network.bridge.enable_icc': 'false'}


def test_a_foreign_network_of_the_same_name_is_refused(runner):
    runner.conf.set_override('network_firewall', False, 'runner')
    engine = _engine(runner)
    engine.networks['pratai-functions'] = {'options': {}}
    with pytest.raises(base.RunnerError, match='exists but is not the '
                       "bridge's"):
        _run(runner, network=True)
    assert engine.created == []


def test_the_sandbox_settings_apply(runner):
    for name, value in (('tmp_size_mb', 64), ('nofile_limit', 100),
                        ('nproc_limit', 500), ('oci_runtime', 'runsc')):
        runner.conf.set_override(name, value, 'runner')
    engine = _engine(runner)
    _run(runner)
    config = engine.created[0]['host_config']
    assert config['tmpfs'] == {'/tmp': 'size=64m,mode=1777'}
    assert config['ulimits'] == [
        {'Name': 'nofile', 'Soft': 100, 'Hard': 100},
        {'Name': 'nproc', 'Soft': 500, 'Hard': 500}]
    assert config['runtime'] == 'runsc'


def test_a_changed_sandbox_setting_is_not_served_warm(runner):
    engine = _engine(runner)
    function = _function()
    _run(runner, function)
    runner.conf.set_override('tmp_size_mb', 32, 'runner')
    again = _run(runner, function)
    assert again.warm is False
    assert len(engine.created) == 2


def test_an_unknown_oci_runtime_is_refused(runner):
    engine = _engine(runner)
    runner.check_config()  # none set: nothing asked
    runner.conf.set_override('oci_runtime', 'runsc', 'runner')
    with pytest.raises(base.RunnerError, match=(
            r'^\[runner\] oci_runtime runsc: the Docker engine does not '
            r'know it \(it knows io.containerd.runc.v2, runc\)')):
        runner.check_config()
    engine.runtimes['runsc'] = {'path': '/usr/bin/runsc'}
    runner.check_config()


def test_a_payload_over_its_bound_is_never_handed_over(runner):
    runner.conf.set_override('max_payload_kb', 1, 'runner')
    engine = _engine(runner)
    with pytest.raises(base.PayloadTooLarge, match=(
            'hello:3: the payload is 1032 bytes, over .runner. '
            r'max_payload_kb \(1024 bytes\): not handed to the function')):
        _run(runner, payload={'x': 'y' * 1024})
    assert engine.calls == []
    # At the bound, it runs.
    assert _run(runner, payload={'x': 'y' * 1016}).status == base.SUCCEEDED


def test_a_result_over_its_bound_fails(runner):
    runner.conf.set_override('max_result_kb', 1, 'runner')
    _engine(runner)
    outcome = _run(runner, payload={'x': 'y' * 2048})
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'the result is larger than 1024 bytes ([runner] '
        'max_result_kb): not kept')


def test_a_container_that_does_not_read_times_out(runner):
    runner.conf.set_override('max_payload_kb', 8192, 'runner')
    engine = _engine(runner, 'deaf')
    started = time.monotonic()
    outcome = _run(runner, _function(), {'big': 'x' * (4 * 1024 * 1024)},
                   timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert outcome.status == base.TIMEOUT
    assert engine.calls[-2:] == ['kill', 'remove force=True']


def test_timeout_kills_then_removes(runner):
    engine = _engine(runner, 'hang')
    outcome = _run(runner, _function(), timeout_s=0.3)
    assert outcome.status == base.TIMEOUT
    assert engine.calls[-2:] == ['kill', 'remove force=True']
    assert runner.pool.idle_count() == 0


@pytest.mark.parametrize('behaviour, error', [
    ('oom', 'out of memory (limit 64 MiB)'),
    ('crash', 'the function ended without a result (exit 3)'),
])
def test_a_container_that_ends_fails_its_run_and_goes(runner, behaviour,
                                                      error):
    engine = _engine(runner, behaviour)
    outcome = _run(runner, _function(), memory_mb=64)
    assert (outcome.status, outcome.error) == (base.FAILED, error)
    assert 'kill' not in engine.calls
    assert engine.calls[-1] == 'remove force=True'
    assert runner.pool.idle_count() == 0


def test_engine_errors_are_runner_errors_and_still_remove(runner):
    engine = _engine(runner, fail_start=True)
    with pytest.raises(base.RunnerError, match='cannot start its '
                                               'container: .*cannot start'):
        _run(runner)
    assert engine.calls[-1] == 'remove force=True'


def test_a_missing_image_is_not_prepared(runner):
    engine = _engine(runner)
    assert runner.ready(_function()) is True

    def missing(image, **kwargs):
        raise docker_errors.ImageNotFound('no such image')

    # Removed since it was seen: the run finds out, and forgets it.
    engine.create_container = missing
    engine.inspect_image = missing
    assert runner.ready(_function()) is True
    with pytest.raises(base.NotPrepared, match='no image'):
        _run(runner)
    assert runner.ready(_function()) is False
    with pytest.raises(base.NotPrepared, match='no image'):
        _run(runner)


def test_an_image_of_another_runtime_is_not_prepared(runner):
    _engine(runner, runtime_label='older')
    assert runner.ready(_function()) is False
    with pytest.raises(base.NotPrepared, match='current runtime'):
        _run(runner)


def test_ready_looks_the_image_up_once(runner):
    engine = _engine(runner)
    assert runner.ready(_function()) is True
    assert runner.ready(_function()) is True
    _run(runner)
    assert engine.calls.count('inspect image') == 1


def test_an_image_without_entrypoint_is_refused(runner):
    engine = _engine(runner)
    engine.inspect_image = lambda image: {'Config': {
        'Entrypoint': None, 'Labels': {
            builder_mod.RUNTIME_LABEL: runner.builder.runtime_digest()}}}
    with pytest.raises(base.RunnerError, match='has no ENTRYPOINT'):
        _run(runner)
    assert 'create' not in engine.calls


def test_a_warm_container_serves_the_next_run(runner):
    engine = _engine(runner)
    function = _function()
    context = RunContext(bridge='host:12:ab', execution=42)
    first = _run(runner, function, {'n': 1}, context)
    second = _run(runner, function, {'n': 2}, context)
    assert (first.warm, second.warm) == (False, True)
    assert (first.result, second.result) == ({'n': 1}, {'n': 2})
    assert second.logs == 'a log line\n'
    assert engine.calls.count('create') == 1
    assert 'remove force=True' not in engine.calls
    [created] = engine.created
    # Kept past the run's timeout, for its lifetime; no execution label.
    assert created['entrypoint'][:3] == ['timeout', '--signal=KILL', '905']
    assert created['labels']['pratai.warm'] == '1'
    assert created['labels']['pratai.bridge'] == 'host:12:ab'
    assert 'pratai.execution' not in created['labels']
    assert len(engine.containers['c0ffee0'].requests) == 2
    runner.close()
    assert engine.calls[-1] == 'remove force=True'
    assert runner.pool.idle_count() == 0


def test_what_stderr_carries_between_runs_goes_to_the_next_logs(runner):
    engine = _engine(runner)
    engine.between = b'a thread left running\n'
    function = _function()
    _run(runner, function)
    assert _run(runner, function).logs == ('a thread left running\n'
                                           'a log line\n')


def test_an_answer_not_reusable_retires_the_container(runner):
    engine = _engine(runner, 'refuse')
    function = _function()
    assert _run(runner, function).status == base.SUCCEEDED
    assert engine.calls[-1] == 'remove force=True'
    assert _run(runner, function).warm is False
    assert engine.calls.count('create') == 2


def test_another_function_or_other_limits_get_their_own_container(runner):
    engine = _engine(runner)
    function = _function()
    _run(runner, function)
    _run(runner, function, memory_mb=256)
    other, _ = make_function({'handler.py': 'def main(p=None): pass\n'},
                             name='other')
    runner.run(other, {}, limits())
    assert engine.calls.count('create') == 3
    # The timeout is per invocation: not part of what a container serves.
    assert _run(runner, function, timeout_s=3).warm is True


def test_forget_retires_the_function_s_warm_containers(runner):
    engine = _engine(runner)
    function = _function()
    _run(runner, function)
    runner.builder.remove = lambda function: True
    runner.forget(function)
    assert engine.calls[-1] == 'remove force=True'
    assert runner.pool.idle_count() == 0
