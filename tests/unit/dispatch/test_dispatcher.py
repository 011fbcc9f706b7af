"""The dispatcher, with a fake store and runner on a real SQLite journal."""

import collections
import datetime
import logging
import os
import threading
import time

import pytest

from pratai_bridge.metrics import Metrics
from tests.unit.test_metrics import metric_samples
from oslo_config import cfg

from pratai_bridge import chain
from pratai_bridge.credentials import CredentialError
from pratai_bridge.credentials import CredentialUnavailable
from pratai_bridge.credentials import Handoff
from pratai_bridge.conf import dispatcher as dispatcher_conf
from pratai_bridge.conf import runner as runner_conf
from pratai_bridge.dispatch import Dispatcher
from pratai_bridge.events.model import Event
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store.base import FunctionNotFound
from pratai_bridge.functions.store.base import InvalidStoredFunction
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreUnavailable
from pratai_bridge.journal import FINAL_STATUSES
from pratai_bridge.journal import Journal
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import PayloadTooLarge
from pratai_bridge.runners.base import Limits
from pratai_bridge.runners.base import RunContext
from pratai_bridge.outcome import Outcome
from pratai_bridge.runners.base import Runner
from pratai_bridge.runners.base import RunnerError
from pratai_bridge.subscriptions.model import Delivery
from pratai_bridge.subscriptions.model import Subscription

UTC = datetime.UTC
WAIT = 10  # seconds: generous bounds, never reached when things work


def _function(name='hello', version=3, **spec):
    return Function(spec=FunctionSpec(name=name, handler='main', **spec),
                    version=version, sha256='0' * 64, size=10,
                    created_at='2026-11-28T00:00:00Z')


def _succeeded(payload):
    return Outcome('succeeded', result={'seen': payload['message_id']},
                   logs='ran\n', started_at=10.0, finished_at=10.5)


class FakeStore(Store):
    """Functions by name; ``outages`` get() calls fail first."""

    def __init__(self, *functions, outages=0):
        super().__init__(cfg.ConfigOpts())
        self.functions = {f.name: f for f in functions}
        self.outages = outages

    def put(self, spec, package):
        raise NotImplementedError

    def get(self, name, version=None):
        if self.outages:
            self.outages -= 1
            raise StoreUnavailable('swift is down')
        try:
            return self.functions[name]
        except KeyError:
            raise FunctionNotFound(name) from None

    def fetch(self, function):
        return b'zip of ' + function.ref.encode()

    def list(self):
        return list(self.functions.values())

    def delete(self, name):
        return [self.functions.pop(name)]


class FakeRunner(Runner):
    """Plays ``script`` (Outcomes, exceptions, or callables of the payload)
    one per run, then succeeds; blocks each run on ``gate`` when given;
    counts runs in flight per subscription.
    """

    def __init__(self, *script, gate=None):
        super().__init__(cfg.ConfigOpts())
        self.script = list(script)
        self.gate = gate
        self.calls = []
        self.contexts = []
        self.prepared = []
        self.active = collections.Counter()
        self.peak = collections.Counter()
        self.stopped = []
        self.stop_error = None
        self._lock = threading.Lock()

    def prepare(self, function, package):
        self.prepared.append((function.ref, package))

    def stop_orphans(self, bridge):
        if self.stop_error is not None:
            raise self.stop_error
        self.stopped.append(bridge)
        return 0

    def run(self, function, payload, limits, context):
        subscription = payload['subscription']
        with self._lock:
            self.calls.append((function.ref, payload, limits))
            self.contexts.append(context)
            step = self.script.pop(0) if self.script else _succeeded
            self.active[subscription] += 1
            self.active['*'] += 1
            for key in (subscription, '*'):
                self.peak[key] = max(self.peak[key], self.active[key])
        try:
            if self.gate is not None:
                assert self.gate.wait(WAIT)
            if isinstance(step, Exception):
                raise step
            return step(payload) if callable(step) else step
        finally:
            with self._lock:
                self.active[subscription] -= 1
                self.active['*'] -= 1


def _event(number):
    return Event(message_id=f'msg-{number:04d}', source='nova',
                 event_type='compute.instance.create.end',
                 publisher_id='compute.host-1', priority='info',
                 timestamp='2026-11-28T03:02:28Z', project_id='p',
                 user_id='u', resource_id=f'r-{number}',
                 payload={'n': number}, details={'flavor': 'tiny'},
                 exchange='nova')


def _wait_for(predicate, what):
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f'gave up waiting for {what}'
        time.sleep(0.01)


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    dispatcher_conf.register_opts(conf)
    runner_conf.register_opts(conf)
    conf([], default_config_files=[], default_config_dirs=[])
    for name, value in (('poll_interval', 0.05), ('retry_delay', 0.01),
                        ('retry_max_delay', 0.02)):
        conf.set_override(name, value, group='dispatcher')
    return conf


@pytest.fixture
def journal(tmp_path):
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    journal.start()
    yield journal
    journal.stop()


class Harness:
    """A dispatcher on ``journal`` and its fakes; stopped after the test."""

    def __init__(self, conf, journal):
        self.conf = conf
        self.journal = journal
        self.store = FakeStore(_function())
        self.runner = FakeRunner()
        self.subscriptions = {
            'on-create': Subscription(name='on-create', function='hello')}
        self.dispatcher = None
        self.metrics = Metrics()

    def start(self, handoff=None):
        self.dispatcher = Dispatcher(self.conf, self.journal, self.store,
                                     self.runner, lambda: self.subscriptions,
                                     metrics=self.metrics, handoff=handoff)
        self.dispatcher.start()
        return self.dispatcher

    def subscribe(self, name, function='hello', **delivery):
        self.subscriptions[name] = Subscription(
            name=name, function=function, delivery=Delivery(**delivery))

    def record(self, *numbers, subscription='on-create'):
        """Journal one execution per event number; returns their ids."""
        sub = self.subscriptions.get(subscription) or Subscription(
            name=subscription, function='hello')
        events = [_event(n) for n in numbers]
        self.journal.record(events, [(e, sub) for e in events], [])
        if self.dispatcher is not None:
            self.dispatcher.wake()
        return sorted(e.id for e in self.journal.list_executions(
            subscription=subscription) if e.message_id in {
                ev.message_id for ev in events})

    def finished(self, execution_id):
        _wait_for(lambda: self.journal.get_execution(execution_id).status
                  in FINAL_STATUSES, f'execution {execution_id}')
        return self.journal.get_execution(execution_id)


@pytest.fixture
def harness(conf, journal):
    made = Harness(conf, journal)
    yield made
    if made.runner.gate is not None:
        made.runner.gate.set()
    if made.dispatcher is not None:
        assert made.dispatcher.stop(WAIT)


def test_success(harness):
    harness.store = FakeStore(_function(version=7, memory=256, timeout=10,
                                        network='bridge'))
    harness.subscribe('on-create', timeout=5)
    harness.start()
    (execution_id,) = harness.record(1)
    execution = harness.finished(execution_id)

    assert (execution.status, execution.result, execution.function_version,
            execution.attempts, execution.error, execution.logs,
            execution.duration) == ('succeeded', {'seen': 'msg-0001'}, 7, 1,
                                    None, 'ran\n', 0.5)
    ((ref, payload, limits),) = harness.runner.calls
    assert ref == 'hello:7'
    assert payload == dict(
        _event(1).as_document(), subscription='on-create',
        request_id=chain.request_id(_event(1).message_id, 'on-create'))
    assert limits == Limits(memory_mb=256, timeout_s=5, network=True)
    assert harness.runner.prepared == [('hello:7', b'zip of hello:7')]
    # The run is marked with this bridge and the execution.
    assert harness.runner.contexts == [
        RunContext(bridge=harness.journal.owner(), execution=execution_id)]


def test_metrics_count_attempts_and_final_statuses(harness):
    harness.subscribe('on-create', max_attempts=2)
    harness.store = FakeStore(_function(), _function('other'))
    harness.subscribe('gone-function', function='nothing')
    harness.runner.script = [
        Outcome('failed', error='flaky', started_at=1.0, finished_at=1.25,
                warm=False),
        Outcome('succeeded', started_at=2.0, finished_at=2.5, warm=True)]
    harness.start()
    harness.finished(harness.record(1)[0])
    harness.finished(harness.record(2, subscription='gone-function')[0])
    samples = metric_samples(harness.metrics)
    # One execution succeeded after two attempts; one ended in error
    # without running (its function is missing): no start, no duration.
    assert {labels: value for (name, labels), value in samples.items()
            if name == 'pratai_executions_total'} == {
        (('function', 'hello'), ('status', 'succeeded')): 1,
        (('function', 'nothing'), ('status', 'dead')): 1}
    assert samples[('pratai_starts_total', (
        ('function', 'hello'), ('kind', 'cold')))] == 1
    assert samples[('pratai_starts_total', (
        ('function', 'hello'), ('kind', 'warm')))] == 1
    assert samples[('pratai_execution_duration_seconds_count', (
        ('function', 'hello'),))] == 2
    assert samples[('pratai_execution_duration_seconds_sum', (
        ('function', 'hello'),))] == 0.75
    assert ('pratai_execution_duration_seconds_count', (
        ('function', 'nothing'),)) not in samples


def test_limits_take_the_shorter_timeout(harness):
    harness.store = FakeStore(_function(timeout=3))
    harness.subscribe('on-create', timeout=30)
    harness.start()
    harness.finished(harness.record(1)[0])
    ((_, _, limits),) = harness.runner.calls
    assert limits == Limits(memory_mb=128, timeout_s=3, network=False)


def test_logs_keep_the_configured_tail(harness, conf):
    conf.set_override('log_tail_bytes', 8, group='dispatcher')
    harness.runner.script = [Outcome('succeeded', logs='x' * 90 + 'the end')]
    harness.start()
    assert harness.finished(harness.record(1)[0]).logs == 'xthe end'


def test_failure_is_retried_then_dead_lettered(harness):
    harness.subscribe('on-create', max_attempts=3)
    harness.runner.script = [
        Outcome('failed', error=f'Traceback ...\nValueError: {n}')
        for n in range(1, 4)]
    harness.start()
    execution = harness.finished(harness.record(1)[0])

    assert (execution.status, execution.outcome, execution.error_code,
            execution.attempts, execution.error) == (
        'dead', 'failed', 'function_failed', 3,
        'Traceback ...\nValueError: 3')
    assert len(harness.runner.calls) == 3
    assert [e.id for e in harness.journal.list_executions(
        status='dead')] == [execution.id]
    history = harness.journal.attempts([execution.id])[execution.id]
    assert [(a.number, a.outcome, a.error_code, a.error) for a in history
            ] == [(n, 'failed', 'function_failed',
                   f'Traceback ...\nValueError: {n}') for n in (1, 2, 3)]
    assert {a.bridge for a in history} == {harness.journal.owner()}
    assert all(a.started_at <= a.ended_at for a in history)


def test_failure_then_success(harness):
    harness.runner.script = [Outcome('failed', error='flaky')]
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.attempts) == ('succeeded', 2)


def test_retry_waits_for_its_backoff(harness, conf):
    conf.set_override('retry_delay', 60, group='dispatcher')
    conf.set_override('retry_max_delay', 600, group='dispatcher')
    harness.runner.script = [Outcome('failed', error='boom')]
    harness.start()
    (execution_id,) = harness.record(1)
    _wait_for(lambda: harness.journal.get_execution(execution_id).error,
              'the retry')
    execution = harness.journal.get_execution(execution_id)
    now = datetime.datetime.now(UTC)
    assert (execution.status, execution.attempts) == ('pending', 1)
    assert (now + datetime.timedelta(seconds=25) < execution.next_attempt_at
            <= now + datetime.timedelta(seconds=60))
    time.sleep(0.2)
    assert len(harness.runner.calls) == 1


def test_timeout_outcome(harness):
    harness.subscribe('on-create', max_attempts=2)
    harness.runner.script = [Outcome('timeout', error='timed out after 30 s')
                             ] * 2
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.outcome, execution.error_code,
            execution.attempts, execution.error) == (
        'dead', 'timeout', 'timed_out', 2, 'timed out after 30 s')


def test_store_outage_is_retried(harness):
    harness.store.outages = 1
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.attempts) == ('succeeded', 2)


def test_long_store_outage_ends_in_error(harness):
    harness.subscribe('on-create', max_attempts=2)
    harness.store.outages = 5
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.outcome, execution.error_code,
            execution.attempts, execution.error) == (
        'dead', 'error', 'store_unavailable', 2, 'store: swift is down')
    assert harness.runner.calls == []


def test_function_not_found_is_not_retried(harness):
    harness.store = FakeStore()
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.error_code, execution.attempts,
            execution.function_version) == (
        'dead', 'function_not_found', 1, None)
    assert execution.error.startswith('function hello not found')
    assert harness.runner.calls == []


def test_a_project_s_function_is_forbidden_to_other_subscriptions(harness):
    # The store changed since the subscriptions were checked: the function
    # is now project-a's, and the subscription is operator-level.
    harness.store = FakeStore(_function(project='project-a'))
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.error_code, execution.attempts) == (
        'dead', 'function_forbidden', 1)
    assert execution.error.startswith(
        "subscription 'on-create' is operator-level (no project) and names "
        "function 'hello' of project project-a")
    assert harness.runner.calls == []


def test_a_project_s_function_runs_for_its_project(harness):
    harness.store = FakeStore(_function(project='project-a'))
    harness.subscriptions['on-create'] = Subscription(
        name='on-create', function='hello', project='project-a')
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert execution.status == 'succeeded'


def test_subscription_gone(harness):
    (execution_id,) = harness.record(1, subscription='removed')
    harness.start()
    execution = harness.finished(execution_id)
    assert (execution.status, execution.error_code, execution.attempts,
            execution.error) == (
        'dead', 'subscription_gone', 1,
        'subscription removed no longer exists')
    assert harness.runner.calls == []


def test_runner_error_is_retried(harness):
    harness.runner.script = [RunnerError('docker is down')]
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.attempts) == ('succeeded', 2)


def test_a_failed_build_is_not_retried(harness):
    # The same zip builds the same way: retrying would only fail again.
    harness.runner.script = [BuildFailed('requirements.txt line 1: ...')]
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.error_code, execution.attempts
            ) == ('dead', 'build_failed', 1)
    assert execution.error == 'build: requirements.txt line 1: ...'


def test_a_payload_too_large_is_not_retried(harness):
    harness.runner.script = [PayloadTooLarge('hello:1: the payload is ...')]
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.error_code, execution.attempts) == (
        'dead', 'payload_too_large', 1)
    assert execution.error.endswith('hello:1: the payload is ...')


def test_unknown_status_from_a_runner_is_an_error(harness):
    harness.subscribe('on-create', max_attempts=1)
    harness.runner.script = [Outcome('pending')]
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.outcome, execution.error) == (
        'dead', 'error', "the runner returned the unknown status 'pending'")


def test_dispatcher_errors_are_logged_and_decided(harness, caplog):
    harness.subscribe('on-create', max_attempts=2)
    harness.runner.script = [ValueError('bug'), ValueError('bug')]
    harness.start()
    (execution_id,) = harness.record(1)
    execution = harness.finished(execution_id)

    assert (execution.status, execution.error_code, execution.attempts,
            execution.error) == (
        'dead', 'dispatcher_error', 2, "dispatcher error: ValueError('bug')")
    logged = [r for r in caplog.records if r.exc_info
              and r.levelno == logging.ERROR]
    assert len(logged) == 2
    assert all(f'Execution {execution_id} (subscription on-create, '
               'message msg-0001)' in r.getMessage() for r in logged)
    # No thread died: the next execution runs.
    assert harness.finished(harness.record(2)[0]).status == 'succeeded'


def test_failed_journal_write_is_kept_and_retried(harness, caplog):
    real_finish = harness.journal.finish
    failures = []

    def flaky_finish(*args, **kwargs):
        if not failures:
            failures.append(args)
            raise OSError('database is away')
        return real_finish(*args, **kwargs)

    harness.journal.finish = flaky_finish
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.attempts) == ('succeeded', 1)
    assert len(failures) == 1
    assert 'recording its outcome failed' in caplog.text


def test_concurrency_limits(harness, conf):
    conf.set_override('workers', 4, group='dispatcher')
    harness.subscribe('narrow', concurrency=2)
    harness.subscribe('wide', concurrency=10)
    harness.runner.gate = threading.Event()
    ids = harness.record(*range(6), subscription='narrow')
    ids += harness.record(*range(6), subscription='wide')
    harness.start()

    active = harness.runner.active
    _wait_for(lambda: active['*'] == 4, 'four runs')
    time.sleep(0.2)  # room for a wrong fifth claim to show
    assert (active['narrow'], active['wide'], active['*']) == (2, 2, 4)
    assert harness.journal.counts()['running'] == 4
    harness.runner.gate.set()
    for execution_id in ids:
        assert harness.finished(execution_id).status == 'succeeded'
    peak = harness.runner.peak
    assert (peak['narrow'], peak['*']) == (2, 4)


def test_stop_waits_for_running_executions(harness):
    harness.runner.gate = threading.Event()
    harness.start()
    (execution_id,) = harness.record(1)
    _wait_for(lambda: harness.runner.active['*'] == 1, 'the run')
    stopped = []
    stopper = threading.Thread(
        target=lambda: stopped.append(harness.dispatcher.stop(WAIT)))
    stopper.start()
    time.sleep(0.2)
    assert stopper.is_alive()
    (later,) = harness.record(2)  # recorded while stopping: not claimed
    harness.runner.gate.set()
    stopper.join(WAIT)
    assert stopped == [True]
    assert harness.journal.get_execution(execution_id).status == 'succeeded'
    time.sleep(0.1)
    assert harness.journal.get_execution(later).status == 'pending'
    assert len(harness.runner.calls) == 1


def test_stop_gives_up_at_its_timeout(harness):
    harness.runner.gate = threading.Event()
    harness.start()
    (execution_id,) = harness.record(1)
    _wait_for(lambda: harness.runner.active['*'] == 1, 'the run')
    assert harness.dispatcher.stop(0.1) is False
    assert harness.journal.get_execution(execution_id).status == 'running'
    harness.runner.gate.set()
    assert harness.finished(execution_id).status == 'succeeded'


def _dead_bridge(harness):
    """The journal of a bridge that was this process's predecessor (same
    pid, another id), as a crash leaves it."""
    dead = Journal(str(harness.journal._engine.url))
    dead.start()
    return dead


def test_start_recovers_a_crashed_run(harness):
    (execution_id,) = harness.record(1)
    dead = _dead_bridge(harness)
    dead.claim(1)  # ... and the bridge died running it
    harness.runner.stopped = []
    harness.start()
    execution = harness.finished(execution_id)
    assert (execution.status, execution.attempts) == ('succeeded', 2)
    # Its runs were stopped before its execution was handed out again.
    assert harness.runner.stopped == [dead.owner()]
    first, second = harness.journal.attempts([execution_id])[execution_id]
    assert (first.bridge, first.outcome) == (dead.owner(), 'interrupted')
    assert (second.bridge, second.outcome) == (harness.journal.owner(),
                                               'succeeded')


def test_an_expired_lease_is_taken_back_by_a_live_bridge(harness, conf):
    conf.set_override('sweep_interval', 0.5, group='dispatcher')
    (execution_id,) = harness.record(1)
    other = _dead_bridge(harness)
    # Another host's bridge, which may be alive.
    other._owner, other._owner_pid = 'elsewhere:1:abcd', os.getpid()
    other.claim(1, lease=1.0)
    harness.runner.stopped = []
    harness.start()
    time.sleep(0.3)  # its lease holds: nothing taken
    assert harness.journal.get_execution(execution_id).status == 'running'
    assert harness.runner.stopped == []
    execution = harness.finished(execution_id)  # ...until it expires
    assert (execution.status, execution.attempts) == ('succeeded', 2)
    assert harness.runner.stopped == ['elsewhere:1:abcd']


def test_a_bridge_keeps_its_lease(harness, conf):
    conf.set_override('sweep_interval', 0.5, group='dispatcher')
    conf.set_override('lease_time', 5.0, group='dispatcher')
    harness.runner.gate = threading.Event()
    harness.start()
    (execution_id,) = harness.record(1)
    _wait_for(lambda: harness.runner.active['*'] == 1, 'the run')
    first = harness.journal.get_execution(execution_id).lease_until
    _wait_for(lambda: harness.journal.get_execution(execution_id)
              .lease_until > first, 'a renewal')
    harness.runner.gate.set()
    assert harness.finished(execution_id).lease_until is None


def test_no_recovery_while_the_runs_cannot_be_stopped(harness):
    (execution_id,) = harness.record(1)
    _dead_bridge(harness).claim(1)
    harness.runner.stop_error = RunnerError('engine away')
    harness.start()
    time.sleep(0.3)
    assert harness.journal.get_execution(execution_id).status == 'running'
    assert harness.runner.calls == []


def test_a_run_that_keeps_killing_the_bridge_is_given_up(harness):
    harness.subscribe('on-create', max_attempts=2)
    (execution_id,) = harness.record(1)
    dead = _dead_bridge(harness)
    dead.claim(1)
    dead.retry(execution_id, datetime.datetime.now(UTC), 'x')
    dead.claim(1)  # attempt 2 of 2 was running at the crash
    harness.start()
    execution = harness.finished(execution_id)
    assert (execution.status, execution.error_code, execution.attempts
            ) == ('dead', 'attempts_exhausted', 3)
    assert execution.error.startswith('gave up after 2 attempts, the last '
                                      'one interrupted')
    assert harness.runner.calls == []


def test_wake_starts_work_before_the_poll(harness, conf):
    conf.set_override('poll_interval', 60, group='dispatcher')
    harness.start()
    time.sleep(0.1)  # the loop's first look found nothing
    event = _event(1)
    harness.journal.record([event], [(event, harness.subscriptions[
        'on-create'])], [])
    time.sleep(0.2)
    assert harness.runner.calls == []  # nothing looks before a minute
    harness.dispatcher.wake()
    (execution,) = harness.journal.list_executions()
    assert harness.finished(execution.id).status == 'succeeded'


def test_start_twice_is_refused(harness):
    harness.start()
    with pytest.raises(RuntimeError, match='already started'):
        harness.dispatcher.start()


def test_stop_before_start(harness):
    assert Dispatcher(harness.conf, harness.journal, harness.store,
                      harness.runner, dict).stop() is True


class _BrokenStore(FakeStore):
    def get(self, name, version=None):
        raise InvalidStoredFunction(f'{name}:1', 'memory', 'must be >= 16')


def test_an_invalid_stored_function_is_not_retried(harness):
    harness.store = _BrokenStore()
    harness.subscribe('on-create', max_attempts=5)
    harness.start()
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.error_code, execution.attempts
            ) == ('dead', 'invalid_function', 1)
    assert 'stored memory is invalid' in execution.error
    assert harness.runner.calls == []


class _SweepingRunner(FakeRunner):
    def __init__(self, *results):
        super().__init__()
        self.sweeps = list(results)

    def sweep(self):
        result = self.sweeps.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def test_start_sweeps_what_stopped_runs_left(harness, caplog):
    harness.runner = _SweepingRunner(2)
    harness.start()
    assert harness.runner.sweeps == []
    assert 'Removed 2 containers left by stopped runs' in caplog.text


def test_a_failing_sweep_does_not_stop_the_dispatcher(harness):
    harness.runner = _SweepingRunner(RunnerError('engine away'))
    harness.start()
    assert harness.finished(harness.record(1)[0]).status == 'succeeded'


class RefusingBroker:
    """A broker whose credential gives no token: ``error`` is raised."""

    def __init__(self, error):
        self.error = error

    def token_for(self, name, timeout):
        raise self.error


def test_a_credential_refused_is_an_error_not_retried(harness):
    harness.subscriptions['on-create'] = Subscription(
        name='on-create', function='hello', credential='autoscaler')
    harness.start(Handoff(RefusingBroker(CredentialError('wrong secret'))))
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.outcome, execution.error_code,
            execution.attempts) == ('dead', 'error', 'credential_refused', 1)
    assert 'wrong secret' in execution.error
    assert harness.runner.calls == []


def test_keystone_away_is_retried(harness):
    harness.subscriptions['on-create'] = Subscription(
        name='on-create', function='hello', credential='autoscaler',
        delivery=Delivery(max_attempts=2))
    harness.start(Handoff(RefusingBroker(
        CredentialUnavailable('keystone cannot be reached'))))
    execution = harness.finished(harness.record(1)[0])
    assert (execution.status, execution.outcome, execution.error_code,
            execution.attempts) == ('dead', 'error',
                                    'credential_unavailable', 2)
    assert 'keystone cannot be reached' in execution.error
    assert harness.runner.calls == []
