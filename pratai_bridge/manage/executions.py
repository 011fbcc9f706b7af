"""``executions list``: what the journal holds for each match."""

from cliff import lister

from pratai_bridge.journal import api
from pratai_bridge.manage import _common

COLUMNS = ('id', 'function', 'subscription', 'status', 'event_type',
           'message_id', 'created_at')


class List(lister.Lister):
    """List executions, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--function', metavar='NAME')
        parser.add_argument('--subscription', metavar='NAME')
        parser.add_argument('--status', choices=api.EXECUTION_STATUSES)
        parser.add_argument('--limit', type=int, metavar='N')
        return parser

    def take_action(self, parsed_args):
        with _common.journal(self.app.conf) as journal:
            executions = journal.list_executions(
                function=parsed_args.function,
                status=parsed_args.status,
                subscription=parsed_args.subscription,
                limit=parsed_args.limit)
        rows = [tuple(_cell(getattr(e, c)) for c in COLUMNS)
                for e in executions]
        return COLUMNS, rows


def _cell(value):
    return value.isoformat() if hasattr(value, 'isoformat') else value
