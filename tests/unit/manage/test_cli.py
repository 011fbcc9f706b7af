"""The admin CLI's edges, run as an operator runs it (a subprocess)."""

import json
import pathlib
import subprocess
import sys

import pytest

from pratai_bridge.journal import Journal

BIN = pathlib.Path(sys.executable).parent
MANAGE = str(BIN / 'pratai-bridge-manage')


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'pratai-bridge.conf'
    path.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\n'
                    '[store]\ndriver = local\n[runner]\ndriver = local\n')
    return path


def run(conf, *args):
    return subprocess.run([MANAGE, '--config-file', str(conf), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize('args', [
    ('function', 'create', 'hello'),            # --zip missing
    ('executions', 'list', '--status', 'odd'),  # not a choice
    ('executions', 'show', 'one'),              # not an integer
    ('function', 'list', '--bogus'),
])
def test_usage_errors_are_one_line_and_a_pointer_to_help(conf, args):
    result = run(conf, *args)
    assert result.returncode == 2
    assert result.stdout == ''
    (line,) = result.stderr.splitlines()
    command = ' '.join(args[:2])
    assert line.startswith(f'pratai-bridge-manage {command}: ')
    assert line.endswith(f'; see pratai-bridge-manage {command} --help')


def test_no_command_and_an_unknown_one_are_usage_errors(conf):
    result = run(conf)
    assert (result.returncode, result.stdout) == (2, '')
    assert result.stderr == ('pratai-bridge-manage: no command given; see '
                             'pratai-bridge-manage --help\n')
    result = run(conf, 'function', 'lst')
    assert result.returncode == 2
    assert result.stderr.count('\n') == 1 and '--help' in result.stderr


def test_an_empty_listing_prints_its_header_or_an_empty_list(conf,
                                                             tmp_path):
    table = run(conf, 'function', 'list')
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert len(lines) == 4 and lines[1].startswith('| name ')
    assert json.loads(run(conf, 'function', 'list', '-f', 'json').stdout
                      ) == []
    journal = Journal(f'sqlite:///{tmp_path}/journal.sqlite')
    journal.start()
    journal.stop()
    listed = run(conf, 'executions', 'list')
    assert '| id ' in listed.stdout and '| status ' in listed.stdout
    assert run(conf, 'executions', 'list', '-f', 'json').stdout.strip() == (
        '[]')


def test_a_read_only_command_never_creates_the_journal(conf, tmp_path):
    result = run(conf, 'executions', 'list')
    assert result.returncode == 1
    assert result.stderr == (
        f'no journal at sqlite:///{tmp_path}/journal.sqlite yet: '
        'pratai-bridge creates it when it starts\n')
    assert not (tmp_path / 'journal.sqlite').exists()


def test_listings_import_only_what_they_need(conf):
    """The import work is most of an admin call's time (see cmd/manage)."""
    probe = (
        'import sys\n'
        'from pratai_bridge.cmd import manage\n'
        f'code = manage.main(["--config-file", {str(conf)!r}, '
        '*sys.argv[1:]])\n'
        'heavy = {"sqlalchemy", "oslo_messaging", "docker", "swiftclient",'
        ' "jsonschema", "oslo_log.log", "eventlet"}\n'
        'print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n'
        'sys.exit(code)\n')

    def imported(*args):
        result = subprocess.run([sys.executable, '-c', probe, *args],
                                capture_output=True, text=True, timeout=60)
        return result.stderr.strip().splitlines()[-1]

    assert imported('function', 'list') == '[]'
    assert imported('function', 'show', 'nope') == '[]'
    assert imported('executions', 'list') == "['sqlalchemy']"


def test_owned_functions_and_operator_level_subscriptions(conf, tmp_path):
    source = tmp_path / 'fn'
    source.mkdir()
    (source / 'handler.py').write_text('def main(payload=None):\n'
                                       '    return 1\n')
    for name, owner in (('of-a', ['--project', 'project-a']),
                        ('of-operator', [])):
        made = run(conf, 'function', 'create', name, '--zip', str(source),
                   '--no-build', *owner)
        assert made.returncode == 0, made.stderr
    listed = json.loads(run(conf, 'function', 'list', '-f', 'json').stdout)
    assert [(f['name'], f['project']) for f in listed] == [
        ('of-a', 'project-a'), ('of-operator', '(operator)')]
    directory = tmp_path / 'subscriptions.d'
    directory.mkdir()
    (directory / '10-main.yaml').write_text(
        'subscriptions:\n'
        '  - name: mine\n    function: of-a\n    project: project-a\n'
        '  - name: all\n    function: of-operator\n')
    shown = json.loads(run(conf, 'subscriptions', 'list', '--directory',
                           str(directory), '-f', 'json').stdout)
    assert shown == [
        {'name': 'mine', 'project': 'project-a', 'function': 'of-a',
         'origin': f'{directory / "10-main.yaml"}:2'},
        {'name': 'all', 'project': '(operator-level: every project)',
         'function': 'of-operator',
         'origin': f'{directory / "10-main.yaml"}:5'}]
    refused = run(conf, 'function', 'create', 'bad', '--zip', str(source),
                  '--no-build', '--project', 'has space')
    assert refused.returncode == 1
    assert "project 'has space' is not a project id" in refused.stderr
