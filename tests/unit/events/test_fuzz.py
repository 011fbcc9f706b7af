"""Junk in, DecodeError or NormalizationError out; never another error."""

import json
import os
import re

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from pratai_bridge.events import _time
from pratai_bridge.events import decode
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.model import Event
from pratai_bridge.events.normalize import Normalizers
from tests.unit.events import fixtures

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
NORMALIZERS = Normalizers()
# Keys the decoder and normalizers look at, so junk reaches deep code.
KEYS = st.sampled_from([
    'event_type', 'payload', 'priority', 'publisher_id', 'message_id',
    'timestamp', 'metadata', 'ctxt', '_context_project_id',
    '_context_user_id', 'oslo.version', 'oslo.message', 'nova_object.data',
    'nova_object.name', 'nova_object.version', 'tenant_id', 'project_id',
    'user_id', 'instance_id', 'uuid', 'target', 'initiator', 'metadata',
    'path', 'action', 'measurements', 'metric', 'name', 'result', 'id',
    'alarm_id', 'detail', 'current', 'previous', 'state', 'state_update',
    'fault', 'request_spec', 'eventTime',
]) | st.text(max_size=8)
SCALARS = (st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=True) | st.text(max_size=20)
           | st.sampled_from(['alarm.update', 'alarm.creation',
                              'objectstore.http.request',
                              'compute.instance.create.end',
                              'instance.update', '2.0', 'INFO', 'sample',
                              'ceilometermiddleware', 'aodh.api',
                              'nova-compute:h', '{"state": 1}', '[1]',
                              '2026-11-28 03:02:20.653504']))
JSON = st.recursive(
    SCALARS,
    lambda children: (st.lists(children, max_size=4)
                      | st.dictionaries(KEYS, children, max_size=6)),
    max_leaves=30)
EVENT_TYPES = st.sampled_from([
    'alarm.update', 'alarm.creation', 'alarm.state_transition',
    'objectstore.http.request', 'compute.instance.create.end',
    'instance.update', 'aggregate.create.end', 'image.update',
]) | st.text(max_size=12)
# Objects that look like notifications often enough to get past decode.
DOCS = st.dictionaries(KEYS, JSON, max_size=8) | st.tuples(
    st.dictionaries(KEYS, JSON, max_size=6), EVENT_TYPES,
    st.dictionaries(KEYS, JSON, max_size=8) | JSON,
).map(lambda t: {**t[0], 'event_type': t[1], 'payload': t[2]})
EXCHANGES = st.none() | st.sampled_from(['nova', 'swift', 'aodh', 'other',
                                         ''])
# PRATAI_FUZZ_EXAMPLES: examples per property (a larger run, for a figure).
SETTINGS = settings(max_examples=int(os.environ.get('PRATAI_FUZZ_EXAMPLES',
                                                    '200')), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _check(doc, exchange=None):
    """Decode and normalize ``doc``; only the two errors may come out."""
    try:
        notification = decode.from_document(doc, exchange)
    except decode.DecodeError:
        return
    try:
        event = NORMALIZERS.normalize(notification)
    except NormalizationError:
        return
    assert isinstance(event, Event)
    assert isinstance(event.message_id, str) and event.message_id
    assert TIMESTAMP.match(event.timestamp)
    for value in (event.project_id, event.user_id, event.resource_id):
        assert value is None or isinstance(value, str)
    assert event.payload is notification.payload


@SETTINGS
@given(doc=JSON, exchange=EXCHANGES)
def test_any_json(doc, exchange):
    _check(doc, exchange)


@SETTINGS
@given(doc=DOCS, exchange=EXCHANGES)
def test_any_object(doc, exchange):
    _check(doc, exchange)


@SETTINGS
@given(inner=DOCS | JSON, text=st.text(max_size=40),
       version=st.sampled_from(['2.0', '2.1', '1.0', 2.0, None]),
       use_text=st.booleans())
def test_any_wire_body(inner, text, version, use_text):
    body = {'oslo.version': version,
            'oslo.message': text if use_text else json.dumps(inner)}
    _check(body)


def _paths(value, prefix=()):
    """Every path into ``value``: the places junk can be put."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _replace(value, path, junk):
    if not path:
        return junk
    copy = value.copy()
    copy[path[0]] = _replace(value[path[0]], path[1:], junk)
    return copy


SOURCES = [fixtures.NOVA_LEGACY, fixtures.NOVA_VERSIONED, fixtures.SWIFT,
           fixtures.AODH_TRANSITION, fixtures.AODH_UPDATE]


@SETTINGS
@given(data=st.data(), doc=st.sampled_from(SOURCES), junk=JSON)
def test_real_notification_with_junk_inside(data, doc, junk):
    path = data.draw(st.sampled_from(list(_paths(doc))))
    _check(_replace(doc, path, junk))
    _check(fixtures.wire_body(_replace(doc, path, junk)))


@SETTINGS
@given(doc=st.sampled_from(SOURCES), exchange=EXCHANGES,
       priority=st.text(max_size=8), message=DOCS)
def test_any_listener_message(doc, exchange, priority, message):
    for candidate in (message, dict(fixtures.listener_form(doc), **message)):
        try:
            notification = decode.from_listener(exchange, priority,
                                                candidate)
        except decode.DecodeError:
            continue
        try:
            NORMALIZERS.normalize(notification)
        except NormalizationError:
            pass


@SETTINGS
@given(value=st.text(max_size=80) | SCALARS)
def test_any_timestamp(value):
    result = _time.to_iso(value)
    assert result is None or TIMESTAMP.match(result)


@pytest.fixture(scope='module')
def junk_file(tmp_path_factory):
    return tmp_path_factory.mktemp('fuzz') / 'n.json'


@SETTINGS
@given(content=st.binary(max_size=200) | JSON.map(
    lambda v: json.dumps(v).encode()))
def test_any_file(junk_file, content):
    junk_file.write_bytes(content)
    try:
        decode.load_file(junk_file)
    except decode.DecodeError as exc:
        assert str(junk_file) in str(exc)
