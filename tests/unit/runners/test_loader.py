import pytest

from pratai_bridge.runners import _loader
from pratai_bridge.runners import base
from pratai_bridge.runners.docker import DockerRunner
from pratai_bridge.runners.local import LocalRunner
from tests.unit.runners.helpers import make_conf


def test_docker_is_the_default_and_connects_to_nothing(tmp_path):
    # An engine that is not there: building the runner must not notice.
    conf = make_conf(tmp_path, '[builder]\n'
                               'docker_url = unix:///nonexistent.sock\n')
    runner = _loader.load_runner(conf)
    assert isinstance(runner, DockerRunner) and runner.conf is conf
    with pytest.raises(base.RunnerError,
                       match='cannot reach the Docker engine'):
        runner.builder.image_exists('pratai/python-runtime:latest')


def test_local(tmp_path):
    conf = make_conf(tmp_path, '[runner]\ndriver = local\n')
    runner = _loader.load_runner(conf)
    assert isinstance(runner, LocalRunner)
    assert runner.root == tmp_path / 'local-runner'


def test_unknown_driver_lists_the_known_ones(tmp_path):
    conf = make_conf(tmp_path, '[runner]\ndriver = lxc\n')
    with pytest.raises(_loader.UnknownRunner) as info:
        _loader.load_runner(conf)
    assert str(info.value) == ("unknown [runner] driver 'lxc'; known "
                               'drivers: docker, local')
    assert isinstance(info.value, base.RunnerError)
    assert _loader.known_drivers() == ['docker', 'local']
