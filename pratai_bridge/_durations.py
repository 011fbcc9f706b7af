"""Durations (``90s``, ``2h``, ``30d``) and points in time (ISO 8601, or a
duration back from now), as operators write them in options and on the
command line."""

import datetime
import re

__all__ = ['DURATION_PATTERN', 'parse_duration', 'parse_time']

#: A duration as options take it: a number of seconds, or a number and a
#: unit (s, m, h, d, w).
DURATION_PATTERN = r'^\s*\d+(\.\d+)?\s*[smhdw]?\s*$'
_DURATION = re.compile(DURATION_PATTERN)
_UNITS = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}


def parse_duration(text: str) -> datetime.timedelta:
    """``2h`` -> 2 hours. Raises ValueError naming what it accepts."""
    if not _DURATION.match(text):
        raise ValueError(f'{text!r} is not a duration (a number and s, m, h,'
                         ' d or w, such as 90s, 2h or 30d)')
    text = text.strip()
    unit = text[-1] if text[-1] in _UNITS else ''
    number = float(text[:-1] if unit else text)
    return datetime.timedelta(seconds=number * _UNITS[unit])


def parse_time(text: str, now: datetime.datetime | None = None
               ) -> datetime.datetime:
    """An aware UTC time: ISO 8601 (UTC when it names no zone), or a
    duration back from ``now`` (``2h``: two hours ago). Raises ValueError.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    if _DURATION.match(text):
        return now - parse_duration(text)
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f'{text!r} is neither an ISO 8601 time (2026-12-01T10:00:00Z) '
            'nor a duration back from now (2h, 30d)') from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.astimezone(datetime.UTC)
