"""Pieces several admin commands share."""

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from oslo_config import cfg

from pratai_bridge.events import decode
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.journal import Journal


def conf(app: Any) -> cfg.ConfigOpts:
    """The configuration ManageApp parsed from --config-file/--config-dir."""
    return app.conf


class CommandError(Exception):
    """A user error: cliff prints it as one line on stderr and exits 1."""


def add_notification_arguments(parser: argparse.ArgumentParser) -> None:
    """The notification files a command reads, and their exchange."""
    parser.add_argument(
        '--exchange', metavar='NAME',
        help='Exchange the notifications came from (nova, swift, aodh...); '
             'inferred from publisher_id and event_type when omitted.')
    parser.add_argument('files', nargs='+', metavar='NOTIFICATION.json')


def read_notifications(parsed_args: argparse.Namespace
                       ) -> list[tuple[str, Notification]]:
    """(path, notification) of every file; errors become a CommandError."""
    pairs = []
    for path in parsed_args.files:
        try:
            pairs.append((path, decode.load_file(path,
                                                 parsed_args.exchange)))
        except decode.DecodeError as exc:  # its message names the file
            raise CommandError(str(exc)) from exc
    return pairs


@contextlib.contextmanager
def journal(conf: cfg.ConfigOpts) -> Iterator[Journal]:
    """The configured journal, started (schema created) and stopped."""
    opened = Journal(conf.journal.connection)
    opened.start()
    try:
        yield opened
    finally:
        opened.stop()


def normalize(normalizers: Normalizers, notification: Notification,
              path: str) -> Event:
    """Normalize one file's notification; errors become a CommandError."""
    try:
        return normalizers.normalize(notification)
    except NormalizationError as exc:
        raise CommandError(f'{path}: {exc}') from exc
