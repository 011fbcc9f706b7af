"""``executions list`` and ``executions show``: what the journal holds for
each match, and what came of running it.
"""

import json

from cliff import columns
from cliff import lister
from cliff import show

from pratai_bridge.journal import api
from pratai_bridge.manage import _common

COLUMNS = ('id', 'function', 'subscription', 'status', 'event_type',
           'message_id', 'created_at')

#: Every column of an execution, in the order ``show`` prints them.
SHOW_COLUMNS = ('id', 'status', 'function', 'function_version',
                'subscription', 'message_id', 'event_type', 'source',
                'attempts', 'created_at', 'started_at', 'finished_at',
                'duration', 'warm', 'build_wait', 'next_attempt_at',
                'updated_at', 'owner', 'request_id', 'cause', 'depth',
                'error', 'result', 'logs', 'chain', 'caused')


class JSONColumn(columns.FormattableColumn):
    """A JSON value: as JSON text in a table, as itself with ``-f json``."""

    def human_readable(self):
        return json.dumps(self._value, sort_keys=True)


class ChainColumn(columns.FormattableColumn):
    """A causal chain: one ``id subscription status event_type (message)
    request`` per line in a table, the list itself with ``-f json``."""

    def human_readable(self):
        return '\n'.join(
            f"{link['id']} {link['subscription']} {link['status']} "
            f"{link['event_type']} ({link['message_id']}) "
            f"{link['request_id']}" for link in self._value)


def _link(execution):
    """One step of a chain, as ``executions show`` prints it."""
    return {key: getattr(execution, key) for key in (
        'id', 'subscription', 'function', 'status', 'event_type',
        'message_id', 'request_id', 'cause', 'depth')}


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
        with _common.journal(_common.conf(self.app)) as journal:
            executions = journal.list_executions(
                function=parsed_args.function,
                status=parsed_args.status,
                subscription=parsed_args.subscription,
                limit=parsed_args.limit)
        rows = [tuple(_cell(getattr(e, c)) for c in COLUMNS)
                for e in executions]
        return COLUMNS, rows


class Show(show.ShowOne):
    """Show one execution: its outcome, error, logs and attempts."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('id', type=int, metavar='ID',
                            help='Execution id, as executions list shows.')
        return parser

    def take_action(self, parsed_args):
        with _common.journal(_common.conf(self.app)) as journal:
            execution = journal.get_execution(parsed_args.id)
            up, down = (journal.chain(parsed_args.id) if execution
                        else ([], []))
        if execution is None:
            raise _common.CommandError(f'no execution {parsed_args.id}')
        values = [_cell(getattr(execution, c, None)) for c in SHOW_COLUMNS]
        values[SHOW_COLUMNS.index('result')] = JSONColumn(execution.result)
        values[SHOW_COLUMNS.index('chain')] = ChainColumn(
            [_link(e) for e in up])
        values[SHOW_COLUMNS.index('caused')] = ChainColumn(
            [_link(e) for e in down])
        return SHOW_COLUMNS, values


def _cell(value):
    return value.isoformat() if hasattr(value, 'isoformat') else value
