"""``pratai-bridge-manage``: the admin CLI (cliff; commands in manage/).

Start-up cost is what an operator feels on every call, so nothing is
imported before it is needed: commands are found by their entry point
names and only the one that runs is imported (cliff's own manager imports
every command module first), and each command imports its heavy pieces
(the journal, the broker client) in ``take_action``.
"""

import argparse
import functools
import importlib.metadata
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from cliff import app
from cliff import commandmanager

from pratai_bridge import cmd

NAME = 'pratai-bridge-manage'
NAMESPACE = 'pratai_bridge.manage'


class LazyCommandManager(commandmanager.CommandManager):
    """cliff's CommandManager, importing a command only when it runs.

    cliff keeps entry points and loads the one ``find_command`` returns;
    its own ``load_commands`` builds a stevedore manager that imports them
    all first, which cost most of every call.
    """

    def load_commands(self, namespace: str) -> None:
        self.group_list.append(namespace)
        for entry_point in importlib.metadata.entry_points(group=namespace):
            name = (entry_point.name.replace('_', ' ')
                    if self.convert_underscores else entry_point.name)
            self.commands[name] = entry_point


def usage_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """argparse's error(), as one line and a pointer to --help; exit 2."""
    sys.stderr.write(f'{parser.prog}: {message}; see {parser.prog} '
                     '--help\n')
    sys.exit(2)


class ManageApp(app.App):
    """Adds oslo.config's --config-file/--config-dir to cliff's options."""

    def __init__(self) -> None:
        super().__init__(
            description='pratai-bridge administration',
            version='1.0',
            command_manager=LazyCommandManager(NAMESPACE),
            deferred_help=True)

    def build_option_parser(self, description, version, argparse_kwargs=None):
        parser = super().build_option_parser(description, version,
                                             argparse_kwargs)
        parser.prog = NAME
        parser.error = functools.partial(  # type: ignore[method-assign]
            usage_error, parser)
        _drop_option(parser, '--version')
        for name in ('--config-file', '--config-dir'):
            parser.add_argument(name, action='append', default=[],
                                metavar='PATH',
                                help=f'oslo.config {name} (repeatable)')
        return parser

    def configure_logging(self) -> None:
        # A library's module-level logging call may have run basicConfig
        # before cliff sets up its console; two handlers print each error
        # twice and let debug lines through.
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        # cliff shows INFO by default; an admin command's output is its
        # result, so only warnings and errors unless -v is given.
        self.options.verbose_level = max(0, self.options.verbose_level - 1)
        super().configure_logging()

    def run(self, argv: list[str]) -> int:
        # With no command cliff would start an interactive shell; an admin
        # CLI run without one is a usage error.
        options, remainder = self.parser.parse_known_args(argv)
        if not remainder and not options.deferred_help:
            usage_error(self.parser, 'no command given')
        return super().run(argv)

    def run_subcommand(self, argv: list[str]) -> int:
        # cliff reports an unknown command on stdout, with suggestions.
        try:
            self.command_manager.find_command(argv)
        except ValueError:
            print(f'{NAME}: unknown command {" ".join(argv)!r}; see '
                  f'{NAME} --help', file=sys.stderr)
            return 2
        return super().run_subcommand(argv)

    def prepare_to_run_command(self, cmd) -> None:
        # cliff builds the command's parser after this hook: wrap it so
        # usage errors are one line and empty listings keep their header.
        make_parser = cmd.get_parser

        def get_parser(prog_name):
            parser = make_parser(prog_name)
            parser.error = functools.partial(usage_error, parser)
            if any(a.dest == 'print_empty' for a in parser._actions):
                parser.set_defaults(print_empty=True)
            return parser
        cmd.get_parser = get_parser
        if type(cmd).__module__.startswith('pratai_bridge.'):
            # cliff's epilog names the distribution of a plugin's command,
            # reading the metadata of every installed distribution (0.14 s
            # of each call); ours is the application's own.
            cmd.get_epilog = lambda: cmd._epilog or ''

    def initialize_app(self, argv: Sequence[str]) -> None:
        args = [f'--config-file={f}' for f in self.options.config_file]
        args += [f'--config-dir={d}' for d in self.options.config_dir]
        self.conf = cmd.prepare(args, setup_logging=False)


def _drop_option(parser, option: str) -> None:
    """Remove one of cliff's app options.

    cliff parses its options anywhere on the line, so its ``--version``
    would swallow the one of ``function show NAME --version N``.
    """
    for action in list(parser._actions):
        if option in action.option_strings:
            parser._handle_conflict_resolve(None, [(option, action)])


def main(argv: Sequence[str] | None = None) -> int:
    return ManageApp().run(list(sys.argv[1:] if argv is None else argv))


if __name__ == '__main__':
    sys.exit(main())
