"""Timestamps as senders write them, turned into one ISO 8601 UTC form.

oslo.messaging stamps ``str(utcnow())`` (``2026-11-28 03:02:20.653504``:
a space, no zone, meaning UTC); payloads carry ISO 8601 with ``T``, with or
without an offset or ``Z``. Every Event timestamp is written the same way,
``2026-11-28T03:02:20.653504Z``, always with microseconds, so that the
strings sort in time order.
"""

import datetime
from typing import Any

# Longer strings are not timestamps; refusing them early keeps a hostile
# sender from making the parser work on megabytes.
_MAX_LENGTH = 64


def parse(value: Any) -> datetime.datetime | None:
    """Return ``value`` as an aware UTC datetime, or None if it is not one.

    Naive values are taken as UTC, as oslo.messaging and Nova mean them.
    """
    if not isinstance(value, str) or len(value) > _MAX_LENGTH:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=datetime.UTC)
    try:
        return parsed.astimezone(datetime.UTC)
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 has no UTC representation.
        return None


def format_utc(moment: datetime.datetime) -> str:
    """``moment`` (aware) as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    # isoformat, not strftime: strftime does not pad years below 1000.
    utc = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec='microseconds') + 'Z'


def to_iso(value: Any) -> str | None:
    """``value`` in the Event timestamp form, or None if unparseable."""
    parsed = parse(value)
    return None if parsed is None else format_utc(parsed)


def now() -> str:
    """The current time in the Event timestamp form."""
    return format_utc(datetime.datetime.now(datetime.UTC))
