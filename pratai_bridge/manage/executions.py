"""``executions list``, ``show`` and ``retry``: what the journal holds for
each match, what came of running it, and putting dead ones back.
"""

import json
from typing import Any

from cliff import columns
from cliff import command
from cliff import lister
from cliff import show

from pratai_bridge import outcome
from pratai_bridge.manage import _common

#: The statuses an execution can have (journal.EXECUTION_STATUSES, kept
#: here so that parsing a listing's arguments imports no SQLAlchemy; a
#: test checks they agree).
STATUSES = ('pending', 'running', 'succeeded', 'dead', 'loop')

COLUMNS = ('id', 'function', 'subscription', 'status', 'event_type',
           'message_id', 'created_at')
#: ``--long`` adds these: how it ended, in a table's width.
LONG_COLUMNS = COLUMNS + ('outcome', 'error_code', 'error', 'result',
                          'attempts', 'duration')

#: Every column of an execution, in the order ``show`` prints them, then
#: its attempts; ``list -f json`` gives the same for each execution.
SHOW_COLUMNS = ('id', 'status', 'outcome', 'error_code', 'function',
                'function_version', 'subscription', 'message_id',
                'event_type', 'source', 'resource_id', 'attempts',
                'created_at', 'started_at', 'finished_at', 'duration', 'warm',
                'build_wait', 'next_attempt_at', 'updated_at', 'owner',
                'lease_until', 'replay', 'replay_of', 'seq', 'attempts_base',
                'retried_at', 'request_id', 'cause', 'depth', 'error',
                'result', 'logs', 'attempt_history')
#: What ``show`` adds after them: the loop guard's causal chain (root
#: first, this execution last) and the executions it caused.
CHAIN_COLUMNS = ('chain', 'caused')
#: What a table shows of each attempt.
ATTEMPT_FIELDS = ('number', 'bridge', 'started_at', 'ended_at', 'outcome',
                  'error_code', 'error', 'details')


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


class AttemptsColumn(columns.FormattableColumn):
    """An execution's attempts: one line each in a table, a list of
    objects with ``-f json``."""

    def human_readable(self):
        return '\n'.join(
            ' '.join(f'{key}={_text(value)}' for key, value in item.items()
                     if value not in (None, {}))
            for item in self._value)


class List(lister.Lister):
    """List executions, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--function', metavar='NAME')
        parser.add_argument('--subscription', metavar='NAME')
        parser.add_argument('--status', choices=STATUSES)
        parser.add_argument(
            '--since', metavar='T',
            help='Only executions created since T: ISO 8601 '
                 '(2026-12-01T10:00:00Z) or a duration back from now '
                 '(2h, 30d).')
        parser.add_argument('--limit', type=int, metavar='N')
        parser.add_argument(
            '--long', action='store_true',
            help='Also the outcome, error code, error, result, attempts '
                 'and duration. With -f json every field of executions '
                 'show is given, with or without --long.')
        return parser

    def take_action(self, parsed_args):
        since = (None if parsed_args.since is None
                 else _common.parse_time(parsed_args.since, '--since'))
        full = parsed_args.formatter in ('json', 'yaml')
        with _common.journal(_common.conf(self.app)) as journal:
            executions = journal.list_executions(
                function=parsed_args.function,
                status=parsed_args.status,
                subscription=parsed_args.subscription,
                limit=parsed_args.limit, since=since)
            history = (journal.attempts([e.id for e in executions])
                       if full else {})
        if full:
            return SHOW_COLUMNS, [_values(e, history[e.id])
                                  for e in executions]
        names = LONG_COLUMNS if parsed_args.long else COLUMNS
        return names, [tuple(_listed(e, c) for c in names)
                       for e in executions]


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
            if execution is None:
                raise _common.CommandError(f'no execution {parsed_args.id}')
            history = journal.attempts([execution.id])[execution.id]
            up, down = journal.chain(execution.id)
        return SHOW_COLUMNS + CHAIN_COLUMNS, [
            *_values(execution, history),
            ChainColumn([_link(e) for e in up]),
            ChainColumn([_link(e) for e in down])]


class Retry(command.Command):
    """Put finished executions back to pending, with a new budget.

    Name them by id, or select them with --subscription and/or --status
    (dead by default when selecting). Each runs again as soon as a bridge
    claims it, with delivery.max_attempts and max_age counted afresh; its
    earlier attempts stay in its history. Prints the ids put back.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('ids', nargs='*', type=int, metavar='ID')
        parser.add_argument('--subscription', metavar='NAME')
        parser.add_argument('--status', choices=('dead', 'succeeded'))
        return parser

    def take_action(self, parsed_args):
        if parsed_args.ids and (parsed_args.subscription
                                or parsed_args.status):
            raise _common.CommandError(
                'give execution ids, or --subscription/--status, not both')
        if not (parsed_args.ids or parsed_args.subscription
                or parsed_args.status):
            raise _common.CommandError(
                'name the executions: ids, or --subscription and --status')
        status = parsed_args.status or (None if parsed_args.ids else 'dead')
        with _common.journal(_common.conf(self.app), write=True) as journal:
            done = journal.requeue(parsed_args.ids,
                                   subscription=parsed_args.subscription,
                                   status=status)
            if parsed_args.ids:
                _refused(journal, parsed_args.ids, done)
        for execution_id in done:
            print(execution_id, file=self.app.stdout)


def _refused(journal: Any, ids: list[int], done: list[int]) -> None:
    """A CommandError naming the ids that were not put back, and why."""
    problems = []
    for execution_id in sorted(set(ids) - set(done)):
        execution = journal.get_execution(execution_id)
        problems.append(f'no execution {execution_id}' if execution is None
                        else f'execution {execution_id} is '
                             f'{execution.status}, not finished')
    if problems:
        put_back = (f' (put back: {", ".join(map(str, done))})'
                    if done else '')
        raise _common.CommandError('; '.join(problems) + put_back)


def _values(execution: Any, history: list[Any]) -> list[Any]:
    """An execution's values in SHOW_COLUMNS order."""
    values = [_cell(getattr(execution, c)) for c in SHOW_COLUMNS[:-1]]
    values[SHOW_COLUMNS.index('result')] = JSONColumn(execution.result)
    attempts = [{field: _cell(getattr(attempt, field))
                 for field in ATTEMPT_FIELDS} for attempt in history]
    return [*values, AttemptsColumn(attempts)]


def _listed(execution: Any, column: str) -> Any:
    value = getattr(execution, column)
    if column == 'result':
        return JSONColumn(value)
    if column == 'error' and value:
        return outcome.summary(value)
    return _cell(value)


def _cell(value):
    return value.isoformat() if hasattr(value, 'isoformat') else value


def _text(value: Any) -> str:
    return (json.dumps(value, sort_keys=True) if isinstance(value, dict)
            else str(value))
