"""The ``local`` runner: a subprocess per execution. NOT A SANDBOX.

For development on a machine without Docker. A function runs as the
bridge's own user, with the bridge's access to files and network: run
only code you trust with it. Production uses the ``docker`` runner.

Per zip (by its sha256), under ``[runner] local_directory``::

    <sha256>/function/   the unpacked zip, checked as the builder does
    <sha256>/venv/       a virtualenv (no system site-packages) with the
                         zip's requirements, installed by :meth:`prepare`
                         with the host's pip (``pip --python``)
    <sha256>/.ready      written last: a directory without it is unfinished
                         and is made again

:meth:`LocalRunner.run` starts the virtualenv's Python on the same runtime
the containers run (``pratai_runtime.py``), with the payload on stdin, in
its own process group, from an empty temporary directory that is also its
HOME and TMPDIR, with an environment of its own (never the bridge's) and
these resource limits:

* ``RLIMIT_AS``, the function's memory: address space, not memory used,
  so stricter than the container's limit; an allocation past it raises
  MemoryError, reported as ``out of memory (limit N MiB)``;
* ``RLIMIT_CPU``, a little over the timeout: a backstop, the wall-clock
  timeout kills the whole process group first;
* ``RLIMIT_CORE`` 0. ``RLIMIT_NPROC`` is not set: it counts every process
  and thread of the user, the bridge's included, and root ignores it.

Not enforced at all: ``Limits.network`` (a function always has the
bridge's network), ``pids`` and ``cpus``.
"""

import contextlib
import dataclasses
import fcntl
import functools
import logging
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import venv
from collections.abc import Iterator
from typing import IO
from typing import Any

from oslo_config import cfg

from pratai_bridge import _locks
from pratai_bridge.functions import unpack as unpack_mod
from pratai_bridge.functions.model import Function
from pratai_bridge.runners import _pip
from pratai_bridge.runners import _result
from pratai_bridge.runners import _runtime
from pratai_bridge.runners import base

__all__ = ['LocalRunner']

LOG = logging.getLogger(__name__)

_MIB = 1024 * 1024
# Seconds to wait for the output pipes once the process group is killed.
_GRACE = 5
# Seconds pip may take to install a function's requirements.
_PIP_TIMEOUT = 900


class LocalRunner(base.Runner):
    """Runs functions as local subprocesses; thread safe; no isolation."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        self.root = pathlib.Path(conf.runner.local_directory)
        self._locks = _locks.KeyedLocks()

    def prepare(self, function: Function, package: bytes,
                progress: base.Progress | None = None) -> None:
        directory = self.root / function.sha256
        if (directory / '.ready').exists():
            return
        with _os_errors(f'{function.ref}: cannot prepare it in '
                        f'{directory}'), self._exclusive(function.sha256):
            if (directory / '.ready').exists():
                return
            shutil.rmtree(directory, ignore_errors=True)  # unfinished
            try:
                self._make(function, package, directory)
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
        LOG.info('Prepared function %s in %s', function.ref, directory)

    def ready(self, function: Function) -> bool:
        return (self.root / function.sha256 / '.ready').exists()

    def probe(self) -> None:
        """Its directory (or the nearest parent that exists, where it
        will be made) is writable: prepare() needs it."""
        where = self.root
        while not where.exists() and where != where.parent:
            where = where.parent
        if not (where.is_dir() and os.access(where, os.W_OK | os.X_OK)):
            raise base.RunnerError(f'{where} is not a writable directory: '
                                   '[runner] local_directory cannot be '
                                   'made there')

    def forget(self, function: Function) -> None:
        directory = self.root / function.sha256
        with _os_errors(f'{function.ref}: cannot forget {directory}'), \
                self._exclusive(function.sha256):
            shutil.rmtree(directory, ignore_errors=True)

    def run(self, function: Function, payload: dict[str, Any],
            limits: base.Limits,
            context: base.RunContext = base.NO_CONTEXT) -> base.Outcome:
        data = base.encode_payload(self.conf, function, payload)
        directory = self.root / function.sha256
        if not (directory / '.ready').exists():
            raise base.NotPrepared(f'{function.ref} is not prepared')
        runtime = _runtime.runtime_directory(self.conf)
        command = [str(directory / 'venv' / 'bin' / 'python'), '-I', '-B',
                   str(runtime / 'pratai_runtime.py'),
                   '--handler', function.spec.handler,
                   '--function-dir', str(directory / 'function')]
        with tempfile.TemporaryDirectory(prefix='pratai-run-') as home:
            return _execute(command, home, data, limits,
                            self.conf.dispatcher.log_tail_bytes,
                            self.conf.runner.max_result_kb * 1024)

    @contextlib.contextmanager
    def _exclusive(self, sha256: str) -> Iterator[None]:
        """This thread alone, and this process alone, on ``sha256``."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locks.hold(sha256), \
                open(self.root / f'.{sha256}.lock', 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _make(self, function: Function, package: bytes,
              directory: pathlib.Path) -> None:
        try:
            wanted = unpack_mod.unpack(function, package,
                                       directory / 'function',
                                       self.conf.store.max_files,
                                       self.conf.store.max_uncompressed_mb
                                       ).requirements
        except unpack_mod.UnpackError as exc:
            raise base.BuildFailed(str(exc)) from exc
        environment = directory / 'venv'
        venv.EnvBuilder(with_pip=False, symlinks=True).create(environment)
        if wanted:
            requirements = directory / 'requirements.txt'
            requirements.write_text('\n'.join(wanted) + '\n')
            _pip_install(self.conf, environment / 'bin' / 'python',
                         requirements)
        (directory / '.ready').write_text(function.ref + '\n')


@contextlib.contextmanager
def _os_errors(what: str) -> Iterator[None]:
    """The filesystem's errors (a full disk...) as RunnerError(what: ...)."""
    try:
        yield
    except OSError as exc:
        raise base.RunnerError(f'{what}: {exc}') from exc


def _pip_install(conf: cfg.ConfigOpts, python: pathlib.Path,
                 requirements: pathlib.Path) -> None:
    """pip with an environment built from nothing (see runners/_pip.py)."""
    command = _pip.pip_command(conf, '--python', str(python), 'install',
                               '-r', str(requirements))
    try:
        returncode, output = _pip.run_pip(command, _PIP_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise base.RunnerError(f'pip install failed: {exc}') from exc
    if returncode != 0:
        raise base.BuildFailed(
            'installing the requirements failed:\n' + output[-2048:])


def _environment(command: list[str], home: str) -> dict[str, str]:
    """All the environment a function gets: nothing of the bridge's."""
    return {
        'PATH': f'{pathlib.Path(command[0]).parent}:/usr/local/bin:'
                '/usr/bin:/bin',
        'HOME': home,
        'TMPDIR': home,
        'LANG': 'C.UTF-8',
        # One malloc arena: each thread's arena would reserve 64 MiB of
        # the address space RLIMIT_AS bounds, without using it.
        'MALLOC_ARENA_MAX': '1',
    }


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """In the child, before exec: only setrlimit, no locks, no logging."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _execute(command: list[str], home: str, data: bytes,
             limits: base.Limits, tail_bytes: int,
             result_bytes: int) -> base.Outcome:
    stdout, stderr = _result.Capped(result_bytes), _result.Tail(tail_bytes)
    limit = functools.partial(_limit_resources, limits.memory_mb * _MIB,
                              int(limits.timeout_s) + 2)
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=home,
            env=_environment(command, home), start_new_session=True,
            preexec_fn=limit)  # noqa: PLW1509 (setrlimit only)
    except OSError as exc:
        raise base.RunnerError(f'cannot start {command[0]}: {exc}') from exc
    started = time.time()
    assert process.stdin and process.stdout and process.stderr
    threads = [_thread(_write, process.stdin, data),
               _thread(_drain, process.stdout, stdout),
               _thread(_drain, process.stderr, stderr)]
    try:
        process.wait(limits.timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        # The whole group: what the function started dies with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finished = time.time()
    for thread in threads:
        thread.join(_GRACE)
    for pipe in (process.stdout, process.stderr):
        pipe.close()
    code = process.returncode
    ending = _result.Ending(exit_code=128 - code if code < 0 else code,
                            timed_out=timed_out)
    return dataclasses.replace(
        _result.outcome(stdout, stderr, ending, limits, started, finished),
        warm=False)  # a new process every time


def _thread(target: Any, *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True,
                              name='pratai-local-io')
    thread.start()
    return thread


def _write(pipe: IO[bytes], data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except OSError:  # it ended without reading its payload
        pass


def _drain(pipe: IO[bytes], sink: Any) -> None:
    try:
        while chunk := os.read(pipe.fileno(), 65536):
            sink.feed(chunk)
    except (OSError, ValueError):  # closed after the grace period
        pass
