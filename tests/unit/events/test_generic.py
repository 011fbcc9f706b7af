import re
import uuid

import pytest

from pratai_bridge.events import _time
from pratai_bridge.events import decode
from pratai_bridge.events import generic
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.model import Notification
from tests.unit.events import fixtures

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')


def _notification(**overrides) -> Notification:
    fields = {'exchange': 'glance', 'priority': 'info',
              'publisher_id': 'image.localhost',
              'event_type': 'image.update', 'payload': {'id': 'img-1'},
              'metadata': {}, 'ctxt': {}}
    fields.update(overrides)
    return Notification(**fields)


class TestMessageId:

    def test_sender_id_is_kept(self):
        n = _notification(metadata={'message_id': 'abc'})
        assert generic.message_id_for(n) == 'abc'

    def test_derived_id_is_a_stable_uuid5(self):
        first = generic.message_id_for(_notification())
        again = generic.message_id_for(_notification(payload={'id': 'img-1'}))
        assert first == again
        assert uuid.UUID(first).version == 5

    def test_derived_id_ignores_exchange_and_context(self):
        base = generic.message_id_for(_notification())
        assert generic.message_id_for(
            _notification(exchange=None, ctxt={'user_id': 'u'})) == base

    @pytest.mark.parametrize('change', [
        {'payload': {'id': 'img-2'}},
        {'event_type': 'image.delete'},
        {'publisher_id': 'image.other'},
        {'priority': 'error'},
        {'metadata': {'timestamp': '2026-11-28 03:02:20'}},
    ])
    def test_derived_id_follows_content(self, change):
        assert generic.message_id_for(_notification(**change)) != \
            generic.message_id_for(_notification())

    def test_key_order_does_not_matter(self):
        a = _notification(payload={'a': 1, 'b': {'c': 2, 'd': 3}})
        b = _notification(payload={'b': {'d': 3, 'c': 2}, 'a': 1})
        assert generic.message_id_for(a) == generic.message_id_for(b)

    def test_redelivered_file_and_wire_agree(self):
        doc = fixtures.fresh(fixtures.NOVA_VERSIONED)
        from_file = decode.from_document(doc)
        from_wire = decode.from_document(fixtures.wire_body(doc))
        assert generic.message_id_for(from_file) == \
            generic.message_id_for(from_wire)

    def test_unserializable_payload_still_gets_an_id(self):
        n = _notification(payload={'when': object})
        assert generic.message_id_for(n)


class TestMakeEvent:

    def test_common_fields(self):
        n = _notification(priority='INFO', metadata={
            'message_id': 'm', 'timestamp': '2026-11-28 03:02:20.653504'})
        event = generic.make_event(n, 'glance', project_id='p',
                                   user_id='u', resource_id='r',
                                   details={'k': 'v'})
        assert event.as_document() == {
            'message_id': 'm', 'source': 'glance',
            'event_type': 'image.update', 'publisher_id': 'image.localhost',
            'priority': 'info', 'timestamp': '2026-11-28T03:02:20.653504Z',
            'project_id': 'p', 'user_id': 'u', 'resource_id': 'r',
            'details': {'k': 'v'}, 'payload': {'id': 'img-1'}}
        assert event.exchange == 'glance'
        assert event.payload is n.payload

    def test_timestamp_falls_back_to_payload_time(self):
        n = _notification()
        event = generic.make_event(n, 's', payload_time='2024-01-02T03:04:05')
        assert event.timestamp == '2024-01-02T03:04:05.000000Z'

    def test_unparseable_timestamp_counts_as_absent(self):
        n = _notification(metadata={'timestamp': '[[[[DT_9]]]]'})
        event = generic.make_event(n, 's', payload_time='2024-01-02')
        assert event.timestamp == '2024-01-02T00:00:00.000000Z'

    def test_timestamp_falls_back_to_now(self, monkeypatch):
        monkeypatch.setattr(_time, 'now', lambda: 'NOW')
        event = generic.make_event(_notification(), 's', payload_time='x')
        assert event.timestamp == 'NOW'

    def test_now_is_an_event_timestamp(self):
        event = generic.make_event(_notification(), 's')
        assert TIMESTAMP.match(event.timestamp)

    @pytest.mark.parametrize('change, reason', [
        ({'event_type': None}, 'no event_type'),
        ({'event_type': ''}, 'no event_type'),
        ({'priority': None}, 'priority'),
        ({'publisher_id': 5}, 'publisher_id'),
    ])
    def test_bad_common_fields(self, change, reason):
        with pytest.raises(NormalizationError, match=reason):
            generic.make_event(_notification(**change), 's')


@pytest.mark.parametrize('value, expected', [
    ('abc', 'abc'), (12, '12'), (None, None), ('', None),
])
def test_as_id(value, expected):
    assert generic.as_id(value, 'x') == expected


@pytest.mark.parametrize('value', [True, 1.5, {}, ['a']])
def test_as_id_refuses(value):
    with pytest.raises(NormalizationError, match='payload.x must be a'):
        generic.as_id(value, 'payload.x')


def test_require_dict():
    assert generic.require_dict({'a': 1}, 'p') == {'a': 1}
    with pytest.raises(NormalizationError,
                       match='payload must be a JSON object, not a list'):
        generic.require_dict([], 'payload')
    assert generic.optional_dict(None, 'p') == {}


def test_pick_leaves_out_empty_values():
    data = {'a': 1, 'b': None, 'c': '', 'd': 0, 'e': False}
    assert generic.pick(data, ('a', 'b', 'c', 'd', 'e', 'f')) == {
        'a': 1, 'd': 0, 'e': False}


class TestGenericNormalizer:

    def test_source_is_the_exchange(self):
        event = generic.GenericNormalizer().normalize(_notification())
        assert event.source == 'glance'
        assert (event.project_id, event.user_id, event.resource_id) == (
            None, None, None)
        assert dict(event.details) == {}

    def test_source_unknown_without_exchange(self):
        event = generic.GenericNormalizer().normalize(
            _notification(exchange=None, payload='anything'))
        assert event.source == 'unknown'
        assert event.payload == 'anything'
