"""The match stage: the cause, and enrichment only for who asked."""

import dataclasses

from pratai_bridge.enrich.stage import MatchStage
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification
from pratai_bridge.filters.event_type import EventTypeFilter
from pratai_bridge.filters.pattern import PatternFilter
from pratai_bridge.matcher import Matcher
from pratai_bridge.subscriptions.model import Subscription

CREATE = EventTypeFilter('instance.create.end')
AUTOSCALE = PatternFilter({'server': {'metadata': {'autoscale': ['true']}}})
ASKING = Subscription(name='autoscale', function='f', enrich=('server',),
                      filters=(CREATE, AUTOSCALE))
ASKING_ANY = Subscription(name='any-server', function='f',
                          enrich=('server',), filters=(CREATE,))
# Names ``server`` in its pattern without asking: it must never see one.
NOT_ASKING = Subscription(name='plain', function='f',
                          filters=(CREATE, AUTOSCALE))
PLAIN = Subscription(name='created', function='f', filters=(CREATE,))
SERVER = {'id': 'i-1', 'name': 'web-1', 'metadata': {'autoscale': 'true'}}
REQUEST = 'req-6f1c8a4e-2d6b-4c8e-9a0e-1f2d3c4b5a69'


class Servers:
    def __init__(self, answer=SERVER):
        self.answer = answer
        self.asked: list[str] = []

    def server(self, event):
        self.asked.append(event.resource_id)
        return self.answer


def _event(event_type='instance.create.end', source='nova'):
    return Event(message_id='m-1', source=source, event_type=event_type,
                 publisher_id='nova-compute:c1', priority='info',
                 timestamp='2026-11-28T03:02:20.653504Z', project_id='p',
                 user_id='u', resource_id='i-1', payload={})


def _notification(ctxt=None):
    return Notification(exchange='nova', priority='info',
                        publisher_id='nova-compute:c1',
                        event_type='instance.create.end', payload={},
                        metadata={'message_id': 'm-1'}, ctxt=ctxt or {})


def _names(result):
    return [s.name for s in result.subscriptions]


def test_who_asked_matches_on_the_server():
    servers = Servers()
    matcher = Matcher([PLAIN, NOT_ASKING, ASKING, ASKING_ANY])
    event, found = MatchStage(servers).match(matcher, _notification(),
                                             _event())
    assert _names(found) == ['created', 'autoscale', 'any-server']
    assert event.as_document()['server'] == SERVER
    assert servers.asked == ['i-1']


def test_a_server_not_wanted_by_the_pattern():
    servers = Servers(dict(SERVER, metadata={}))
    matcher = Matcher([ASKING, ASKING_ANY])
    event, found = MatchStage(servers).match(matcher, _notification(),
                                             _event())
    assert _names(found) == ['any-server']
    assert event.enrichment['server']['metadata'] == {}


def test_no_server_the_event_goes_on_without_it():
    matcher = Matcher([PLAIN, ASKING, ASKING_ANY])
    event, found = MatchStage(Servers(None)).match(matcher, _notification(),
                                                   _event())
    assert _names(found) == ['created', 'any-server']
    assert 'server' not in event.as_document()


def test_no_lookup_when_no_one_who_asked_can_match():
    servers = Servers()
    matcher = Matcher([PLAIN, ASKING])
    stage = MatchStage(servers)
    event, found = stage.match(matcher, _notification(),
                               _event('instance.delete.end'))
    assert _names(found) == [] and servers.asked == []
    event, found = stage.match(matcher, _notification(),
                               _event(source='swift'))
    assert _names(found) == ['created'] and servers.asked == []
    assert event.enrichment == {}
    event, found = stage.match(Matcher([PLAIN]), _notification(), _event())
    assert _names(found) == ['created'] and servers.asked == []


def test_no_nova_configured_matches_without_server(caplog):
    matcher = Matcher([ASKING, ASKING_ANY])
    stage = MatchStage(None)
    for _ in range(2):
        event, found = stage.match(matcher, _notification(), _event())
    assert _names(found) == ['any-server']
    assert caplog.text.count('[nova] has no auth_type') == 1


def test_the_cause_is_the_contexts_global_request_id():
    stage = MatchStage()
    matcher = Matcher([PLAIN])
    event, _ = stage.match(matcher, _notification(
        {'global_request_id': REQUEST, 'request_id': 'req-other'}), _event())
    assert event.cause == REQUEST
    assert 'cause' not in event.as_document()
    event, _ = stage.match(matcher, _notification(
        {'global_request_id': 'not a request id'}), _event())
    assert event.cause is None


def test_the_enrichment_survives_the_journal(tmp_path):
    from pratai_bridge.journal import Journal

    journal = Journal(f'sqlite:///{tmp_path}/j.sqlite')
    journal.start()
    event = dataclasses.replace(_event(), enrichment={'server': SERVER})
    journal.record([event], [], [])
    stored = journal.get_event('m-1')
    assert stored.event.as_document() == event.as_document()
    assert stored.event.enrichment == {'server': SERVER}
    journal.stop()
