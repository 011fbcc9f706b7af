import datetime

import pytest

from pratai_bridge.events import _time


@pytest.mark.parametrize('value, expected', [
    # oslo.messaging's str(utcnow()): a space, naive, meaning UTC
    ('2026-11-28 03:02:20.653504', '2026-11-28T03:02:20.653504Z'),
    ('2026-11-28T03:02:25.817489', '2026-11-28T03:02:25.817489Z'),
    ('2012-10-29T13:42:11Z', '2012-10-29T13:42:11.000000Z'),
    ('2012-05-08 20:23:41', '2012-05-08T20:23:41.000000Z'),
    ('2013-07-29T06:51:34.474815+00:00', '2013-07-29T06:51:34.474815Z'),
    ('2016-08-19 10:20:49+02:00', '2016-08-19T08:20:49.000000Z'),
    ('2016-08-19T23:30:00-01:00', '2016-08-20T00:30:00.000000Z'),
    (' 2026-11-28 03:02:20 ', '2026-11-28T03:02:20.000000Z'),
    ('0001-01-01T00:00:00', '0001-01-01T00:00:00.000000Z'),
])
def test_to_iso(value, expected):
    assert _time.to_iso(value) == expected


@pytest.mark.parametrize('value', [
    None, '', 'yesterday', '[[[[DT_9]]]]', 1700000000, 17.5, [], {},
    '2026-13-01 00:00:00', '2026-11-28 03:02:20.653504' + ' ' * 100,
    # before year 1 once converted to UTC
    '0001-01-01T00:00:00+01:00',
])
def test_to_iso_refuses(value):
    assert _time.to_iso(value) is None


def test_parse_is_aware_utc():
    parsed = _time.parse('2026-11-28 03:02:20')
    assert parsed == datetime.datetime(2026, 11, 28, 3, 2, 20,
                                       tzinfo=datetime.UTC)


def test_now_is_current_and_in_event_form():
    before = datetime.datetime.now(datetime.UTC)
    stamp = _time.now()
    after = datetime.datetime.now(datetime.UTC)
    assert stamp.endswith('Z') and 'T' in stamp
    assert before <= _time.parse(stamp) <= after


def test_format_sorts_as_time():
    early = _time.to_iso('2026-11-28 03:02:20')
    late = _time.to_iso('2026-11-28 03:02:20.000001')
    assert early < late
