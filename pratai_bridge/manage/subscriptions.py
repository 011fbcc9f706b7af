"""``subscriptions validate`` and ``subscriptions match``."""

import os

from cliff import command
from cliff import lister

from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.manage import _common
from pratai_bridge.matcher import Matcher
from pratai_bridge.subscriptions import loader


def _add_directory_argument(parser) -> None:
    parser.add_argument(
        '--directory', metavar='DIR',
        help='Subscription directory (default: [subscriptions] directory).')


def _files(paths: list[str]) -> list[str]:
    """Expand directories to the files the daemon would load from them."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(loader.list_files(path))
        else:
            files.append(path)
    return files


class Validate(command.Command):
    """Check subscription files; print file:line: message per problem.

    Also checks the configuration files (as ``config check`` does, but
    without asking the services) and that every function a subscription
    names is in the store.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'paths', nargs='*', metavar='PATH',
            help='Files or directories (default: [subscriptions] '
                 'directory).')
        parser.add_argument(
            '--offline', action='store_true',
            help='Do not look for the functions in a store other than a '
                 'local directory.')
        return parser

    def take_action(self, parsed_args) -> int:
        from pratai_bridge import preflight
        conf = _common.conf(self.app)
        files = _files(parsed_args.paths) if parsed_args.paths else None
        checked = preflight.run(conf, offline=parsed_args.offline,
                                files=files, probe=False)
        _common.print_problems(checked.problems)
        if checked.errors:
            return 1
        if files is None:
            files = loader.list_files(conf.subscriptions.directory)
        print(f'{len(checked.subscriptions)} subscriptions in {len(files)} '
              'files: valid')
        return 0


class Match(lister.Lister):
    """Dry run: which subscriptions each notification file would run."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _common.add_notification_arguments(parser)
        _add_directory_argument(parser)
        return parser

    def take_action(self, parsed_args):
        directory = (parsed_args.directory or
                     _common.conf(self.app).subscriptions.directory)
        try:
            matcher = Matcher(loader.load_directory(directory))
        except loader.SubscriptionError as exc:
            raise _common.CommandError(
                f'{directory}: invalid subscriptions; run '
                f'"subscriptions validate": {exc.problems[0]}') from exc
        normalizers = Normalizers()
        rows = []
        for path, notification in _common.read_notifications(parsed_args):
            event = _common.normalize(normalizers, notification, path)
            names = [s.name for s in matcher.match(event)]
            rows.append((path, event.source, event.event_type, names))
        return ('file', 'source', 'event_type', 'subscriptions'), rows
