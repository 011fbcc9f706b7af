"""``replay``: feed notification files through the pipeline."""

from cliff import lister

from pratai_bridge import service
from pratai_bridge.manage import _common
from pratai_bridge.subscriptions import loader


class Replay(lister.Lister):
    """Handle notification files as if they had been received.

    They are normalized, matched and journaled exactly as the daemon does
    it; a notification already in the journal (same message_id) adds
    nothing.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _common.add_notification_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        notifications = _common.read_notifications(parsed_args)
        rows = []
        conf = _common.conf(self.app)
        with _common.journal(conf, write=True) as journal:
            try:
                pipeline = service.make_pipeline(conf, journal)
            except loader.SubscriptionError as exc:
                raise _common.CommandError(
                    f'invalid subscriptions: {exc.problems[0]}') from exc
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
        return ('file', 'message_id', 'event_type', 'subscriptions',
                'new_executions'), rows
