"""``subscriptions list``, ``subscriptions validate`` and ``subscriptions
match [--explain]``."""

import os

from cliff import command
from cliff import lister

from pratai_bridge.events.model import Event
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.manage import _common
from pratai_bridge.matcher import Matcher
from pratai_bridge.matcher import explain
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


#: the project shown for a subscription without ``project``
OPERATOR_LEVEL = '(operator-level: every project)'


class List(lister.Lister):
    """List the subscriptions: each one's project, function and file:line.

    A subscription without ``project`` is operator-level: it sees the
    events of every project, and says so.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_directory_argument(parser)
        return parser

    def take_action(self, parsed_args):
        conf = _common.conf(self.app)
        directory = parsed_args.directory or conf.subscriptions.directory
        rows = [(s.name, s.project or OPERATOR_LEVEL, s.function, s.origin)
                for s in _load(directory).subscriptions]
        return ('name', 'project', 'function', 'origin'), rows


class Match(lister.Lister):
    """Dry run: which subscriptions each notification would run, and why.

    ``--explain`` adds, for each subscription that could apply (or the one
    named with ``--subscription``), whether it matched and, if not, the
    filter, field, value found and condition that failed; one row per
    failed condition. ``--message-id`` takes the event from the journal
    instead of files.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--exchange', metavar='NAME',
            help='Exchange the notifications came from (nova, swift, '
                 'aodh...); inferred from publisher_id and event_type when '
                 'omitted.')
        parser.add_argument('files', nargs='*', metavar='NOTIFICATION.json')
        parser.add_argument(
            '--message-id', metavar='ID',
            help='Match the event the journal holds under this message id '
                 '(instead of files).')
        parser.add_argument(
            '--explain', action='store_true',
            help='Say why each subscription that could apply matched or '
                 'not: filter, field, value found, condition.')
        parser.add_argument(
            '--subscription', metavar='NAME',
            help='With --explain: only this subscription (explained even '
                 'when its event type does not apply).')
        _add_directory_argument(parser)
        return parser

    def take_action(self, parsed_args):
        if bool(parsed_args.files) == bool(parsed_args.message_id):
            raise _common.CommandError(
                'give notification files or --message-id, not both or '
                'neither')
        if parsed_args.subscription and not parsed_args.explain:
            raise _common.CommandError('--subscription needs --explain')
        conf = _common.conf(self.app)
        matcher = _load(parsed_args.directory or conf.subscriptions.directory)
        events = (_journaled(conf, parsed_args.message_id)
                  if parsed_args.message_id else _from_files(parsed_args))
        if parsed_args.explain:
            return _explain_rows(matcher, events, parsed_args.subscription)
        rows = [(label, event.source, event.event_type,
                 [s.name for s in matcher.match(event)])
                for label, event in events]
        return ('file', 'source', 'event_type', 'subscriptions'), rows


def _load(directory: str) -> Matcher:
    try:
        return Matcher(loader.load_directory(directory))
    except loader.SubscriptionError as exc:
        raise _common.CommandError(
            f'{directory}: invalid subscriptions; run '
            f'"subscriptions validate": {exc.problems[0]}') from exc


def _from_files(parsed_args) -> list[tuple[str, Event]]:
    normalizers = Normalizers()
    return [(path, _common.normalize(normalizers, notification, path))
            for path, notification in _common.read_notifications(
                parsed_args)]


def _journaled(conf, message_id: str) -> list[tuple[str, Event]]:
    with _common.journal(conf) as journal:
        stored = journal.get_event(message_id)
    if stored is None:
        raise _common.CommandError(
            f'no event with message id {message_id} in the journal')
    return [(f'message {message_id}', stored.event)]


_EXPLAIN_COLUMNS = ('file', 'subscription', 'matched', 'filter', 'field',
                    'found', 'condition')


def _explain_rows(matcher: Matcher, events, name: str | None):
    rows = []
    for label, event in events:
        try:
            explanations = explain.explain(matcher, event, name)
        except explain.UnknownSubscription:
            raise _common.CommandError(
                f'no subscription named {name!r}') from None
        for one in explanations:
            if one.matched:
                rows.append((label, one.subscription, True, '', '', '', ''))
            elif one.error:
                rows.append((label, one.subscription, False, one.filter, '',
                             '', f'raised {one.error}'))
            for mismatch in one.mismatches:
                rows.append((label, one.subscription, False, one.filter,
                             mismatch.field, mismatch.found,
                             mismatch.condition))
    return _EXPLAIN_COLUMNS, rows
