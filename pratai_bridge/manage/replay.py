"""``replay``: notification files through the pipeline, or journaled
events to today's subscriptions again."""

from typing import Any

from cliff import lister

from pratai_bridge import service
from pratai_bridge.manage import _common
from pratai_bridge.subscriptions import loader

FILE_COLUMNS = ('file', 'message_id', 'event_type', 'subscriptions',
                'new_executions')
SINCE_COLUMNS = ('message_id', 'event_type', 'received_at', 'subscription',
                 'execution', 'replay')


class Replay(lister.Lister):
    """Handle notification files as if received, or replay the journal.

    With files: they are normalized, matched and journaled exactly as the
    daemon does it; a notification already in the journal (same
    message_id) adds nothing. With --since: the events the journal holds
    from then on are matched again against the subscriptions as they are
    now, and each match becomes a new execution marked as a replay of the
    event (replay 1, 2... of the pair: a replay can be repeated on
    purpose), which the daemon runs; --dry-run only lists them.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _common.add_notification_arguments(parser, required=False)
        parser.add_argument(
            '--since', metavar='T',
            help='Replay the journal\'s events received since T: ISO 8601 '
                 '(2026-12-01T10:00:00Z) or a duration back from now (2h).')
        parser.add_argument('--until', metavar='T',
                            help='...and before T (same forms).')
        parser.add_argument('--event-type', metavar='GLOB',
                            help='Only events whose type matches the glob.')
        parser.add_argument('--subscription', metavar='NAME',
                            help='Only to this subscription.')
        parser.add_argument('--dry-run', action='store_true',
                            help='List what would run; change nothing.')
        return parser

    def take_action(self, parsed_args):
        journal_options = (parsed_args.until, parsed_args.event_type,
                           parsed_args.subscription, parsed_args.dry_run)
        if parsed_args.since is None:
            if not parsed_args.files:
                raise _common.CommandError(
                    'give notification files, or --since T')
            if any(journal_options):
                raise _common.CommandError(
                    '--until, --event-type, --subscription and --dry-run '
                    'go with --since')
            return self._files(parsed_args)
        if parsed_args.files or parsed_args.exchange:
            raise _common.CommandError(
                'give notification files or --since, not both')
        return self._journal(parsed_args)

    def _files(self, parsed_args):
        notifications = _common.read_notifications(parsed_args)
        rows = []
        conf = _common.conf(self.app)
        with _common.journal(conf, write=True) as journal:
            pipeline = _pipeline(conf, journal)
            for path, notification in notifications:
                result = pipeline.handle([notification])
                if result.rejected:
                    raise _common.CommandError(
                        f'{path}: could not be normalized; parked in the '
                        'journal as rejected')
                rows.append((
                    path, notification.message_id or '',
                    notification.event_type,
                    [sub.name for _event, sub in result.matches],
                    result.new_executions))
        return FILE_COLUMNS, rows

    def _journal(self, parsed_args):
        since = _common.parse_time(parsed_args.since, '--since')
        until = (None if parsed_args.until is None
                 else _common.parse_time(parsed_args.until, '--until'))
        conf = _common.conf(self.app)
        with _common.journal(conf, write=not parsed_args.dry_run) as journal:
            matcher = _pipeline(conf, journal).matcher
            wanted = parsed_args.subscription
            if wanted is not None and wanted not in matcher.by_name:
                raise _common.CommandError(f'no subscription {wanted}')
            matches: list[tuple[Any, Any]] = []
            received = {}
            for stored in journal.events(since, until,
                                         parsed_args.event_type):
                received[stored.event.message_id] = stored.received_at
                matches.extend(
                    (stored.event, sub) for sub in matcher.match(stored.event)
                    if wanted is None or sub.name == wanted)
            added = ([None] * len(matches) if parsed_args.dry_run
                     else journal.replay(matches))
        return SINCE_COLUMNS, [
            (event.message_id, event.event_type,
             received[event.message_id].isoformat(), sub.name,
             None if execution is None else execution.id,
             None if execution is None else execution.replay)
            for (event, sub), execution in zip(matches, added, strict=True)]


def _pipeline(conf, journal):
    try:
        return service.make_pipeline(conf, journal)
    except loader.SubscriptionError as exc:
        raise _common.CommandError(
            f'invalid subscriptions: {exc.problems[0]}') from exc
