"""BridgeService's subscription reload: swap on success, keep on failure,
one problem per log line; the watcher is built from [subscriptions]."""

import logging
import threading

import oslo_messaging
import pytest
from oslo_config import cfg

from pratai_bridge import conf as bridge_conf
from pratai_bridge.service import BridgeService

GOOD = '''
subscriptions:
  - name: a
    function: f
    filters: [{event_type: compute.*}]
'''
BROKEN = '''
subscriptions:
  - name: b
    function: f
    filters: [{evnt: x}, {pattern: {n: [{numeric: [">", x]}]}}]
'''


@pytest.fixture
def service(tmp_path):
    conf = cfg.ConfigOpts()
    bridge_conf.register_opts(conf)
    conf([], project='pratai-bridge', default_config_files=[])
    oslo_messaging.get_notification_transport(
        conf, url='rabbit://guest:guest@127.0.0.1:5672/')
    directory = tmp_path / 'subscriptions.d'
    directory.mkdir()
    conf.set_override('state_path', str(tmp_path))
    conf.set_override('directory', str(directory), group='subscriptions')
    conf.set_override('driver', 'local', group='store')
    conf.set_override('driver', 'local', group='runner')
    return BridgeService(conf), directory  # built, never started


def test_reload_swaps_the_matcher(service):
    bridge, directory = service
    before = bridge.pipeline.matcher
    assert len(before) == 0
    (directory / 'a.yaml').write_text(GOOD)
    assert bridge.reload_subscriptions()
    assert bridge.pipeline.matcher is not before
    assert list(bridge.pipeline.matcher.by_name) == ['a']


def test_a_broken_file_keeps_the_set_and_logs_each_problem(service,
                                                           caplog):
    bridge, directory = service
    (directory / 'a.yaml').write_text(GOOD)
    assert bridge.reload_subscriptions()
    kept = bridge.pipeline.matcher
    (directory / 'b.yaml').write_text(BROKEN)
    with caplog.at_level(logging.ERROR, logger='pratai_bridge.service'):
        assert not bridge.reload_subscriptions()
    assert bridge.pipeline.matcher is kept
    lines = [r.getMessage() for r in caplog.records
             if r.name == 'pratai_bridge.service']
    assert lines[0].startswith('Subscription reload failed with 2 '
                               'problems; keeping the 1 subscriptions')
    assert lines[1].startswith(f'{directory}/b.yaml:5: subscription '
                               "'b': unknown filter 'evnt'")
    assert lines[2].startswith(f'{directory}/b.yaml:5: subscription '
                               "'b': filter 'pattern': n: numeric:")


def test_reloads_run_one_at_a_time(service, monkeypatch):
    bridge, directory = service
    (directory / 'a.yaml').write_text(GOOD)
    inside = []
    peak = []
    real = BridgeService.reload_subscriptions.__globals__['load_matcher']

    def slow(conf, cache=None):
        inside.append(1)
        peak.append(len(inside))
        try:
            threading.Event().wait(0.05)
            return real(conf, cache)
        finally:
            inside.pop()

    monkeypatch.setitem(BridgeService.reload_subscriptions.__globals__,
                        'load_matcher', slow)
    threads = [threading.Thread(target=bridge.reload_subscriptions)
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(peak) == 1 and len(peak) == 4


def test_a_reload_parses_only_the_files_that_changed(service):
    bridge, directory = service
    (directory / 'a.yaml').write_text(GOOD)
    (directory / 'c.yaml').write_text(GOOD.replace('name: a', 'name: c'))
    assert bridge.reload_subscriptions()
    first = bridge.pipeline.matcher.by_name
    (directory / 'c.yaml').write_text(GOOD.replace('name: a', 'name: d'))
    assert bridge.reload_subscriptions()
    second = bridge.pipeline.matcher.by_name
    assert list(second) == ['a', 'd']
    assert second['a'] is first['a']  # a.yaml was not parsed again


def test_the_watcher_follows_the_options(service, tmp_path):
    bridge, directory = service
    assert bridge.watcher is not None
    bridge._conf.set_override('watch', False, group='subscriptions')
    assert BridgeService(bridge._conf).watcher is None
