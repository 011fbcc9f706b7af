"""``pratai-bridge`` refuses a bad configuration: one CRITICAL line, exit 1.

Each case fails before anything is reached (the checks run first), so
these need no broker, engine or database.
"""

import pathlib
import subprocess
import sys

import pytest

BRIDGE = str(pathlib.Path(sys.executable).parent / 'pratai-bridge')


@pytest.fixture
def write(tmp_path):
    (tmp_path / 'subscriptions.d').mkdir()

    def write(text):
        path = tmp_path / 'pratai-bridge.conf'
        path.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\n'
                        f'[subscriptions]\ndirectory = {tmp_path}/'
                        f'subscriptions.d\n{text}')
        return path
    return write


def start(*args):
    return subprocess.run([BRIDGE, *args], capture_output=True, text=True,
                          timeout=60)


def criticals(text):
    return [line for line in text.splitlines() if ' CRITICAL ' in line]


@pytest.mark.parametrize('text, problem', [
    ('[listener]\npol = blue\n',
     ':6: unknown option [listener] pol (did you mean pool?)'),
    ('[dispatcher]\nworkers = zero\n',
     ":6: [dispatcher] workers = 'zero' is not valid: an integer >= 1 "
     'expected'),
    ('[runner]\ndriver = dokcer\n',
     ":6: [runner] driver = 'dokcer' is not valid: one of docker, local"),
    ('[store]\ndriver = local   # or swift\n',
     ':6: [store] driver: the value'),
])
def test_a_bad_setting_is_one_critical_line(write, text, problem):
    path = write(text)
    result = start('--config-file', str(path))
    assert result.returncode == 1
    output = result.stdout + result.stderr
    (line,) = criticals(output)
    assert f'pratai-bridge not started: {path}{problem}' in line
    assert 'Traceback' not in output


def test_every_problem_is_logged_before_the_critical_line(write):
    result = start('--config-file', str(write(
        '[stroe]\ndriver = swift\n[dispatcher]\nworker = 2\n')))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [' ERROR ' in lines[0], ' ERROR ' in lines[1]] == [True, True]
    (line,) = criticals(result.stdout)
    assert line.endswith('(did you mean [store]?) (and 1 more problem)')


def test_debug_adds_the_traceback(write):
    result = start('--config-file', str(write('[listener]\npol = x\n')),
                   '--debug')
    assert result.returncode == 1
    assert 'Traceback' in result.stdout
    assert len(criticals(result.stdout)) == 1


def test_a_log_file_still_leaves_the_line_on_stderr(write, tmp_path):
    log = tmp_path / 'bridge.log'
    result = start('--config-file', str(write(
        f'[DEFAULT]\nlog_file = {log}\n[dispatcher]\nworkers = 0\n')))
    assert result.returncode == 1
    assert len(criticals(log.read_text())) == 1
    assert result.stderr.startswith('CRITICAL pratai-bridge not started: ')
    assert f'(see {log})' in result.stderr


def test_a_missing_file_or_directory_stops_it(write, tmp_path):
    result = start('--config-file', str(tmp_path / 'nope.conf'))
    assert result.returncode == 1
    assert result.stderr == ('CRITICAL pratai-bridge not started: Failed to '
                             f'find some config files: {tmp_path}/'
                             'nope.conf\n')
    result = start('--config-file', str(write(
        f'[subscriptions]\ndirectory = {tmp_path}/none\n')))
    assert result.returncode == 1
    (line,) = criticals(result.stdout)
    assert line.endswith(f':6: [subscriptions] directory {tmp_path}/none '
                         'does not exist')


def test_shared_files_may_allow_unknown_options(write):
    """With allow_unknown_options the unknown names are warnings; the
    start goes on (and fails here on the value error, not on them)."""
    result = start('--config-file', str(write(
        '[DEFAULT]\nallow_unknown_options = true\n[nova]\nx = 1\n'
        '[dispatcher]\nworkers = 0\n')))
    assert result.returncode == 1
    (line,) = criticals(result.stdout)
    assert "workers = '0' is not valid" in line
    assert ' WARNING ' in result.stdout and '[nova]' in result.stdout


def test_a_service_failing_at_start_is_one_critical_line_too(write):
    """Past the checks: the journal's database refuses the connection (no
    one serves port 9 here)."""
    result = start('--config-file', str(write(
        '[runner]\ndriver = local\n[journal]\n'
        'connection = postgresql+psycopg2://bridge@127.0.0.1:9/journal\n')))
    assert result.returncode == 1
    (line,) = criticals(result.stdout)
    assert 'pratai-bridge not started: ' in line
    assert '127.0.0.1' in line and 'Traceback' not in result.stdout
