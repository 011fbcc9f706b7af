"""Hostile notifications through the whole path a listener drives:
decode -> normalize -> match -> journal (a real SQLite journal).

Whatever a message holds (any JSON, junk in every field the decoder and
normalizers read, payloads of megabytes, documents nested hundreds of
levels deep, strings that are not UTF-8), Pipeline.handle_messages
returns: each message is recorded, dropped or parked, and nothing
escapes (an exception there makes the listener requeue the batch, again
and again). ``PRATAI_FUZZ_EXAMPLES`` sets the examples per property
(default 200; the figure in the README comes from a run with 5000).
"""

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.filters.event_type import EventTypeFilter
from pratai_bridge.filters.pattern import PatternFilter
from pratai_bridge.filters.project import ProjectFilter
from pratai_bridge.journal import Journal
from pratai_bridge.matcher import Matcher
from pratai_bridge.pipeline import Pipeline
from pratai_bridge.subscriptions.model import Subscription
from tests.unit.events import fixtures
from tests.unit.events.test_fuzz import DOCS
from tests.unit.events.test_fuzz import JSON
from tests.unit.events.test_fuzz import KEYS
from tests.unit.events.test_fuzz import SOURCES
from tests.unit.events.test_fuzz import _paths
from tests.unit.events.test_fuzz import _replace

EXAMPLES = int(os.environ.get('PRATAI_FUZZ_EXAMPLES', '200'))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=list(HealthCheck))
# Few, big: each example moves megabytes.
BIG = settings(max_examples=max(10, EXAMPLES // 20), deadline=None,
               suppress_health_check=list(HealthCheck))

SUBSCRIPTIONS = [
    Subscription(name='all-nova', function='f', filters=(
        EventTypeFilter(['compute.*', 'instance.*']),)),
    Subscription(name='deep-pattern', function='f', filters=(
        PatternFilter({'payload': {'state': ['active', {'prefix': 'a'}],
                                   'x': {'y': [{'numeric': ['>', 0]}]}}}),)),
    Subscription(name='alarms', function='f', project='p1', filters=(
        EventTypeFilter('alarm.*'),
        PatternFilter({'details': {'current': ['alarm'],
                                   'detail': {'a': [{'exists': True}]}}}))),
    Subscription(name='swift', function='f', filters=(
        ProjectFilter(['p1', 'p2']),
        PatternFilter({'details': {'method': ['PUT'],
                                   'path': [{'wildcard': '*/backups/*'}]}}),
    )),
    Subscription(name='anything', function='f', filters=(
        PatternFilter({'source': [{'exists': True}]}),)),
]
EXCHANGES = st.sampled_from(['nova', 'swift', 'aodh', 'other'])
PRIORITIES = st.sampled_from(['info', 'error', 'sample', 'warn', 'x'])
# Strings that are not UTF-8: what surrogateescape makes of bad bytes,
# lone surrogates a JSON "\ud800" escape decodes to.
BAD_TEXT = st.builds(lambda raw: raw.decode('utf-8', 'surrogateescape'),
                     st.binary(max_size=30)) | st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1,
    max_size=4)
# Values of a wrong type for a field the decoder or a normalizer reads.
WRONG = JSON | BAD_TEXT


@pytest.fixture(scope='module')
def pipeline(tmp_path_factory):
    journal = Journal(
        f'sqlite:///{tmp_path_factory.mktemp("hostile")}/journal.sqlite')
    journal.start()
    yield Pipeline(Normalizers(), Matcher(SUBSCRIPTIONS), journal)
    journal.stop()


def _survives(pipeline, exchange, priority, messages):
    result = pipeline.handle_messages(exchange, priority, messages)
    assert result.received == len(messages)
    # Each one recorded, dropped or parked (an event the journal refuses
    # is counted recorded and then parked: at least once, then).
    assert result.recorded + result.rejected + result.dropped >= len(
        messages)
    return result


def _listener_message(doc, **fields):
    message = dict(fixtures.listener_form(doc))
    message.update(fields)
    return message


@SETTINGS
@given(message=JSON | DOCS, exchange=EXCHANGES, priority=PRIORITIES)
def test_any_json_message(pipeline, message, exchange, priority):
    _survives(pipeline, exchange, priority, [message])


@SETTINGS
@given(doc=st.sampled_from(SOURCES), data=st.data(), junk=WRONG,
       exchange=EXCHANGES)
def test_junk_in_any_field_of_a_real_notification(pipeline, doc, data,
                                                  junk, exchange):
    message = _listener_message(doc)
    path = data.draw(st.sampled_from(list(_paths(message))))
    _survives(pipeline, exchange, 'info', [_replace(message, path, junk)])


@SETTINGS
@given(doc=st.sampled_from(SOURCES),
       fields=st.dictionaries(st.sampled_from(
           ['ctxt', 'publisher_id', 'event_type', 'payload', 'metadata']),
           WRONG, min_size=1))
def test_wrong_types_in_the_listener_fields(pipeline, doc, fields):
    _survives(pipeline, 'nova', 'info', [_listener_message(doc, **fields)])


@SETTINGS
@given(doc=st.sampled_from(SOURCES), depth=st.integers(1, 990),
       kind=st.sampled_from(['dict', 'list', 'mixed']), key=KEYS)
def test_deeply_nested_payloads(pipeline, doc, depth, kind, key):
    # 990: oslo.messaging's JSON decoding stops near 1000 levels.
    deep: object = 'bottom'
    for level in range(depth):
        as_list = kind == 'list' or (kind == 'mixed' and level % 2)
        deep = [deep] if as_list else {key: deep}
    message = _listener_message(doc)
    payload = message['payload']
    message['payload'] = (dict(payload, state=deep, x={'y': deep})
                          if isinstance(payload, dict) else deep)
    _survives(pipeline, 'nova', 'info', [message])


@BIG
@given(doc=st.sampled_from(SOURCES), size=st.integers(0, 8 << 20),
       where=st.sampled_from(['value', 'key', 'list', 'event_type']))
def test_oversize_payloads(pipeline, doc, size, where):
    message = _listener_message(doc)
    big = 'x' * size
    if where == 'value':
        message['payload'] = {'state': big, 'tenant_id': big}
    elif where == 'key':
        message['payload'] = {big: 1}
    elif where == 'list':
        message['payload'] = {'state': ['a'] * (size // 8)}
    else:
        message['event_type'] = 'compute.' + big
    _survives(pipeline, 'nova', 'info', [message])


@SETTINGS
@given(messages=st.lists(JSON | DOCS | st.sampled_from(SOURCES).map(
    fixtures.listener_form), min_size=1, max_size=8))
def test_batches_mixing_good_and_bad(pipeline, messages):
    _survives(pipeline, 'nova', 'info', messages)
