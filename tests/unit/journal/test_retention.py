"""Purging the journal by age, in chunks."""

import datetime

import pytest

from pratai_bridge.journal import _retention
from pratai_bridge.outcome import Outcome
from pratai_bridge.subscriptions.model import Subscription

UTC = datetime.UTC
SUB = Subscription('on-create', 'hello')


@pytest.fixture
def filled(journal, make_event):
    """Events 0-4 unmatched, 5-7 matched (5 finished, 6 pending, 7 dead)."""
    journal.record([make_event(n) for n in range(5)], [], [])
    matched = [make_event(n) for n in range(5, 8)]
    journal.record(matched, [(e, SUB) for e in matched], [])
    by_message = {e.message_id: e.id for e in journal.list_executions()}
    journal.claim(10)
    journal.finish(by_message['msg-0005'], Outcome('succeeded'), 1)
    journal.retry(by_message['msg-0006'], datetime.datetime.now(UTC), 'x')
    journal.finish(by_message['msg-0007'], Outcome('failed'), 1)
    return journal


def _later(**delta):
    return datetime.datetime.now(UTC) + datetime.timedelta(**delta)


def test_unmatched_go_first(filled):
    counts = filled.purge(None, None, _later(seconds=1))
    assert counts == {'executions': 0, 'attempts': 0, 'events': 5,
                      'rejected': 0}
    assert filled.counts()['events'] == 3


def test_finished_executions_then_their_events(filled):
    assert filled.purge(_later(seconds=1), _later(seconds=1), None) == {
        'executions': 2, 'attempts': 2, 'events': 2, 'rejected': 0}
    # The pending one and its event stay, whatever their age.
    (left,) = filled.list_executions()
    assert left.message_id == 'msg-0006'
    assert filled.get_event('msg-0006') is not None
    assert filled.get_event('msg-0000') is not None  # unmatched: kept


def test_nothing_is_old_enough(filled):
    assert set(filled.purge(_later(days=-1), _later(days=-1),
                            _later(days=-1)).values()) == {0}


def test_dry_run_counts_and_keeps(filled):
    before = filled.counts()
    assert filled.purge(_later(seconds=1), None, _later(seconds=1),
                        dry_run=True) == {
        'executions': 2, 'attempts': 2, 'events': 5, 'rejected': 0}
    assert filled.counts() == before


def test_chunks(filled, make_event, monkeypatch):
    monkeypatch.setattr(_retention, 'CHUNK', 2)
    filled.record([make_event(n) for n in range(10, 17)], [], [])
    assert filled.purge(None, None, _later(seconds=1),
                        dry_run=True)['events'] == 12
    assert filled.purge(None, None, _later(seconds=1))['events'] == 12
    assert filled.counts()['events'] == 3
