"""The base image of the runtime: made from Debian's packages, or pulled.

No registry is needed for a name under ``pratai/``: :func:`make_debian`
makes it as runtimes/python/build-base.sh does (``mmdebstrap
--variant=essential``, then an import into the engine). Any other name
(``python:3.11-slim``) is pulled from its registry (:func:`pull`).
"""

import collections
import os
import pathlib
import shutil
import subprocess
import tempfile
from typing import Any

from docker.utils import parse_repository_tag

from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import Progress
from pratai_bridge.runners.base import RunnerError
from pratai_bridge.runners.docker._engine import docker_errors_as_runner_errors

__all__ = ['how_to_get', 'make_debian', 'pull']

# What runtimes/python/build-base.sh gives mmdebstrap and docker import.
_MMDEBSTRAP = [
    'mmdebstrap', '--variant=essential', '--include=python3,python3-pip',
    '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-exclude=/usr/share/info/*',
]
_IMPORT_CHANGES = [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV LANG=C.UTF-8',
    'CMD ["python3"]',
]
# Lines of output a failure quotes.
_LOG_LINES = 40


def make_debian(api: Any, name: str, mirror: str | None,
                progress: Progress) -> None:
    """Make the base image ``name`` (``pratai/...:SUITE``) from Debian's
    packages, as runtimes/python/build-base.sh does; RunnerError, or
    BuildFailed when mmdebstrap is not installed."""
    repository, suite = parse_repository_tag(name)
    suite = suite or 'bookworm'
    if shutil.which('mmdebstrap') is None:
        raise BuildFailed(f'the base image {name} is missing and '
                          'mmdebstrap is not installed to make it')
    with tempfile.TemporaryDirectory(prefix='pratai-base-') as tmp:
        rootfs = pathlib.Path(tmp, 'rootfs.tar')
        command = _MMDEBSTRAP + [suite, str(rootfs)]
        if mirror:
            command.append(mirror)
        progress(f'making {name}: Debian {suite} with Python, by '
                 'mmdebstrap (about half a minute)')
        _run_with_progress(command, progress)
        progress(f'importing {rootfs.stat().st_size // 1048576} MiB '
                 f'as {name}')
        with docker_errors_as_runner_errors(f'cannot import {name}'):
            api.import_image_from_file(
                str(rootfs), repository=repository, tag=suite,
                changes=_IMPORT_CHANGES)
    progress(f'made {name}')


def pull(api: Any, name: str, progress: Progress) -> None:
    """Pull the base image ``name`` from its registry; RunnerError."""
    repository, tag = parse_repository_tag(name)
    progress(f'pulling {name}')
    with docker_errors_as_runner_errors(f'cannot pull {name}'):
        for chunk in api.pull(repository, tag=tag or 'latest',
                              stream=True, decode=True):
            if 'error' in chunk:
                raise RunnerError(f'cannot pull {name}: '
                                  f'{chunk["error"]}')
            if chunk.get('status') and not chunk.get('progressDetail'):
                progress(f'{chunk.get("id", name)}: {chunk["status"]}')


def _run_with_progress(command: list[str], progress: Progress) -> None:
    """Run ``command``, each output line to ``progress``; raise if failed."""
    lines: collections.deque[str] = collections.deque(maxlen=_LOG_LINES)
    try:
        with subprocess.Popen(command, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=dict(os.environ),
                              text=True, errors='replace') as process:
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip()
                if line:
                    lines.append(line)
                    progress(line)
    except OSError as exc:
        raise RunnerError(f'cannot run {command[0]}: {exc}') from exc
    if process.returncode != 0:
        raise RunnerError(f'{command[0]} failed (exit {process.returncode}):'
                          '\n' + '\n'.join(lines))


def how_to_get(name: str) -> str:
    """What an operator does to get the base image ``name``."""
    return (f'To get the base image {name}: install mmdebstrap (apt-get '
            'install mmdebstrap) and run "pratai-bridge-manage runtime '
            'build" as root, where Debian\'s mirror (or [builder] '
            'debian_mirror) is reachable; or, where a registry is, set '
            '[builder] base_image to an image it has (python:3.11-slim) or '
            'run "pratai-bridge-manage runtime build --base-image IMAGE".')
