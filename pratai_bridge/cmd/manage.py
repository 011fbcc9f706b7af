"""``pratai-bridge-manage``: the admin CLI (cliff; commands in manage/)."""

import logging
import sys
from collections.abc import Sequence

from cliff import app
from cliff import commandmanager

from pratai_bridge import cmd


class ManageApp(app.App):
    """Adds oslo.config's --config-file/--config-dir to cliff's options."""

    def __init__(self) -> None:
        super().__init__(
            description='pratai-bridge administration',
            version='1.0',
            command_manager=commandmanager.CommandManager(
                'pratai_bridge.manage'),
            deferred_help=True)

    def build_option_parser(self, description, version, argparse_kwargs=None):
        parser = super().build_option_parser(description, version,
                                             argparse_kwargs)
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

    def run_subcommand(self, argv: list[str]) -> int:
        # cliff reports an unknown command on stdout, with suggestions.
        try:
            self.command_manager.find_command(argv)
        except ValueError:
            print(f'pratai-bridge-manage: unknown command '
                  f'{" ".join(argv)!r}; see pratai-bridge-manage --help',
                  file=sys.stderr)
            return 2
        return super().run_subcommand(argv)

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
