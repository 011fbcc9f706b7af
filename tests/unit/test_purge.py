"""The daemon's periodic purge, on a real SQLite journal."""

import datetime
import logging
import time

import pytest
from oslo_config import cfg

from pratai_bridge.conf import journal as journal_conf
from pratai_bridge.events.model import Event
from pratai_bridge.journal import Journal
from pratai_bridge.purge import Purger


def _event(number):
    return Event(message_id=f'msg-{number}', source='nova',
                 event_type='x.y', publisher_id=None, priority='info',
                 timestamp='2026-11-28T03:02:28Z', project_id=None,
                 user_id=None, resource_id=None, payload={})


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    journal_conf.register_opts(conf)
    conf([], default_config_files=[], default_config_dirs=[])
    return conf


@pytest.fixture
def journal(tmp_path):
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    journal.start()
    journal.record([_event(n) for n in range(3)], [], [])
    yield journal
    journal.stop()


def test_the_defaults_keep_a_fresh_event(conf, journal):
    assert set(Purger(conf, journal).purge().values()) == {0}


def test_an_age_purges_and_logs(conf, journal, caplog):
    caplog.set_level(logging.INFO)
    conf.set_override('unmatched_events_max_age', '0.1s', group='journal')
    time.sleep(0.2)
    assert Purger(conf, journal).purge()['events'] == 3
    assert 'Journal purge: 0 executions, 0 attempts, 3 events' in caplog.text


def test_zero_keeps_forever(conf):
    conf.set_override('unmatched_events_max_age', '0', group='journal')
    now = datetime.datetime.now(datetime.UTC)
    executions, matched, unmatched = journal_conf.cutoffs(conf, now)
    assert unmatched is None
    assert executions == matched == now - datetime.timedelta(days=30)


def test_the_thread_purges_every_interval(conf, journal):
    conf.set_override('unmatched_events_max_age', '0.05s', group='journal')
    conf.set_override('purge_interval', 0.05, group='journal')
    purger = Purger(conf, journal)
    purger.start()
    deadline = time.monotonic() + 5
    while journal.counts()['events']:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    purger.stop()


def test_a_bad_age_is_refused_by_the_option(conf):
    with pytest.raises(ValueError):
        conf.set_override('unmatched_events_max_age', 'soon',
                          group='journal')
