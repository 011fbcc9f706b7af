"""``subscriptions validate`` and ``subscriptions match``."""

import os
import sys

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
    """Check subscription files; print file:line: message per problem."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'paths', nargs='*', metavar='PATH',
            help='Files or directories (default: [subscriptions] '
                 'directory).')
        return parser

    def take_action(self, parsed_args) -> int:
        conf = _common.conf(self.app)
        paths = parsed_args.paths or [conf.subscriptions.directory]
        files = _files(paths)
        subscriptions, problems = loader.load_files(files)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print(f'{len(subscriptions)} subscriptions in {len(files)} files: '
              'valid')
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
