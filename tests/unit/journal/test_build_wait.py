"""Schema version 4: an execution that waits for a build, and what an
attempt records of warm reuse and build waits."""

import sqlite3

from pratai_bridge.journal import migrations
from pratai_bridge.outcome import Outcome


def _claimed(journal, make_event, subscriptions):
    event = make_event(1)
    journal.record([event], [(event, subscriptions[0])], [])
    [execution] = journal.claim(1)
    return execution


def test_waiting_for_a_build_takes_the_attempt_back(journal, make_event,
                                                    subscriptions):
    execution = _claimed(journal, make_event, subscriptions)
    assert (execution.status, execution.attempts) == ('running', 1)
    journal.wait_for_build(execution.id)
    waiting = journal.get_execution(execution.id)
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == (
        'pending', 0, None)
    [again] = journal.claim(1)
    assert (again.id, again.attempts) == (execution.id, 1)


def test_waiting_for_a_build_moves_only_a_running_execution(
        journal, make_event, subscriptions, caplog):
    execution = _claimed(journal, make_event, subscriptions)
    journal.finish(execution.id, Outcome('succeeded', started_at=1.0,
                                         finished_at=2.0), 1)
    journal.wait_for_build(execution.id)
    assert journal.get_execution(execution.id).status == 'succeeded'
    assert 'its wait for a build was not recorded' in caplog.text


def test_finish_records_warm_and_the_build_wait(journal, make_event,
                                                subscriptions):
    execution = _claimed(journal, make_event, subscriptions)
    journal.finish(execution.id, Outcome('succeeded', started_at=1.0,
                                         finished_at=2.0, warm=True,
                                         build_wait=12.5), 1)
    done = journal.get_execution(execution.id)
    assert (done.warm, done.build_wait, done.duration) == (True, 12.5, 1.0)


def test_an_execution_that_never_ran_says_neither(journal, make_event,
                                                  subscriptions):
    execution = _claimed(journal, make_event, subscriptions)
    assert (execution.warm, execution.build_wait) == (None, None)


def test_version_4_adds_the_columns(journal_url, journal):
    assert migrations.latest() >= 4
    path = journal_url[len('sqlite:///'):]
    with sqlite3.connect(path) as conn:
        columns = {row[1]: row[2] for row in conn.execute(
            'PRAGMA table_info(executions)')}
    assert (columns['warm'], columns['build_wait']) == ('BOOLEAN', 'FLOAT')
