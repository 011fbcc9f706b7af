import threading

from pratai_bridge.ingress.health import Health


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_all_up():
    health = Health({'a': lambda: None, 'b': lambda: None})
    assert health.report() == (True, {'status': 'ok',
                                      'checks': {'a': 'ok', 'b': 'ok'}})


def test_a_failing_check_is_named_with_its_reason():
    def broken():
        raise ConnectionError('refused')

    up, document = Health({'journal': broken, 'transport': lambda: 'gone',
                           'runner': lambda: None}).report()
    assert not up
    assert document['down'] == ['journal', 'transport']
    assert document['checks'] == {'journal': 'ConnectionError: refused',
                                  'transport': 'gone', 'runner': 'ok'}


def test_a_hung_check_is_down_after_the_deadline():
    release = threading.Event()
    up, document = Health({'journal': lambda: release.wait(10) and None},
                          deadline=0.2).report()
    release.set()
    assert not up
    assert 'no answer' in document['checks']['journal']


def test_answers_are_cached():
    clock = Clock()
    calls = []
    health = Health({'a': lambda: calls.append(1)}, cache_seconds=2,
                    clock=clock)
    health.report()
    health.report()
    clock.now = 2.5
    health.report()
    assert len(calls) == 2
