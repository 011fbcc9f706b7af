"""``pratai-bridge-manage function ...``, run in-process as an operator would.

The commands parse the global CONF; the fixture registers the [store]
options there (what pratai_bridge.conf does once the group is listed in
its MODULES) and restores the logging cliff sets up on each run.
"""

import json
import logging

import pytest

from pratai_bridge.cmd import manage
from pratai_bridge.conf import CONF
from pratai_bridge.conf import store as store_conf
from tests.unit.functions.zips import HELLO
from tests.unit.functions.zips import make_zip

FIELDS = ['name', 'version', 'handler', 'runtime', 'memory', 'timeout',
          'network', 'sha256', 'size', 'created_at']


@pytest.fixture
def cli(tmp_path, capsys):
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
