"""Every example in README.md, docs/ and etc/ works with the real code.

* ```ini blocks load with the bridge's options and pass the configuration
  check (no unknown name, no bad value, no inline comment, real drivers);
* ```yaml blocks are subscription files the loader accepts;
* every command line of ```sh and ```console blocks that runs
  ``pratai-bridge-manage`` or ``pratai-bridge`` is parsed by the real CLI
  parser: the command exists and takes those arguments.

A block that is deliberately partial (a fragment of a larger file) is
marked by the comment ``<!-- docs-test: partial -->`` on the line before
its fence, and skipped; keep that rare, and say in the text why it is
partial.
"""

import dataclasses
import pathlib
import re
import shlex

import pytest
from oslo_config import cfg
from oslo_log import log as oslo_log

from pratai_bridge import conf as conf_mod
from pratai_bridge import preflight
from pratai_bridge.cmd import manage
from pratai_bridge.subscriptions import loader

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / 'README.md', *sorted((ROOT / 'docs').rglob('*.md')),
             *sorted((ROOT / 'etc').rglob('*.md'))]
PARTIAL = '<!-- docs-test: partial -->'
_FENCE = re.compile(r'^```(\w*)\s*$')


@dataclasses.dataclass(frozen=True)
class Block:
    path: pathlib.Path
    line: int          # of the first line inside the fence
    language: str
    text: str

    @property
    def where(self) -> str:
        return f'{self.path.relative_to(ROOT)}:{self.line}'


def _blocks() -> list[Block]:
    found = []
    for path in DOCUMENTS:
        lines = path.read_text().splitlines()
        index = 0
        while index < len(lines):
            match = _FENCE.match(lines[index])
            if not match or not match.group(1):
                index += 1
                continue
            end = index + 1
            while end < len(lines) and lines[end].strip() != '```':
                end += 1
            before = next((lines[i] for i in range(index - 1, -1, -1)
                           if lines[i].strip()), '')
            if before.strip() != PARTIAL:
                found.append(Block(path, index + 2, match.group(1),
                                   '\n'.join(lines[index + 1:end]) + '\n'))
            index = end + 1
    return found


BLOCKS = _blocks()


def _of(*languages):
    return [pytest.param(b, id=b.where) for b in BLOCKS
            if b.language in languages]


def test_the_readme_examples_are_found():
    languages = {b.language for b in BLOCKS
                 if b.path.name == 'README.md'}
    assert {'ini', 'yaml', 'sh'} <= languages


@pytest.mark.parametrize('block', _of('ini'))
def test_ini_blocks_are_valid_configuration(block, tmp_path):
    path = tmp_path / 'example.conf'
    path.write_text(block.text)
    conf = cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    conf([f'--config-file={path}'], default_config_files=[],
         default_config_dirs=[])
    problems = preflight.configuration(conf)
    assert [_in_document(p, path, block) for p in problems] == []


@pytest.mark.parametrize('block', _of('yaml', 'yml'))
def test_yaml_blocks_are_valid_subscription_files(block, tmp_path):
    path = tmp_path / 'example.yaml'
    path.write_text(block.text)
    subscriptions, problems = loader.load_files([str(path)])
    assert [_in_document(p, path, block) for p in problems] == []
    assert subscriptions


def _in_document(problem, path, block: Block) -> str:
    """A problem of the block's copy, at its line in the document."""
    line = getattr(problem, 'line', None)
    message = getattr(problem, 'message', str(problem))
    if line is None:
        return f'{block.where}: {message}'
    return (f'{block.path.relative_to(ROOT)}:{block.line + line - 1}: '
            f'{message}')


def _command_lines(block: Block) -> list[list[str]]:
    """The argv of each command in a shell block (prompts, comments and
    continuation lines handled as a shell would)."""
    commands, pending = [], ''
    for line in block.text.splitlines():
        if block.language == 'console':
            if not line.startswith('$ ') and not pending:
                continue  # output
            line = line[2:] if line.startswith('$ ') else line
        if line.rstrip().endswith('\\'):
            pending += line.rstrip()[:-1] + ' '
            continue
        argv = shlex.split(pending + line, comments=True)
        pending = ''
        if argv and argv[0] in ('pratai-bridge-manage', 'pratai-bridge'):
            commands.append(argv)
    return commands


COMMANDS = [pytest.param(argv, id=f'{b.where}:{" ".join(argv[:3])}')
            for b in BLOCKS if b.language in ('sh', 'console', 'shell')
            for argv in _command_lines(b)]


def test_the_readme_commands_are_found():
    assert len(COMMANDS) > 20


@pytest.mark.parametrize('argv', COMMANDS)
def test_shell_commands_parse(argv, tmp_path):
    if argv[0] == 'pratai-bridge':
        _parse_daemon(argv[1:], tmp_path)
    else:
        _parse_manage(argv[1:])


def _parse_manage(args: list[str]) -> None:
    app = manage.ManageApp()
    options, remainder = app.parser.parse_known_args(args)
    assert remainder, f'no command in {args}'
    try:
        factory, name, sub_argv = app.command_manager.find_command(
            remainder)
    except ValueError:
        pytest.fail(f'no such command: {" ".join(remainder)}')
    command = factory(app, options)
    parser = command.get_parser(f'pratai-bridge-manage {name}')

    def fail(message):
        pytest.fail(f'pratai-bridge-manage {name}: {message}')
    parser.error = fail
    parser.parse_args(sub_argv)


def _parse_daemon(args: list[str], tmp_path) -> None:
    """oslo.config's parser with the daemon's options; files the example
    names (/etc/...) are replaced by an empty one, which they need not be
    for their flags to be right."""
    empty = tmp_path / 'empty.conf'
    empty.write_text('')
    args = [str(empty) if previous == '--config-file' else arg
            for previous, arg in zip([None, *args[:-1]], args, strict=True)]
    conf = cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    oslo_log.register_options(conf)
    try:
        conf(args, project='pratai-bridge', default_config_files=[],
             default_config_dirs=[])
    except SystemExit:
        pytest.fail(f'pratai-bridge {" ".join(args)}: not its arguments')
