"""delivery.ordered in claims: one at a time per resource, in bus order."""

import datetime
import random

from pratai_bridge.outcome import Outcome
from pratai_bridge.subscriptions.model import Subscription

UTC = datetime.UTC
ORDERED = Subscription('ordered', 'hello')
FREE = Subscription('free', 'hello')


def _interleaved(journal, make_event, resources=3, each=4, seed=7):
    """Events of several resources, interleaved, recorded in two batches;
    returns (resource, number) in bus order."""
    order = [(r, n) for r in range(resources) for n in range(each)]
    random.Random(seed).shuffle(order)
    order = sorted(order, key=lambda item: (item[1], random.random()))
    events = [make_event(index, resource_id=f'server-{r}',
                         message_id=f'z-{index:03d}' if index % 2 else
                         f'a-{index:03d}')  # keys sort unlike the bus order
              for index, (r, _) in enumerate(order)]
    half = len(events) // 2
    for batch in (events[:half], events[half:]):
        journal.record(batch, [(e, sub) for e in batch
                               for sub in (ORDERED, FREE)], [])
    return events


def _claim_all(journal, **kwargs):
    return journal.claim(100, ordered=['ordered'], **kwargs)


def test_one_per_resource_at_a_time_in_bus_order(journal, make_event):
    events = _interleaved(journal, make_event)
    ran = []
    while True:
        claimed = [e for e in _claim_all(journal)
                   if e.subscription == 'ordered']
        if not claimed:
            break
        # At most one of each resource is running.
        resources = [e.resource_id for e in claimed]
        assert len(resources) == len(set(resources))
        for execution in claimed:
            ran.append(execution.message_id)
            journal.finish(execution.id, Outcome('succeeded'), 1)
    assert len(ran) == len(events)
    for resource in {e.resource_id for e in events}:
        bus = [e.message_id for e in events if e.resource_id == resource]
        assert [m for m in ran if m in bus] == bus


def test_other_resources_and_subscriptions_are_not_held(journal,
                                                        make_event):
    events = _interleaved(journal, make_event)
    first = _claim_all(journal)
    free = [e for e in first if e.subscription == 'free']
    ordered = [e for e in first if e.subscription == 'ordered']
    assert len(free) == len(events)
    assert sorted(e.resource_id for e in ordered) == [
        'server-0', 'server-1', 'server-2']


def test_a_retry_holds_the_later_events(journal, make_event):
    _interleaved(journal, make_event, resources=1, each=3)
    (first,) = [e for e in _claim_all(journal) if e.subscription == 'ordered']
    later = datetime.datetime.now(UTC) + datetime.timedelta(hours=1)
    journal.retry(first.id, later, 'boom')
    assert [e for e in _claim_all(journal)
            if e.subscription == 'ordered'] == []
    # Once it is dead (its final outcome), the next one runs.
    (again,) = _claim_all(journal, now=later)
    assert again.id == first.id
    journal.finish(again.id, Outcome('failed', error='boom'), 1)
    (second,) = _claim_all(journal)
    assert second.seq >= 0 and second.id != first.id
