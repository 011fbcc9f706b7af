"""Exponential backoff with equal jitter."""

import pytest

from pratai_bridge import _backoff


def _highest(low, high):
    return high


def _lowest(low, high):
    return low


@pytest.mark.parametrize('attempt, expected', [
    (0, 2.0), (1, 2.0), (2, 4.0), (3, 8.0), (8, 256.0), (9, 300.0),
    (10_000, 300.0),
])
def test_doubles_up_to_the_cap(attempt, expected):
    assert _backoff.delay(attempt, 2.0, 300.0, _highest) == expected


def test_jitter_keeps_at_least_half():
    assert _backoff.delay(3, 2.0, 300.0, _lowest) == 4.0
    for _ in range(200):
        assert 4.0 <= _backoff.delay(3, 2.0, 300.0) <= 8.0


def test_zero_base_means_no_wait():
    assert _backoff.delay(5, 0.0, 300.0) == 0.0
