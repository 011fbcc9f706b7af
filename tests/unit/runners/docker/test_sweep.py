"""Sweeping what dead bridges left, against a fake engine listing."""

import time

import pytest
import requests
from docker import errors as docker_errors

from pratai_bridge.runners import base
from pratai_bridge.runners.docker import DockerRunner


@pytest.fixture
def runner(conf):
    return DockerRunner(conf)


NOW = 1_700_000_000.0


def _iso(moment):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(moment)) + \
        '.123456789Z'


class FakeListing:
    """An engine's containers, as a sweep sees and removes them.

    Each is (id, state, labels, finished): ``finished`` is when it ended,
    as the engine reports it (a string), or None.
    """

    def __init__(self, *containers, created=NOW - 10):
        self.containers_ = {c[0]: c for c in containers}
        self.created = created
        self.removed = []
        self.listed_with = None

    def containers(self, all=False, filters=None):
        self.listed_with = (all, filters)
        return [{'Id': cid, 'State': state, 'Labels': labels,
                 'Created': self.created}
                for cid, state, labels, _ in self.containers_.values()]

    def inspect_container(self, container):
        _, state, _, finished = self.containers_[container]
        return {'State': {'Status': state, 'FinishedAt': finished}}

    def remove_container(self, container, force=False):
        assert force
        self.removed.append(container)


def _labels(deadline=None):
    labels = {'pratai.function': 'fn', 'pratai.version': '1'}
    if deadline is not None:
        labels['pratai.deadline'] = str(deadline)
    return labels


def _sweep(runner, listing, now=NOW):
    runner.builder._client = type('Client', (), {'api': listing})()
    return runner.sweep(now=now)


def test_sweep_spares_runs_in_progress(runner):
    future = int(NOW) + 100
    listing = FakeListing(
        ('running', 'running', _labels(future), None),
        ('starting', 'created', _labels(future), None),
        # Exited a moment ago: its runner is still reading it.
        ('just-ended', 'exited', _labels(future), _iso(NOW - 5)),
        # No end time: judged by its creation, 10 s ago.
        ('unknown-end', 'exited', _labels(future), 'yesterday'),
        ('being-removed', 'removing', _labels(int(NOW) - 100), None))
    assert _sweep(runner, listing) == 0
    assert listing.removed == []
    assert listing.listed_with == (True, {'label': 'pratai.function'})


def test_sweep_removes_what_is_left_behind(runner):
    past, future = int(NOW) - 1, int(NOW) + 100
    listing = FakeListing(
        ('overdue', 'running', _labels(past), None),
        ('never-started', 'created', _labels(past), None),
        ('ended-long-ago', 'exited', _labels(future), _iso(NOW - 61)),
        ('dead', 'dead', _labels(future), _iso(NOW - 3600)),
        ('kept', 'running', _labels(future), None))
    assert _sweep(runner, listing) == 4
    assert listing.removed == ['overdue', 'never-started', 'ended-long-ago',
                               'dead']


def test_sweep_and_time_passing(runner):
    listing = FakeListing(
        ('ended', 'exited', _labels(int(NOW) + 1000), _iso(NOW)),
        ('running', 'running', _labels(int(NOW) + 1000), None))
    assert _sweep(runner, listing, now=NOW + 59) == 0
    assert _sweep(runner, listing, now=NOW + 61) == 1
    assert _sweep(runner, listing, now=NOW + 1000) == 2
    assert listing.removed == ['ended', 'ended', 'running']


def test_sweep_without_deadline_label_waits_the_longest_timeout(runner):
    listing = FakeListing(
        ('old', 'running', _labels(), None),
        ('garbled', 'running', dict(_labels(), **{'pratai.deadline': 'x'}),
         None), created=NOW)
    assert _sweep(runner, listing, now=NOW + 3600) == 0
    assert _sweep(runner, listing, now=NOW + 3600 + 121) == 2


def test_sweep_races_with_other_bridges(runner):
    listing = FakeListing(
        ('gone', 'exited', _labels(int(NOW) - 1), _iso(NOW - 100)),
        ('busy', 'running', _labels(int(NOW) - 1), None),
        ('vanished', 'exited', _labels(int(NOW) + 100), _iso(NOW - 100)))

    def remove(container, force=False):
        if container == 'gone':
            raise docker_errors.NotFound('no such container')
        raise docker_errors.APIError('removal in progress', response=type(
            'Response', (), {'status_code': 409, 'reason': 'Conflict'})())

    def inspect(container):
        raise docker_errors.NotFound('no such container')

    listing.remove_container = remove
    listing.inspect_container = inspect
    assert _sweep(runner, listing) == 0


def test_sweep_engine_errors_are_runner_errors(runner):
    listing = FakeListing()

    def broken(**kwargs):
        raise requests.exceptions.ConnectionError('engine away')

    listing.containers = broken
    with pytest.raises(base.RunnerError, match='cannot sweep.*engine away'):
        _sweep(runner, listing)


def test_other_runners_sweep_nothing(conf):
    from pratai_bridge.runners.local import LocalRunner

    assert LocalRunner(conf).sweep() == 0


class FilteringListing(FakeListing):
    """A listing that applies the engine's ``label=KEY=VALUE`` filter."""

    def containers(self, all=False, filters=None):
        key, _, value = filters['label'].partition('=')
        return [c for c in super().containers(all, filters)
                if c['Labels'].get(key) == value]


def test_stop_orphans_removes_only_the_dead_bridges_containers(runner):
    mine = dict(_labels(int(NOW) + 100), **{'pratai.bridge': 'dead:1'})
    other = dict(_labels(int(NOW) + 100), **{'pratai.bridge': 'live:2'})
    listing = FilteringListing(('a', 'running', mine, None),
                               ('b', 'created', mine, None),
                               ('c', 'running', other, None),
                               ('d', 'running', _labels(int(NOW) + 100),
                                None))
    runner.builder._client = type('Client', (), {'api': listing})()
    assert runner.stop_orphans('dead:1') == 2
    assert listing.removed == ['a', 'b']
    assert listing.listed_with == (True, {'label': 'pratai.bridge=dead:1'})
    assert runner.stop_orphans('') == 0
