"""``pratai-bridge-manage function ...``, run in-process as an operator would.

The commands parse the global CONF; the fixture registers the [store]
options there (what pratai_bridge.conf does once the group is listed in
its MODULES) and restores the logging cliff sets up on each run.
"""

import json
import logging
import sys

import pytest

from pratai_bridge.cmd import manage
from pratai_bridge.conf import CONF
from pratai_bridge.conf import store as store_conf
from pratai_bridge.runners import _loader as runner_loader
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import Runner
from pratai_bridge.runners.base import RunnerError
from tests.unit.functions.zips import HELLO
from tests.unit.functions.zips import make_zip

FIELDS = ['name', 'version', 'project', 'handler', 'runtime', 'memory',
          'timeout',
          'network', 'warm_pool_size', 'warm_idle_time', 'warm_max_uses',
          'sha256', 'size', 'created_at']


class FakeRunner(Runner):
    """Records what it is asked to prepare (and forget); ``fail`` is
    raised by prepare() when set."""

    def __init__(self, conf=None):
        super().__init__(conf)
        self.prepared = []
        self.forgotten = []
        self.fail = None

    def prepare(self, function, package, progress=None):
        if progress is not None:
            progress(f'building {function.sha256[:12]}')
        if self.fail is not None:
            raise self.fail
        self.prepared.append((function.name, function.version,
                              function.sha256))

    def run(self, function, payload, limits, context=None):
        raise NotImplementedError

    def forget(self, function):
        self.forgotten.append(function.ref)


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    runner = FakeRunner()
    monkeypatch.setattr(runner_loader, 'load_runner', lambda conf: runner)
    store_conf.register_opts(CONF)
    config = tmp_path / 'pratai-bridge.conf'
    config.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\n')
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def run(*argv, expect=0):
        capsys.readouterr()
        code = manage.main(['--config-file', str(config), 'function',
                            *argv])
        out, err = capsys.readouterr()
        assert code == expect, (out, err)
        if '-f' in argv and expect == 0:
            return json.loads(out)
        return out, err

    run.runner = runner
    yield run
    root.handlers[:], root.level = handlers, level
    CONF.clear()


@pytest.fixture
def good_zip(tmp_path):
    path = tmp_path / 'hello.zip'
    path.write_bytes(make_zip({'handler.py': HELLO,
                               'requirements.txt': 'six\n'}))
    return str(path)


def _last_line(err):
    lines = err.strip().splitlines()
    return lines[-1] if lines else ''


def test_create_show_list_delete(cli, good_zip, tmp_path):
    created = cli('create', 'hello', '--zip', good_zip, '-f', 'json')
    assert list(created) == FIELDS
    assert created['version'] == 1 and created['handler'] == 'handler'
    assert (created['memory'], created['timeout'], created['network']) == (
        128, 30, 'none')
    second = cli('create', 'hello', '--zip', good_zip, '--memory', '512',
                 '--timeout', '120', '--network', 'bridge', '-f', 'json')
    assert (second['version'], second['memory'], second['timeout'],
            second['network']) == (2, 512, 120, 'bridge')
    assert second['sha256'] == created['sha256']
    assert (tmp_path / 'functions/hello/v2.zip').exists()

    assert cli('show', 'hello', '-f', 'json') == second
    assert cli('show', 'hello', '--version', '1', '-f', 'json') == created
    assert cli('list', '-f', 'json') == [second]
    out, _ = cli('list')
    assert 'hello' in out and 'handler' in out

    deleted = cli('delete', 'hello', '-f', 'json')
    assert deleted == [
        {'name': 'hello', 'version': 1, 'sha256': created['sha256']},
        {'name': 'hello', 'version': 2, 'sha256': created['sha256']}]
    assert cli('list', '-f', 'json') == []


def test_bad_zip_is_one_line_on_stderr(cli, tmp_path):
    path = tmp_path / 'bad.zip'
    path.write_bytes(make_zip({'handler.py': HELLO, '../evil': 'x'}))
    out, err = cli('create', 'hello', '--zip', str(path), expect=1)
    assert out == ''
    assert _last_line(err) == (f'{path}: ../evil: ".." is not allowed in '
                               'paths')
    path.write_text('plain text')
    _, err = cli('create', 'hello', '--zip', str(path), expect=1)
    assert _last_line(err).startswith(f'{path}: not a zip file')
    assert cli('list', '-f', 'json') == []


def test_several_mains_and_handler(cli, tmp_path):
    path = tmp_path / 'two.zip'
    path.write_bytes(make_zip({'a.py': HELLO, 'b.py': HELLO}))
    _, err = cli('create', 'fn', '--zip', str(path), expect=1)
    assert 'several modules define main(): a, b; choose one with --handler' \
        in _last_line(err)
    created = cli('create', 'fn', '--zip', str(path), '--handler', 'b',
                  '-f', 'json')
    assert created['handler'] == 'b'


@pytest.mark.parametrize('argv, message', [
    (['create', 'hello', '--memory', '8'], 'memory (MiB) must be'),
    (['create', 'hello', '--timeout', '3601'], 'timeout (s) must be'),
    (['create', 'bad/name'], "invalid function name 'bad/name'"),
    (['show', 'nobody'], "no function 'nobody'"),
    (['show', 'bad/name'], 'invalid function name'),
    (['delete', 'nobody'], "no function 'nobody'"),
])
def test_user_errors(cli, good_zip, argv, message):
    if argv[0] == 'create':
        argv = [*argv, '--zip', good_zip]
    out, err = cli(*argv, expect=1)
    assert message in _last_line(err)
    assert out == ''


def test_missing_zip_file(cli, tmp_path):
    _, err = cli('create', 'hello', '--zip', str(tmp_path / 'nope.zip'),
                 expect=1)
    assert _last_line(err) == (f'{tmp_path}/nope.zip: No such file or '
                               'directory')


def test_unknown_version(cli, good_zip):
    cli('create', 'hello', '--zip', good_zip)
    _, err = cli('show', 'hello', '--version', '7', expect=1)
    assert _last_line(err) == "no version 7 of function 'hello'"


def test_create_builds_before_it_stores(cli, good_zip, tmp_path):
    created = cli('create', 'hello', '--zip', good_zip, '-f', 'json')
    # Built as the version about to be stored: images go by the zip.
    assert cli.runner.prepared == [('hello', 0, created['sha256'])]
    cli('create', 'hello', '--zip', good_zip, '--no-build')
    assert len(cli.runner.prepared) == 1
    assert cli('show', 'hello', '-f', 'json')['version'] == 2
    cli('delete', 'hello')
    assert cli.runner.forgotten == ['hello:2']


def test_a_zip_that_cannot_be_built_stores_nothing(cli, good_zip):
    cli.runner.fail = BuildFailed('building pratai/function:x failed: no '
                                  'wheel for six')
    out, err = cli('create', 'hello', '--zip', good_zip, expect=1)
    assert out == ''
    assert (f'{good_zip}: hello cannot be built, nothing was stored: '
            'building pratai/function:x failed: no wheel for six') in err
    assert cli('list', '-f', 'json') == []
    cli.runner.fail = RunnerError('cannot reach the Docker engine: refused')
    _, err = cli('create', 'hello', '--zip', good_zip, expect=1)
    assert (f'{good_zip}: hello cannot be built here, nothing was stored: '
            'cannot reach the Docker engine: refused (--no-build stores it '
            'without building it)') in err
    assert cli('list', '-f', 'json') == []


def test_build_progress_shows_on_a_terminal_only(cli, good_zip, capsys,
                                                 monkeypatch):
    _, err = cli('create', 'hello', '--zip', good_zip)
    assert 'building' not in err  # not a terminal
    monkeypatch.setattr(sys.stderr, 'isatty', lambda: True, raising=False)
    _, err = cli('create', 'hello', '--zip', good_zip)
    assert 'building ' in err
    cli('create', 'hello', '--zip', good_zip, '-f', 'json')
    assert 'building' not in capsys.readouterr().err


def test_warm_settings_are_stored_and_shown(cli, good_zip):
    created = cli('create', 'hello', '--zip', good_zip, '--warm-pool-size',
                  '0', '--warm-idle-time', '60', '--warm-max-uses', '10',
                  '-f', 'json')
    assert (created['warm_pool_size'], created['warm_idle_time'],
            created['warm_max_uses']) == (0, 60, 10)
    assert cli('show', 'hello', '-f', 'json') == created
    default = cli('create', 'hello', '--zip', good_zip, '-f', 'json')
    assert default['warm_pool_size'] is None
    _, err = cli('create', 'hello', '--zip', good_zip, '--warm-pool-size',
                 '65', expect=1)
    assert 'warm pool size must be an integer from 0 to 64' in err


@pytest.mark.parametrize('build', [True, False])
def test_create_refuses_pip_options_with_or_without_build(cli, tmp_path,
                                                          build):
    path = tmp_path / 'evil.zip'
    path.write_bytes(make_zip({
        'handler.py': HELLO,
        'requirements.txt': 'six\n--extra-index-url http://evil/simple\n'}))
    argv = ['create', 'evil', '--zip', str(path)]
    _, err = cli(*argv, *([] if build else ['--no-build']), expect=1)
    assert _last_line(err) == (
        f'{path}: requirements.txt line 2: pip options are not allowed, '
        'only requirements such as "six>=1.16" (--extra-index-url '
        'http://evil/simple)')
    assert cli.runner.prepared == []
    assert cli('list', '-f', 'json') == []
