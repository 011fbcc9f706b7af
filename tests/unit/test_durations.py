"""Durations and times as operators write them."""

import datetime

import pytest

from pratai_bridge import _durations

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize('text, seconds', [
    ('90', 90), ('90s', 90), ('2m', 120), ('2h', 7200), ('30d', 2592000),
    ('1w', 604800), (' 1.5h ', 5400), ('0', 0)])
def test_durations(text, seconds):
    assert _durations.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize('text', ['', 'h', '2 hours', '-1h', '2y'])
def test_bad_durations(text):
    with pytest.raises(ValueError, match='is not a duration'):
        _durations.parse_duration(text)


@pytest.mark.parametrize('text, expected', [
    ('2h', NOW - datetime.timedelta(hours=2)),
    ('2026-12-01T10:00:00Z', datetime.datetime(2026, 12, 1, 10, tzinfo=UTC)),
    ('2026-12-01T11:00:00+01:00',
     datetime.datetime(2026, 12, 1, 10, tzinfo=UTC)),
    ('2026-12-01 10:00', datetime.datetime(2026, 12, 1, 10, tzinfo=UTC)),
])
def test_times(text, expected):
    when = _durations.parse_time(text, NOW)
    assert when == expected and when.tzinfo is UTC


def test_bad_time():
    with pytest.raises(ValueError, match='neither an ISO 8601 time'):
        _durations.parse_time('yesterday', NOW)
