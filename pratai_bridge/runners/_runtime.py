"""Where the pratai Python runtime's files are, for every runner."""

import hashlib
import pathlib
import sys
import sysconfig

from oslo_config import cfg

from pratai_bridge.runners.base import RunnerError

__all__ = ['RUNTIME_FILES', 'runtime_digest', 'runtime_directory']

#: the files of the runtime, what an image built from it depends on
RUNTIME_FILES = ('Dockerfile', 'pratai_runtime.py', 'pratai_openstack.py')
# Where setup.cfg's data_files install runtimes/python, under a prefix.
_INSTALLED = ('share', 'pratai-bridge', 'runtimes', 'python')


def runtime_directory(conf: cfg.ConfigOpts) -> pathlib.Path:
    """Where the runtime's Dockerfile and pratai_runtime.py are.

    ``[builder] runtime_directory`` if set; else the data files of an
    installed package, else the source checkout's. RunnerError if none.
    """
    configured = conf.builder.runtime_directory
    if configured:
        candidates = [pathlib.Path(configured)]
    else:
        # Where pip put the data files: sys.prefix in a virtualenv, the
        # scheme's data path otherwise (/usr/local on Debian).
        prefixes = dict.fromkeys([sys.prefix, sysconfig.get_path('data')])
        installed = [pathlib.Path(prefix, *_INSTALLED) for prefix in prefixes]
        checkout = pathlib.Path(__file__).resolve().parents[2]
        candidates = installed + [checkout / 'runtimes' / 'python']
    for candidate in candidates:
        if (candidate / 'pratai_runtime.py').is_file():
            return candidate
    raise RunnerError('no pratai runtime in ' + ' or '.join(
        str(c) for c in candidates) + ': set [builder] runtime_directory')


def runtime_digest(directory: pathlib.Path) -> str:
    """The sha256 of the runtime files in ``directory``: what changes
    when the runtime does. RunnerError when one cannot be read."""
    digest = hashlib.sha256()
    for name in RUNTIME_FILES:
        try:
            data = (directory / name).read_bytes()
        except OSError as exc:
            raise RunnerError(f'cannot read the runtime: {exc}') from exc
        digest.update(f'{name}\0{len(data)}\0'.encode() + data)
    return digest.hexdigest()
