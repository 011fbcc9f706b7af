"""Pieces several admin commands share.

Every admin call pays for what its modules import, so the heavy pieces
(the journal and SQLAlchemy, the event decoders) are imported by the
functions that use them, not here: a listing imports only what it lists.
"""

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any

from oslo_config import cfg

if TYPE_CHECKING:
    from pratai_bridge.events.model import Event
    from pratai_bridge.events.model import Notification
    from pratai_bridge.events.normalize import Normalizers
    from pratai_bridge.journal import Journal


def conf(app: Any) -> cfg.ConfigOpts:
    """The configuration ManageApp parsed from --config-file/--config-dir."""
    return app.conf


class CommandError(Exception):
    """A user error: cliff prints it as one line on stderr and exits 1."""


def print_problems(problems: Any) -> None:
    """Each check Problem on stderr: ``file:line: message``, a warning as
    ``file:line: warning: message``."""
    for problem in problems:
        where = (f'{problem.path}:{problem.line or 1}: '
                 if problem.path else '')
        kind = '' if problem.error else 'warning: '
        print(f'{where}{kind}{problem.message}', file=sys.stderr)


def add_notification_arguments(parser: argparse.ArgumentParser,
                               required: bool = True) -> None:
    """The notification files a command reads (one at least when
    ``required``), and their exchange."""
    parser.add_argument(
        '--exchange', metavar='NAME',
        help='Exchange the notifications came from (nova, swift, aodh...); '
             'inferred from publisher_id and event_type when omitted.')
    parser.add_argument('files', nargs='+' if required else '*',
                        metavar='NOTIFICATION.json')


def read_notifications(parsed_args: argparse.Namespace
                       ) -> list[tuple[str, 'Notification']]:
    """(path, notification) of every file; errors become a CommandError."""
    from pratai_bridge.events import decode
    pairs = []
    for path in parsed_args.files:
        try:
            pairs.append((path, decode.load_file(path,
                                                 parsed_args.exchange)))
        except decode.DecodeError as exc:  # its message names the file
            raise CommandError(str(exc)) from exc
    return pairs


@contextlib.contextmanager
def journal(conf: cfg.ConfigOpts, write: bool = False
            ) -> Iterator['Journal']:
    """The configured journal, started and stopped.

    Only a command that writes (``write``) creates or upgrades the schema;
    the others refuse a journal that is missing or at another version,
    with one line saying what to do, and change nothing.
    """
    from pratai_bridge.journal import Journal
    from pratai_bridge.journal import migrations
    opened = Journal(conf.journal.connection,
                     conf.dispatcher.max_chain_depth)
    try:
        opened.start(upgrade=write)
    except migrations.SchemaVersionError as exc:
        opened.stop()
        raise CommandError(str(exc)) from exc
    try:
        yield opened
    finally:
        opened.stop()


def parse_time(text: str, option: str) -> Any:
    """An option's ISO 8601 time or duration back from now, as aware UTC;
    a bad one is a CommandError naming the option."""
    from pratai_bridge import _durations
    try:
        return _durations.parse_time(text)
    except ValueError as exc:
        raise CommandError(f'{option}: {exc}') from exc


def parse_duration(text: str, option: str) -> Any:
    """An option's duration (``30d``) as a timedelta; a CommandError
    naming the option when it is not one."""
    from pratai_bridge import _durations
    try:
        return _durations.parse_duration(text)
    except ValueError as exc:
        raise CommandError(f'{option}: {exc}') from exc


def normalize(normalizers: 'Normalizers', notification: 'Notification',
              path: str) -> 'Event':
    """Normalize one file's notification; errors become a CommandError."""
    from pratai_bridge.events.base import NormalizationError
    try:
        return normalizers.normalize(notification)
    except NormalizationError as exc:
        raise CommandError(f'{path}: {exc}') from exc
