"""The host's pip download of a function's wheels."""

import os
import tempfile

import pytest

from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import RunnerError
from pratai_bridge.runners.docker import _wheels as wheels_mod
from tests.unit.runners.helpers import local_index
from tests.unit.runners.helpers import make_conf


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)


def test_wheel_platforms_spell_out_older_manylinux_tags():
    tags = wheels_mod.wheel_platforms('manylinux_2_36_x86_64')
    assert tags[0] == 'manylinux_2_36_x86_64'
    assert 'manylinux_2_17_x86_64' in tags and 'manylinux_2_5_x86_64' in tags
    assert tags[-3:] == ['manylinux2014_x86_64', 'manylinux2010_x86_64',
                         'manylinux1_x86_64']
    assert not any(t.startswith('manylinux_2_37') for t in tags)
    assert wheels_mod.wheel_platforms('manylinux_2_12_aarch64')[-2:] == [
        'manylinux2010_aarch64', 'manylinux1_aarch64']
    assert wheels_mod.wheel_platforms('linux_x86_64') == ['linux_x86_64']


def test_pip_downloads_wheels_for_the_image_python(tmp_path):
    conf = make_conf(tmp_path, '[builder]\npython_version = 3.12\n'
                               'pip_index_url = https://pypi.example/simple\n'
                               'wheel_platform = manylinux_2_28_aarch64\n')
    command = wheels_mod.pip_download_command(
        conf, tmp_path / 'requirements.txt', tmp_path / 'wheels')
    assert command[1:4] == ['-m', 'pip', 'download']
    assert '--only-binary=:all:' in command
    joined = ' '.join(command)
    assert '--python-version 3.12 --implementation cp' in joined
    assert '--platform manylinux_2_28_aarch64 ' in joined
    assert '--platform manylinux2014_aarch64 ' in joined
    assert '--index-url https://pypi.example/simple' in joined
    assert command[-4:] == ['--dest', str(tmp_path / 'wheels'), '-r',
                            str(tmp_path / 'requirements.txt')]
    default = make_conf(tmp_path)
    assert '--index-url' not in wheels_mod.pip_download_command(
        default, tmp_path / 'r', tmp_path / 'w')


def test_a_failing_download_quotes_pip(conf, tmp_path, monkeypatch):
    # Hermetic: this machine's pip configuration is left out.
    monkeypatch.setenv('PIP_CONFIG_FILE', os.devnull)
    for name in ('PIP_FIND_LINKS', 'PIP_EXTRA_INDEX_URL', 'PIP_INDEX_URL'):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / 'requirements.txt').write_text('pratai-no-such-thing\n')
    conf.set_override('pip_index_url', (tmp_path / 'empty').as_uri(),
                      group='builder')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(RunnerError) as info:
        wheels_mod.download_wheels(conf, tmp_path / 'requirements.txt',
                                    tmp_path / 'wheels', 60)
    assert 'only wheels for Python 3.11 on manylinux_2_36_x86_64' in str(
        info.value)
    assert 'pratai-no-such-thing' in str(info.value)


def test_a_download_past_the_build_s_time_is_a_failed_build(conf, tmp_path,
                                                            monkeypatch):
    def slow(command, timeout, **kwargs):
        assert timeout == 1.0  # never less: pip gets at least a second
        raise wheels_mod.subprocess.TimeoutExpired(command, timeout)

    monkeypatch.setattr(wheels_mod.subprocess, 'run', slow)
    (tmp_path / 'requirements.txt').write_text('six\n')
    with pytest.raises(BuildFailed, match='took longer than the build may'):
        wheels_mod.download_wheels(conf, tmp_path / 'requirements.txt',
                                   tmp_path / 'wheels', -5)


SECRET = 'pratai-secret-7f3a9c'


@pytest.fixture
def bridge_environment(monkeypatch, tmp_path):
    """The bridge's environment holds a secret and pip settings that
    would change what pip does, were it to see them."""
    monkeypatch.setenv('PRATAI_TEST_SECRET', SECRET)
    monkeypatch.setenv('OS_PASSWORD', SECRET)
    monkeypatch.setenv('PIP_INDEX_URL', f'file:///nonexistent/{SECRET}')
    monkeypatch.setenv('PIP_EXTRA_INDEX_URL', f'file:///{SECRET}/x')
    monkeypatch.setenv('PIP_NO_INDEX', '1')
    config = tmp_path / 'pip.conf'
    config.write_text(f'[global]\nindex-url = file:///{SECRET}/simple\n')
    monkeypatch.setenv('PIP_CONFIG_FILE', str(config))


def test_pip_gets_an_environment_built_from_nothing(monkeypatch, tmp_path):
    seen = {}

    def run(command, **kwargs):
        seen.update(kwargs)
        return wheels_mod.subprocess.CompletedProcess(command, 0, b'')

    monkeypatch.setenv('PRATAI_TEST_SECRET', SECRET)
    monkeypatch.setattr(wheels_mod.subprocess, 'run', run)
    (tmp_path / 'requirements.txt').write_text('six\n')
    wheels_mod.download_wheels(make_conf(tmp_path), tmp_path /
                               'requirements.txt', tmp_path / 'wheels', 5)
    environment = seen['env']
    assert sorted(environment) == ['HOME', 'LANG', 'PATH',
                                   'PIP_CONFIG_FILE']
    assert environment['PIP_CONFIG_FILE'] == os.devnull
    assert environment['HOME'] == seen['cwd']
    assert environment['HOME'].startswith(tempfile.gettempdir())
    assert not os.path.exists(environment['HOME'])  # removed after


def test_pip_ignores_the_bridge_s_environment_and_config(
        bridge_environment, tmp_path):
    conf = make_conf(tmp_path, '[builder]\npip_index_url = '
                     f'{local_index(tmp_path / "index")}\n')
    (tmp_path / 'requirements.txt').write_text('pratai-tiny\n')
    wheels_mod.download_wheels(conf, tmp_path / 'requirements.txt',
                               tmp_path / 'wheels', 60)
    assert [p.name for p in (tmp_path / 'wheels').iterdir()] == [
        'pratai_tiny-1.0-py3-none-any.whl']
    # A failed download quotes pip: nothing of the environment in it.
    (tmp_path / 'requirements.txt').write_text('pratai-tiny==9\n')
    with pytest.raises(BuildFailed) as info:
        wheels_mod.download_wheels(conf, tmp_path / 'requirements.txt',
                                   tmp_path / 'wheels', 60)
    assert 'pratai-tiny==9' in str(info.value)
    assert SECRET not in str(info.value)
