"""``journal purge``: delete what the journal no longer needs to keep."""

import datetime

from cliff import show

from pratai_bridge.conf import journal as journal_conf
from pratai_bridge.manage import _common


class Purge(show.ShowOne):
    """Delete old finished executions, events and rejected notifications.

    Without --older-than, each kind is kept as long as its [journal]
    *_max_age option says (what the daemon purges every purge_interval);
    --older-than applies one age to every kind. Events are deleted only
    once none of their executions is left; pending and running executions
    are never deleted. Prints the rows deleted per kind (with --dry-run,
    those that would be: events whose executions the same purge deletes
    are counted at the next).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--older-than', metavar='AGE',
                            help='A duration: 30d, 12h, 90m...')
        parser.add_argument('--dry-run', action='store_true',
                            help='Count; delete nothing.')
        return parser

    def take_action(self, parsed_args):
        conf = _common.conf(self.app)
        if parsed_args.older_than is not None:
            age = _common.parse_duration(parsed_args.older_than,
                                         '--older-than')
            cutoffs: tuple[datetime.datetime | None, ...] = (
                _before(age),) * 3
        else:
            cutoffs = journal_conf.cutoffs(conf)
        with _common.journal(conf, write=not parsed_args.dry_run) as journal:
            executions, matched, unmatched = cutoffs
            counts = journal.purge(executions, matched, unmatched,
                                   dry_run=parsed_args.dry_run)
        names = ('executions', 'attempts', 'events', 'rejected')
        return names, [counts[name] for name in names]


def _before(age: datetime.timedelta) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) - age
