"""Journals on throw-away SQLite files, and events to feed them."""

import pytest

from pratai_bridge.events.model import Event
from pratai_bridge.journal import Journal
from pratai_bridge.subscriptions.model import Subscription


def _event(number, **overrides):
    fields = {
        'message_id': f'msg-{number:04d}',
        'source': 'nova',
        'event_type': 'compute.instance.create.end',
        'publisher_id': 'compute.host-1',
        'priority': 'info',
        'timestamp': '2026-11-28T03:02:28.177383Z',
        'project_id': 'project-a',
        'user_id': 'user-a',
        'resource_id': f'instance-{number}',
        'payload': {'state': 'active', 'number': number},
        'details': {'flavor': 'm1.tiny'},
        'exchange': 'nova',
    }
    fields.update(overrides)
    return Event(**fields)


@pytest.fixture
def make_event():
    """make_event(n, **fields) -> an Event with message id msg-000n."""
    return _event


@pytest.fixture
def subscriptions():
    """Two subscriptions on two functions."""
    return (Subscription(name='on-create', function='hello'),
            Subscription(name='audit', function='auditor'))


@pytest.fixture
def journal_url(tmp_path):
    # A directory that does not exist yet: start() must create it.
    return f"sqlite:///{tmp_path / 'state' / 'journal.sqlite'}"


@pytest.fixture
def journal(journal_url):
    journal = Journal(journal_url)
    journal.start()
    yield journal
    journal.stop()
