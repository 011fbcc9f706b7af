"""Hostile bodies on the real RabbitMQ: the daemon never crashes or hangs,
parks what it can read but not use, and keeps consuming.

Every body below is published raw (as any client of the bus could) on the
exchange and topic Nova uses, then one good notification after them; the
good one must be journaled and matched, the daemon must still run, never
requeue a batch (a requeued poison message would come back forever), and
stop cleanly on SIGTERM.
"""

import json
import time
import uuid

from tests.functional import rabbit
from tests.functional.test_daemon import _journal

SUBSCRIPTIONS = """
subscriptions:
  - name: on-create
    function: hello
    filters:
      - event_type: compute.instance.create.end
      - pattern: {payload: {state: [active]}}
"""
TOPIC = 'notifications.info'


def _wire(message) -> bytes:
    """An oslo.messaging v2 body around ``message`` (any JSON)."""
    return json.dumps({'oslo.version': '2.0',
                       'oslo.message': json.dumps(message)}).encode()


def _message(**fields):
    message = {'message_id': str(uuid.uuid4()), 'publisher_id': 'compute.h',
               'event_type': 'compute.instance.create.end',
               'priority': 'INFO', 'timestamp': '2026-11-28 03:02:20.65',
               'payload': {'instance_id': 'i-1', 'tenant_id': 'p1',
                           'state': 'active'}}
    message.update(fields)
    return message


def _nested(depth: int) -> str:
    return '[' * depth + ']' * depth


# What oslo.messaging itself cannot read (not UTF-8, not JSON, nested past
# its decoder's recursion, not an object): it logs "skipping it" (without
# the body) and drops it; the bridge never sees it.
UNREADABLE = [
    b'\xff\xfe\x00not utf-8 at all',
    b'{not json',
    b'{"oslo.version": "2.0", "oslo.message": "{\\"a\\": \xff}"}',
    ('{"oslo.version": "2.0", "oslo.message": "{\\"payload\\": '
     + _nested(5000) + '}"}').encode(),
    b'[1, 2, 3]', b'"a string"', b'42', b'null',
    _wire([1, 2]),
]
# Readable, but not a usable notification: the bridge parks each one.
PARKED = [
    _wire(_message(event_type=42)),
    _wire(_message(payload='not an object', publisher_id={'a': 1},
                   timestamp=['x'])),
    _wire(_message(payload=None, message_id=7)),
]
# Odd but valid: journaled (and matched or not), never a crash.
ODD = [
    # Deep, within what the decoder reads.
    ('{"oslo.version": "2.0", "oslo.message": "'
     + json.dumps(json.dumps(_message(payload={
         'state': 'active', 'deep': json.loads(_nested(900))})))[1:-1]
     + '"}').encode(),
    # 8 MiB of payload.
    _wire(_message(payload={'state': 'active', 'blob': 'x' * (8 << 20)})),
    _wire(_message(payload={'state': ['active', {'x': None}] * 10000})),
    # A lone surrogate (what a "\ud800" escape decodes to).
    _wire(_message(payload={'state': '\ud800', 'tenant_id': 'p1'})),
]


def _id(body: bytes):
    return json.loads(json.loads(body)['oslo.message'])['message_id']


def test_hostile_bodies_never_stop_the_daemon(make_bridge, publisher):
    bridge = make_bridge()
    bridge.subscribe('10-main.yaml', SUBSCRIPTIONS)
    bridge.start()
    for body in UNREADABLE + PARKED + ODD:
        rabbit.publish_raw('nova', TOPIC, body)
    good = _message(payload={'instance_id': 'i-good', 'tenant_id': 'p1',
                             'state': 'active'})
    rabbit.publish_raw('nova', TOPIC, _wire(good))
    deadline = time.monotonic() + 60
    while not [e for e in bridge.executions()
               if e['message_id'] == good['message_id']]:
        assert time.monotonic() < deadline, bridge.log_text()[-3000:]
        assert bridge.process.poll() is None, bridge.log_text()[-3000:]
        time.sleep(0.2)
    log = bridge.log_text()
    # (This bridge's pool gets a copy of what other tests publish on the
    # same exchange, hence at least.)
    assert log.count('skipping it.') >= len(UNREADABLE), log[-3000:]
    assert 'requeueing' not in log
    journal = _journal(bridge)
    try:
        parked = {r.message_id: r for r in journal.list_rejected()}
        odd = [journal.get_event(_id(body)) for body in ODD]
    finally:
        journal.stop()
    assert {_id(PARKED[0]), _id(PARKED[1])} <= set(parked)
    assert parked[_id(PARKED[1])].reason == (
        'publisher_id must be a string, not dict')
    assert any(r.reason == 'message_id must be a string'
               for r in parked.values())
    assert all(event is not None for event in odd)
    assert bridge.process.poll() is None
    assert bridge.stop() == 0
