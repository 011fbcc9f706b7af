"""The host downloads the wheels a function image installs offline.

The container never reaches a package index: the host runs ``pip
download --only-binary=:all:`` for the runtime image's Python and
platform, and the image build installs those wheels with ``pip install
--no-index``. Source distributions are never built: a requirement with no
suitable wheel fails the build, and says so. pip runs with an environment
built from nothing and reads no configuration file (see
:mod:`pratai_bridge.runners._pip`): only ``[builder]`` options steer it.
"""

import pathlib
import re
import subprocess

from oslo_config import cfg

from pratai_bridge.runners import _pip
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import RunnerError

__all__ = ['download_wheels', 'pip_download_command', 'wheel_platforms']

_MANYLINUX = re.compile(r'^manylinux_(\d+)_(\d+)_(\w+)$')
# The legacy manylinux names and the glibc version each one means.
_LEGACY = (('manylinux2014', 17), ('manylinux2010', 12), ('manylinux1', 5))


def wheel_platforms(newest: str) -> list[str]:
    """``newest`` and every older manylinux tag for the same machine.

    ``pip download --platform`` takes tags literally (it does not expand
    ``manylinux_2_36_x86_64`` to the older tags that glibc also runs), so
    the list is spelled out: a wheel tagged only ``manylinux2014`` is
    found for a ``manylinux_2_36`` image.
    """
    match = _MANYLINUX.match(newest)
    if match is None:
        return [newest]
    major, minor, arch = int(match[1]), int(match[2]), match[3]
    tags = [f'manylinux_{major}_{m}_{arch}' for m in range(minor, 4, -1)]
    if major == 2:
        tags += [f'{legacy}_{arch}' for legacy, since in _LEGACY
                 if since <= minor]
    return tags


def pip_download_command(conf: cfg.ConfigOpts, requirements: pathlib.Path,
                         destination: pathlib.Path) -> list[str]:
    """The host's ``pip download`` of the wheels ``requirements`` need."""
    options = conf.builder
    command = _pip.pip_command(
        conf, 'download', '--only-binary=:all:',
        '--python-version', options.python_version, '--implementation', 'cp')
    for tag in wheel_platforms(options.wheel_platform):
        command += ['--platform', tag]
    return command + ['--dest', str(destination), '-r', str(requirements)]


def download_wheels(conf: cfg.ConfigOpts, requirements: pathlib.Path,
                    destination: pathlib.Path, timeout: float) -> None:
    """Run the host's pip for up to ``timeout`` seconds: BuildFailed with
    the end of its output when it fails or takes longer, RunnerError when
    it cannot run."""
    command = pip_download_command(conf, requirements, destination)
    try:
        returncode, output = _pip.run_pip(command, max(1.0, timeout))
    except subprocess.TimeoutExpired as exc:
        raise BuildFailed(
            'downloading the requirements\' wheels took longer than the '
            f'build may ([builder] build_timeout '
            f'{conf.builder.build_timeout} s)') from exc
    except OSError as exc:
        raise RunnerError(f'pip download failed: {exc}') from exc
    if returncode != 0:
        raise BuildFailed(
            'downloading the requirements\' wheels failed (only wheels for '
            f'Python {conf.builder.python_version} on '
            f'{conf.builder.wheel_platform} or pure Python are used):\n'
            + output[-2048:])
