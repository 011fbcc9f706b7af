"""The payload a run is handed: enrichment for who asked, request id,
credential token."""

import pytest

from pratai_bridge import chain
from pratai_bridge.credentials import CredentialError
from pratai_bridge.credentials import Handoff
from pratai_bridge.events.model import Event
from pratai_bridge.subscriptions.model import Subscription

SERVER = {'id': 'i-1', 'metadata': {'autoscale': 'true'}}
EVENT = Event(message_id='m-1', source='nova', event_type='instance.update',
              publisher_id='nova', priority='info', timestamp='t',
              project_id='p', user_id='u', resource_id='i-1', payload={},
              enrichment={'server': SERVER})


class Issued:
    def as_document(self):
        return {'token': 'gAAAA-token', 'expires_at': 'soon'}


class Broker:
    def __init__(self):
        self.asked = []

    def token_for(self, name, timeout):
        self.asked.append((name, timeout))
        return Issued()


def test_the_server_only_for_who_asked():
    asking = Subscription(name='a', function='f', enrich=('server',))
    plain = Subscription(name='b', function='f')
    assert Handoff().payload(EVENT, asking, 30)['server'] == SERVER
    payload = Handoff().payload(EVENT, plain, 30)
    assert 'server' not in payload
    assert payload['subscription'] == 'b'
    assert payload['request_id'] == chain.request_id('m-1', 'b')
    assert 'credential' not in payload
    assert EVENT.as_document()['server'] == SERVER  # the event untouched


def test_a_credential_token_with_the_payload():
    broker = Broker()
    sub = Subscription(name='a', function='f', credential='autoscaler')
    payload = Handoff(broker).payload(EVENT, sub, 30)
    assert payload['credential'] == {'token': 'gAAAA-token',
                                     'expires_at': 'soon'}
    assert broker.asked == [('autoscaler', 30)]


def test_a_credential_without_a_broker():
    sub = Subscription(name='a', function='f', credential='autoscaler')
    with pytest.raises(CredentialError, match=r'\[credentials\] names'):
        Handoff().payload(EVENT, sub, 30)


def test_request_ids():
    first = chain.request_id('m-1', 'a')
    assert first == chain.request_id('m-1', 'a')
    assert first != chain.request_id('m-1', 'b')
    assert chain.cause_of({'global_request_id': first}) == first
    assert chain.cause_of({'global_request_id': 'req-x'}) is None
    assert chain.cause_of({}) is None
