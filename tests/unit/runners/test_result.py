import json

import pytest

from pratai_bridge.runners import _result
from pratai_bridge.runners import base
from tests.unit.runners.helpers import limits


def _outcome(stdout: bytes = b'', stderr: bytes = b'', tail: int = 1024,
             **ending):
    out, logs = _result.Capped(), _result.Tail(tail)
    out.feed(stdout)
    logs.feed(stderr)
    ending.setdefault('exit_code', 0)
    return _result.outcome(out, logs, _result.Ending(**ending),
                           limits(memory_mb=64, timeout_s=2.5), 10.0, 12.0)


def _line(**fields) -> bytes:
    return json.dumps(fields).encode() + b'\n'


def test_succeeded():
    outcome = _outcome(_line(status='succeeded', result={'a': [1]}),
                       b'some logs\n')
    assert outcome == base.Outcome(base.SUCCEEDED, {'a': [1]}, None,
                                   'some logs\n', 10.0, 12.0)
    assert outcome.duration == 2.0


def test_failed_keeps_the_traceback():
    error = {'type': 'ValueError', 'message': 'boom',
             'traceback': 'Traceback (most recent call last):\n  ...\n'
                          'ValueError: boom\n'}
    outcome = _outcome(_line(status='failed', error=error), exit_code=1)
    assert (outcome.status, outcome.error) == (base.FAILED,
                                               error['traceback'])


def test_runtime_error_says_what_went_wrong():
    error = {'type': 'RuntimeFailure', 'message': "no module 'x'",
             'traceback': 'Traceback...'}
    outcome = _outcome(_line(status='error', error=error), exit_code=2)
    assert (outcome.status, outcome.error) == (
        base.ERROR, "RuntimeFailure: no module 'x'")


def test_memory_error_is_out_of_memory():
    error = {'type': 'MemoryError', 'message': '', 'traceback': 'TB'}
    outcome = _outcome(_line(status='failed', error=error), exit_code=1)
    assert outcome.error == 'out of memory (limit 64 MiB)\nTB'


def test_the_result_line_wins_over_a_racing_timeout():
    outcome = _outcome(_line(status='succeeded', result=1), timed_out=True,
                       exit_code=137)
    assert outcome.status == base.SUCCEEDED


@pytest.mark.parametrize('ending, status, error', [
    ({'timed_out': True, 'exit_code': 137}, base.TIMEOUT,
     'timed out after 2.5 s; killed'),
    ({'oom': True, 'exit_code': 137}, base.FAILED,
     'out of memory (limit 64 MiB)'),
    ({'exit_code': 139}, base.FAILED,
     'the function ended without a result (exit 139: killed by SIGSEGV)'),
    ({'exit_code': 3}, base.FAILED,
     'the function ended without a result (exit 3)'),
    ({'exit_code': None}, base.FAILED,
     'the function ended without a result (exit status unknown)'),
])
def test_no_result_line(ending, status, error):
    outcome = _outcome(b'', b'partial logs', **ending)
    assert (outcome.status, outcome.error, outcome.logs) == (
        status, error, 'partial logs')


def test_an_unreadable_line_is_a_runtime_error():
    assert _outcome(b'not json\n').status == base.ERROR
    assert _outcome(_line(status='weird')).status == base.ERROR


def test_a_huge_result_is_the_function_failure():
    out = _result.Capped(limit=10)
    out.feed(b'0123456789')
    assert not out.overflow
    out.feed(b'x')
    assert out.overflow and out.value() == b''
    outcome = _result.outcome(out, _result.Tail(10), _result.Ending(0),
                              limits(), 0.0, 1.0)
    assert outcome.status == base.FAILED
    assert outcome.error == ('the result is larger than 10 bytes ([runner] '
                             'max_result_kb): not kept')


def test_tail_keeps_the_last_bytes_and_says_so():
    tail = _result.Tail(100)
    for _ in range(1000):
        tail.feed(b'0123456789')
    text = tail.text()
    assert len(text.encode()) <= 100
    assert text.startswith('[')
    head, body = text.split('\n', 1)
    dropped = int(head[1:].split()[0])
    assert head == f'[{dropped} earlier bytes not kept]'
    assert dropped + len(body) == 10000
    assert body == ('0123456789' * 10)[-len(body):]


def test_tail_within_its_limit_is_whole():
    tail = _result.Tail(100)
    tail.feed('é'.encode() * 50)
    assert tail.text() == 'é' * 50
    assert _result.Tail(0).text() == ''


def test_tail_never_starts_inside_a_character():
    tail = _result.Tail(64)
    tail.feed('é'.encode() * 1000)
    text = tail.text()
    body = text.split('\n', 1)[1]
    assert body == 'é' * len(body) and body
