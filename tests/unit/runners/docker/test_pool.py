"""The warm pool's rules, on sessions that are plain objects."""

import time

import pytest

from pratai_bridge.runners.docker import _pool
from tests.unit.runners.helpers import limits
from tests.unit.runners.helpers import make_function


class FakeSession:
    def __init__(self, key='k', uses=1, expires=None, ended=False):
        self.key = key
        self.uses = uses
        self.expires = time.monotonic() + 900 if expires is None else expires
        self.ended = ended
        self.container = f'container-{id(self)}'


WARM = _pool.WarmSettings(pool_size=2, idle_time=300, max_uses=3)


@pytest.fixture
def pool():
    retired = []
    made = _pool.Pool(retired.append)
    made.retired = retired
    yield made
    made.close()


def test_settings_are_the_function_s_else_the_runner_s(conf):
    function, _ = make_function({'handler.py': ''})
    assert _pool.settings(conf, function) == _pool.WarmSettings(2, 300, 100)
    conf.set_override('warm_max_uses', 7, group='runner')
    function, _ = make_function({'handler.py': ''}, warm_pool_size=5,
                                warm_idle_time=0)
    settings = _pool.settings(conf, function)
    assert settings == _pool.WarmSettings(5, 0, 7)
    assert not settings.reuse


@pytest.mark.parametrize('zeroed', ['pool_size', 'idle_time', 'max_uses'])
def test_0_in_any_setting_disables_reuse(zeroed):
    values = {'pool_size': 2, 'idle_time': 300, 'max_uses': 3, zeroed: 0}
    assert not _pool.WarmSettings(**values).reuse


def test_the_key_leaves_the_timeout_out():
    function, _ = make_function({'handler.py': ''})
    assert _pool.key(function, limits(timeout_s=1)) == _pool.key(
        function, limits(timeout_s=30))
    assert _pool.key(function, limits()) != _pool.key(
        function, limits(memory_mb=256))
    other, _ = make_function({'handler.py': ''}, name='other')
    assert _pool.key(function, limits()) != _pool.key(other, limits())


def test_the_most_recent_idle_session_is_taken_first(pool):
    older, newer = FakeSession(), FakeSession()
    pool.give(older, WARM)
    pool.give(newer, WARM)
    until = time.monotonic() + 30
    assert pool.take('k', until) is newer
    assert pool.take('k', until) is older
    assert pool.take('k', until) is None
    assert pool.take('other', until) is None


def test_a_full_pool_or_used_up_session_is_retired(pool):
    kept = [FakeSession(), FakeSession()]
    for session in kept:
        pool.give(session, WARM)
    extra = FakeSession()
    pool.give(extra, WARM)
    used_up = FakeSession(key='other', uses=3)
    pool.give(used_up, WARM)
    ended = FakeSession(key='other', ended=True)
    pool.give(ended, WARM)
    no_reuse = FakeSession(key='other')
    pool.give(no_reuse, _pool.WarmSettings(0, 300, 3))
    assert pool.retired == [extra, used_up, ended, no_reuse]
    assert pool.idle_count() == 2


def test_a_session_too_old_or_ended_is_retired_when_taken(pool):
    now = time.monotonic()
    old, ended = FakeSession(expires=now + 5), FakeSession()
    pool.give(old, WARM)
    assert pool.take('k', now + 30) is None  # would outlive its lifetime
    pool.give(ended, WARM)
    ended.ended = True
    assert pool.take('k', now + 30) is None
    assert pool.retired == [old, ended]


def test_idle_sessions_are_reaped(pool, monkeypatch):
    monkeypatch.setattr(_pool, 'REAP_INTERVAL', 0.05)
    short = _pool.WarmSettings(pool_size=2, idle_time=0.2, max_uses=3)
    session = FakeSession()
    pool.give(session, short)
    lasting = FakeSession(key='lasting')
    pool.give(lasting, WARM)
    deadline = time.monotonic() + 5
    while session not in pool.retired:
        assert time.monotonic() < deadline, 'not reaped'
        time.sleep(0.02)
    assert pool.idle_count() == 1
    lasting.ended = True  # its container ended while idle
    while lasting not in pool.retired:
        assert time.monotonic() < deadline, 'not reaped'
        time.sleep(0.02)


def test_close_retires_the_idle_and_whatever_comes_back(pool):
    idle, busy = FakeSession(), FakeSession()
    pool.give(idle, WARM)
    pool.close()
    assert pool.retired == [idle]
    pool.give(busy, WARM)
    assert pool.retired == [idle, busy]


def test_drop_retires_one_image_s_sessions(pool):
    function, _ = make_function({'handler.py': ''})
    mine = FakeSession(key=_pool.key(function, limits()))
    theirs = FakeSession(key=('other', 1, 'f' * 64, None))
    pool.give(mine, WARM)
    pool.give(theirs, WARM)
    pool.drop(function.sha256)
    assert pool.retired == [mine]
    assert pool.idle_count() == 1
