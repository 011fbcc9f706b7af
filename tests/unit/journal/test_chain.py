"""The loop guard in the journal: causes linked, depth counted, loops
recorded and never claimed, chains read back."""

import dataclasses

from pratai_bridge import chain
from pratai_bridge.journal import Journal


def _record_chain(journal, make_event, subscription, length):
    """Events 0..length-1, each caused by the execution of the one
    before; the executions, in order."""
    cause = None
    found = []
    for number in range(length):
        event = dataclasses.replace(make_event(number), cause=cause)
        journal.record([event], [(event, subscription)], [])
        [execution] = journal.list_executions(limit=1)
        found.append(execution)
        cause = execution.request_id
    return found


def test_depth_and_loop(journal_url, make_event, subscriptions):
    journal = Journal(journal_url, max_chain_depth=2)
    journal.start()
    found = _record_chain(journal, make_event, subscriptions[0], 5)
    assert [e.depth for e in found] == [0, 1, 2, 3, 4]
    assert [e.status for e in found] == ['pending'] * 3 + ['loop'] * 2
    assert found[0].cause is None
    assert [e.cause for e in found[1:]] == [e.request_id for e in found[:-1]]
    assert found[0].request_id == chain.request_id('msg-0000', 'on-create')
    assert 'deeper than [dispatcher] max_chain_depth 2' in found[3].error
    assert found[3].finished_at is not None
    claimed = journal.claim(10)
    assert sorted(e.id for e in claimed) == [e.id for e in found[:3]]
    journal.stop()


def test_a_cause_not_of_ours_is_dropped(journal, make_event, subscriptions):
    event = dataclasses.replace(
        make_event(1), cause='req-6f1c8a4e-2d6b-4c8e-9a0e-1f2d3c4b5a69')
    journal.record([event], [(event, subscriptions[0])], [])
    [execution] = journal.list_executions()
    assert (execution.cause, execution.depth, execution.status) == (
        None, 0, 'pending')


def test_chain_read_back(journal, make_event, subscriptions):
    found = _record_chain(journal, make_event, subscriptions[0], 3)
    up, down = journal.chain(found[1].id)
    assert [e.id for e in up] == [found[0].id, found[1].id]
    assert [e.id for e in down] == [found[2].id]
    up, down = journal.chain(found[2].id)
    assert [e.id for e in up] == [e.id for e in found] and down == []
    assert journal.chain(999) == ([], [])


def test_the_default_depth_is_four(journal, make_event, subscriptions):
    found = _record_chain(journal, make_event, subscriptions[0], 6)
    assert [e.status for e in found] == ['pending'] * 5 + ['loop']


def test_each_loop_is_reported_once_committed(journal_url, make_event,
                                              subscriptions):
    stopped = []
    journal = Journal(journal_url, max_chain_depth=1,
                      on_loop=stopped.append)
    journal.start()
    found = _record_chain(journal, make_event, subscriptions[0], 3)
    assert [e.status for e in found] == ['pending'] * 2 + ['loop']
    assert stopped == ['on-create']
    # A redelivery of the looping event adds nothing, and reports nothing.
    event = dataclasses.replace(make_event(2), cause=found[1].request_id)
    assert journal.record([event], [(event, subscriptions[0])], []) == 0
    assert stopped == ['on-create']
    journal.stop()
