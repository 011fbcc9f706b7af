"""Replays of journaled events: repeatable on purpose, never by accident."""

import datetime

from pratai_bridge.subscriptions.model import Subscription

UTC = datetime.UTC
SUB = Subscription('on-create', 'hello')


def test_events_in_a_window_of_a_type(journal, make_event):
    journal.record([make_event(1), make_event(2, event_type='other.thing')],
                   [], [])
    now = datetime.datetime.now(UTC)
    hour = datetime.timedelta(hours=1)
    assert [s.event.message_id for s in journal.events(now - hour)] == [
        'msg-0001', 'msg-0002']
    assert [s.event.message_id for s in journal.events(
        now - hour, event_type='other.*')] == ['msg-0002']
    assert [s.event.message_id for s in journal.events(
        now - hour, event_type='other.thing')] == ['msg-0002']
    assert list(journal.events(now - hour, until=now - hour / 2)) == []
    assert list(journal.events(now + hour)) == []


def test_replays_number_up_and_name_the_delivery(journal, make_event):
    event = make_event(1)
    assert journal.record([event], [(event, SUB)], []) == 1
    (delivery,) = journal.list_executions()
    first = journal.replay([(event, SUB)])
    second = journal.replay([(event, SUB)])
    assert [(e.replay, e.replay_of, e.status) for e in first + second] == [
        (1, delivery.id, 'pending'), (2, delivery.id, 'pending')]
    assert journal.record([event], [(event, SUB)], []) == 0
    assert len(journal.list_executions()) == 3


def test_a_replay_to_a_subscription_that_had_not_matched(journal,
                                                         make_event):
    event = make_event(1)
    journal.record([event], [], [])
    (replay,) = journal.replay([(event, SUB)])
    assert (replay.replay, replay.replay_of, replay.resource_id) == (
        1, None, 'instance-1')


def test_paging_reads_every_event(journal, make_event, monkeypatch):
    from pratai_bridge.journal import _replay
    monkeypatch.setattr(_replay, '_PAGE', 3)
    journal.record([make_event(n) for n in range(10)], [], [])
    since = datetime.datetime.now(UTC) - datetime.timedelta(minutes=1)
    assert len(list(journal.events(since))) == 10
