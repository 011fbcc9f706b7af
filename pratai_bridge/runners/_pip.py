"""Run the host's pip for a build with an environment built from nothing.

A function's requirements are the tenant's text (checked, see
pratai_bridge/functions/requirements.py) and pip's output reaches the
tenant (a failed build's error quotes it). So pip gets none of the
bridge's environment (its credentials, ``OS_*``, ``PIP_*``, proxies) and
none of its configuration: only a fixed ``PATH``, ``HOME`` in a scratch
directory made for this run and removed after it (so no user pip
configuration, keyring or cache of the bridge's user), ``PIP_CONFIG_FILE``
set to the null device (so no site or user configuration file is read)
and the options the command line carries, ``[builder] pip_index_url``
among them. pip then behaves the same on every host, whatever the
bridge's own environment holds.
"""

import os
import subprocess
import sys
import tempfile

from oslo_config import cfg

__all__ = ['PATH', 'pip_command', 'pip_environment', 'run_pip']

#: the only search path pip and what it runs get
PATH = '/usr/local/bin:/usr/bin:/bin'


def pip_environment(home: str) -> dict[str, str]:
    """All the environment pip gets, with ``home`` its scratch HOME."""
    return {'PATH': PATH, 'HOME': home, 'PIP_CONFIG_FILE': os.devnull,
            'LANG': 'C.UTF-8'}


def pip_command(conf: cfg.ConfigOpts, *arguments: str) -> list[str]:
    """``python -m pip ARGUMENTS`` with the index ``[builder]`` names."""
    command = [sys.executable, '-m', 'pip', *arguments,
               '--disable-pip-version-check', '--no-input']
    if conf.builder.pip_index_url:
        command += ['--index-url', conf.builder.pip_index_url]
    return command


def run_pip(command: list[str], timeout: float) -> tuple[int, str]:
    """Run ``command`` (from :func:`pip_command`): its exit status and
    its output (stdout and stderr together, decoded).

    Raises OSError when it cannot run, subprocess.TimeoutExpired past
    ``timeout`` seconds (the process is killed).
    """
    with tempfile.TemporaryDirectory(prefix='pratai-pip-home-') as home:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=timeout, check=False,
            cwd=home, env=pip_environment(home))
    return done.returncode, done.stdout.decode('utf-8', errors='replace')
