"""Where the runtime's files are found."""

import pathlib

import pytest

from pratai_bridge.runners import _runtime as runtime_mod
from pratai_bridge.runners.base import RunnerError
from tests.unit.runners.helpers import make_conf

REPO_RUNTIME = pathlib.Path(__file__).resolve().parents[3] / 'runtimes' / \
    'python'


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)


def test_runtime_directory_of_an_installed_package(conf, tmp_path,
                                                    monkeypatch):
    installed = tmp_path / 'share' / 'pratai-bridge' / 'runtimes' / 'python'
    installed.mkdir(parents=True)
    (installed / 'pratai_runtime.py').write_text('')
    monkeypatch.setattr(runtime_mod.sys, 'prefix', str(tmp_path))
    assert runtime_mod.runtime_directory(conf) == installed


def test_runtime_directory(conf, tmp_path):
    assert runtime_mod.runtime_directory(conf) == REPO_RUNTIME
    conf.set_override('runtime_directory', str(tmp_path), group='builder')
    with pytest.raises(RunnerError, match='set \\[builder\\] runtime_dir'):
        runtime_mod.runtime_directory(conf)
    (tmp_path / 'pratai_runtime.py').write_text('')
    assert runtime_mod.runtime_directory(conf) == tmp_path
