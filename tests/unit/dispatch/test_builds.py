"""Builds off the workers: the dispatcher with a runner whose builds are
slow, fail, or vanish; a real SQLite journal."""

import dataclasses
import threading
import time

import pytest
from oslo_config import cfg

from pratai_bridge.conf import dispatcher as dispatcher_conf
from pratai_bridge.conf import runner as runner_conf
from pratai_bridge.dispatch import builds as builds_mod
from pratai_bridge.functions.store.base import StoreUnavailable
from pratai_bridge.journal import Journal
from pratai_bridge.outcome import Outcome
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import NotPrepared
from tests.unit.dispatch.test_dispatcher import WAIT
from tests.unit.dispatch.test_dispatcher import FakeRunner
from tests.unit.dispatch.test_dispatcher import FakeStore
from tests.unit.dispatch.test_dispatcher import Harness
from tests.unit.dispatch.test_dispatcher import _function
from tests.unit.dispatch.test_dispatcher import _wait_for


class BuildingRunner(FakeRunner):
    """A runner whose functions are ready once prepared; each prepare()
    waits for ``build_gate`` (when set) and plays ``build_script``
    (exceptions raised, one per build) first."""

    def __init__(self, *script, ready=()):
        super().__init__(*script)
        self.build_gate = None
        self.build_script = []
        self.ready_zips = set(ready)
        self.building = threading.Event()

    def ready(self, function):
        return function.sha256 in self.ready_zips

    def prepare(self, function, package):
        self.building.set()
        if self.build_gate is not None:
            assert self.build_gate.wait(WAIT)
        super().prepare(function, package)
        if self.build_script:
            raise self.build_script.pop(0)
        self.ready_zips.add(function.sha256)


def _other():
    """Another function, of another zip."""
    return dataclasses.replace(_function(name='other', version=1),
                               sha256='f' * 64)


@pytest.fixture
def harness(tmp_path):
    conf = cfg.ConfigOpts()
    dispatcher_conf.register_opts(conf)
    runner_conf.register_opts(conf)
    conf([], default_config_files=[], default_config_dirs=[])
    for name, value in (('poll_interval', 0.05), ('retry_delay', 0.01),
                        ('retry_max_delay', 0.02), ('workers', 1)):
        conf.set_override(name, value, group='dispatcher')
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    journal.start()
    made = Harness(conf, journal)
    made.store = FakeStore(_function(), _other())
    made.runner = BuildingRunner(ready=[_other().sha256])
    made.subscribe('on-create')
    made.subscribe('on-other', function='other')
    yield made
    if getattr(made.runner, 'build_gate', None) is not None:
        made.runner.build_gate.set()
    if made.dispatcher is not None:
        assert made.dispatcher.stop(WAIT)
    journal.stop()


def test_a_slow_build_holds_no_worker(harness):
    # One worker; hello's image builds (held), other's is ready.
    harness.runner.build_gate = gate = threading.Event()
    harness.start()
    (waiting,) = harness.record(1)
    assert harness.runner.building.wait(WAIT)
    _wait_for(lambda: harness.journal.get_execution(waiting).status ==
              'pending', 'the execution back to pending')
    assert harness.journal.get_execution(waiting).attempts == 0
    (ready,) = harness.record(2, subscription='on-other')
    assert harness.finished(ready).status == 'succeeded'
    assert harness.journal.get_execution(waiting).status == 'pending'
    gate.set()
    done = harness.finished(waiting)
    assert (done.status, done.attempts) == ('succeeded', 1)
    assert done.build_wait is not None and done.build_wait > 0
    assert harness.finished(ready).build_wait is None
    # Built once, run once: nothing was run before its image was there.
    assert [ref for ref, _ in harness.runner.prepared] == ['hello:3']
    assert [ref for ref, _, _ in harness.runner.calls] == ['other:1',
                                                           'hello:3']


def test_executions_waiting_for_one_build_share_it(harness):
    harness.runner.build_gate = gate = threading.Event()
    harness.start()
    first = harness.record(1)
    assert harness.runner.building.wait(WAIT)
    later = harness.record(2, 3)
    gate.set()
    for execution in first + later:
        assert harness.finished(execution).status == 'succeeded'
    assert len(harness.runner.prepared) == 1


def test_a_failed_build_ends_what_waited_and_is_remembered(harness):
    harness.runner.build_script = [BuildFailed('no wheel for six')]
    harness.start()
    (first,) = harness.record(1)
    done = harness.finished(first)
    assert (done.status, done.error_code, done.error, done.attempts) == (
        'dead', 'build_failed', 'build: no wheel for six', 1)
    assert done.build_wait is not None
    # Within a minute, another event fails at once, with no new build.
    (second,) = harness.record(2)
    assert harness.finished(second).error == 'build: no wheel for six'
    assert len(harness.runner.prepared) == 1
    assert harness.runner.calls == []


def test_a_build_failing_for_a_passing_reason_is_retried(harness):
    harness.store.fetch_failures = 1

    def fetch(function, original=harness.store.fetch):
        if harness.store.fetch_failures:
            harness.store.fetch_failures -= 1
            raise StoreUnavailable('swift is down')
        return original(function)

    harness.store.fetch = fetch
    harness.start()
    (execution,) = harness.record(1)
    done = harness.finished(execution)
    # The first attempt ended with the outage, counted; the retry built.
    assert (done.status, done.attempts) == ('succeeded', 2)
    assert len(harness.runner.prepared) == 1


def test_what_vanished_since_it_was_seen_is_built_again(harness):
    harness.runner.ready_zips.add(_function().sha256)
    harness.runner.script = [NotPrepared('no image')]
    harness.start()
    (execution,) = harness.record(1)
    done = harness.finished(execution)
    assert (done.status, done.attempts) == ('succeeded', 1)
    assert [ref for ref, _ in harness.runner.prepared] == ['hello:3']


def test_a_runner_that_cannot_say_is_prepared_once(harness):
    # FakeRunner.ready() is the contract's default: False.
    harness.runner = FakeRunner()
    harness.start()
    for execution in harness.record(1, 2):
        assert harness.finished(execution).status == 'succeeded'
    assert harness.runner.prepared == [('hello:3', b'zip of hello:3')]


def test_prepare_builds_what_subscribed_functions_lack(harness):
    harness.start()
    harness.dispatcher.builds.prepare(['hello', 'other', 'missing'])
    _wait_for(lambda: harness.runner.prepared, 'a build')
    _wait_for(lambda: harness.dispatcher.builds.ready(_function()),
              'hello ready')
    assert [ref for ref, _ in harness.runner.prepared] == ['hello:3']
    (execution,) = harness.record(1)
    done = harness.finished(execution)
    assert (done.status, done.build_wait) == ('succeeded', None)


def test_what_arrives_during_a_build_ahead_waits_unclaimed(harness):
    harness.runner.build_gate = gate = threading.Event()
    harness.start()
    harness.dispatcher.builds.prepare(['hello'])
    assert harness.runner.building.wait(WAIT)
    (execution,) = harness.record(1)
    time.sleep(0.3)  # several polls: never claimed while it builds
    pending = harness.journal.get_execution(execution)
    assert (pending.status, pending.attempts) == ('pending', 0)
    gate.set()
    done = harness.finished(execution)
    assert (done.status, done.attempts) == ('succeeded', 1)
    assert 0.3 <= done.build_wait < WAIT


def test_waits_of_executions_never_asked_for_are_bounded(monkeypatch):
    monkeypatch.setattr(builds_mod, '_MAX_WAITED', 3)
    builds = builds_mod.Builds(None, None, None, lambda: None)
    function = _function()
    for execution in range(5):
        builds._waiting.setdefault(function.sha256, {})[execution] = 0.0
    builds._building[function.sha256] = function.name
    builds._finish(function, None, time.time())
    assert [len(builds._waited)] == [3]
    assert list(builds._waited) == [2, 3, 4]


def test_outcomes_carry_what_the_runner_said(harness):
    harness.runner.ready_zips.add(_function().sha256)
    harness.runner.script = [Outcome('succeeded', result=1, warm=True,
                                     started_at=1.0, finished_at=2.0)]
    harness.start()
    (execution,) = harness.record(1)
    done = harness.finished(execution)
    assert (done.warm, done.build_wait) == (True, None)
