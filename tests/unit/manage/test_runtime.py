"""``runtime build``, run as cliff runs it, on a stand-in builder."""

import io
import types

import pytest

from pratai_bridge.manage import _common
from pratai_bridge.manage import runtime
from pratai_bridge.runners.base import RunnerError
from tests.unit.runners.helpers import make_conf


class FakeBuilder:
    made = []

    def __init__(self, conf):
        self.conf = conf
        self.closed = False
        FakeBuilder.made.append(self)

    def ensure_runtime_image(self, progress, base_image, rebuild):
        self.asked = (base_image, rebuild)
        if base_image == 'broken':
            raise RunnerError('cannot pull broken: no registry')
        progress('step one')
        progress('step two')
        return self.conf.builder.runtime_image

    def close(self):
        self.closed = True


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime.builder_mod, 'Builder', FakeBuilder)
    FakeBuilder.made.clear()
    return types.SimpleNamespace(conf=make_conf(tmp_path),
                                 stdout=io.StringIO(), stderr=io.StringIO(),
                                 options=None)


def _run(app, *argv):
    command = runtime.Build(app, None)
    parsed = command.get_parser('pratai-bridge-manage').parse_args(
        list(argv))
    return command.run(parsed)


def test_builds_with_the_configured_base(app):
    assert _run(app) == 0
    [builder] = FakeBuilder.made
    assert builder.asked == ('pratai/python-base:bookworm', False)
    assert builder.closed
    assert app.stderr.getvalue() == 'step one\nstep two\n'
    assert app.stdout.getvalue() == (
        'base image: pratai/python-base:bookworm\n'
        'runtime image: pratai/python-runtime:latest\n')


def test_another_base_rebuilds(app):
    assert _run(app, '--base-image', 'python:3.11-slim') == 0
    assert FakeBuilder.made[0].asked == ('python:3.11-slim', True)
    assert 'base image: python:3.11-slim\n' in app.stdout.getvalue()
    _run(app, '--rebuild')
    assert FakeBuilder.made[1].asked == ('pratai/python-base:bookworm', True)


def test_a_failure_is_one_command_error(app):
    with pytest.raises(_common.CommandError,
                       match='cannot pull broken: no registry'):
        _run(app, '--base-image', 'broken')
    assert FakeBuilder.made[0].closed
