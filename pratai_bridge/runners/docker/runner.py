"""The ``docker`` runner: each execution in a fresh, locked-down container.

:meth:`DockerRunner.prepare` builds the function's image (see
:mod:`.builder`); :meth:`DockerRunner.run` starts a
container of it and hands it the payload on stdin, through the attach
socket: never in the environment or on the command line, where any process
of the machine could read it. The container:

* is sandboxed as :mod:`._sandbox` says (user, read-only root, no
  capabilities, limits, no network unless asked);
* gets no environment from the bridge: only what the image sets (PATH,
  LANG, HOME=/tmp), and not even the docker client's proxy settings;
* logs nothing to the engine's disk (logging driver ``none``): stdout, the
  result line, and stderr, the function's logs, are read from the attach
  stream while it runs, stderr keeping only its tail.

The timeout is hard: at its end the container is killed and the execution
is ``timeout``. A container the kernel's out-of-memory killer stopped is
``failed``, ``out of memory (limit N MiB)``. The container is removed
whatever happens, engine errors included (``finally``).

A bridge that dies (SIGKILL, a power cut) runs no ``finally``, so a
container does not depend on its bridge to end or to go:

* it ends itself: the image's entrypoint runs under coreutils ``timeout
  --signal=KILL``, set a few seconds past the function's timeout (the
  bridge, when alive, kills first and decides the outcome). Killing or
  stopping that ``timeout`` is all a function can do against it: killed,
  tini (PID 1) sees its child gone and the container ends; stopped
  (SIGSTOP), the container runs on until a sweep.
* :meth:`DockerRunner.sweep` removes what is left: every container
  carries the labels ``pratai.function`` (the function's name) and
  ``pratai.deadline`` (epoch seconds: its creation, plus its timeout,
  plus the time a live runner may take after it), and a sweep removes
  those past their deadline, and those that exited over a minute ago,
  when their runner would have removed them already. So bridges sharing
  an engine may all sweep: none removes a run another one still reads.
"""

import datetime
import json
import logging
import math
import socket
import threading
import time
import uuid
from typing import Any

from docker import errors as docker_errors
from docker.utils import socket as docker_socket
from oslo_config import cfg
import requests

from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.functions.model import Function
from pratai_bridge.runners import _result
from pratai_bridge.runners import base
from pratai_bridge.runners.docker import _sandbox
from pratai_bridge.runners.docker import builder as builder_mod

__all__ = ['BRIDGE_LABEL', 'DEADLINE_LABEL', 'EXECUTION_LABEL', 'LABEL',
           'DockerRunner']

LOG = logging.getLogger(__name__)

#: label on every container, its value the function's name
LABEL = 'pratai.function'
#: label on every container: when anyone may remove it (epoch seconds)
DEADLINE_LABEL = 'pratai.deadline'
#: labels of a run's container: the bridge and the execution it is for
BRIDGE_LABEL = 'pratai.bridge'
EXECUTION_LABEL = 'pratai.execution'
#: the least memory (MiB) a container is given: below it, no runtime
#: starts, and 0 would mean no limit at all to the engine
MIN_MEMORY_MB = 16
# Seconds given to the engine to report a killed container's end.
_GRACE = 30
# Seconds past the function's timeout before the container kills itself:
# enough for the bridge, when alive, to kill it first and say "timeout".
_SELF_KILL_GRACE = 5
# Seconds past its timeout before a container is anyone's to remove: more
# than a live runner takes after its deadline (the kill, then up to _GRACE
# for the engine and _GRACE for the streams), with room for a slow start.
_SWEEP_GRACE = 4 * _GRACE
# Seconds an exited container stays its runner's, to inspect and remove.
_EXITED_GRACE = 2 * _GRACE
# States of a container that will not run its function (any more).
_ENDED = ('exited', 'dead')


class DockerRunner(base.Runner):
    """Runs functions in containers of the Docker engine; thread safe."""

    def __init__(self, conf: cfg.ConfigOpts,
                 builder: builder_mod.Builder | None = None) -> None:
        super().__init__(conf)
        self.builder = builder or builder_mod.Builder(conf)

    def prepare(self, function: Function, package: bytes) -> None:
        self.builder.build(function, package)

    def forget(self, function: Function) -> None:
        self.builder.remove(function)

    def run(self, function: Function, payload: dict[str, Any],
            limits: base.Limits,
            context: base.RunContext = base.NO_CONTEXT) -> base.Outcome:
        _check_limits(function, limits)
        data = json.dumps(payload).encode()
        api = self.builder.api
        container = self._create(api, function, limits, context)
        try:
            with builder_mod.docker_errors_as_runner_errors(
                    f'{function.ref}: running its container failed'):
                return self._execute(api, container, data, limits)
        finally:
            _remove(api, container, function)

    def _create(self, api: Any, function: Function, limits: base.Limits,
                context: base.RunContext) -> str:
        image = builder_mod.image_tag(function.sha256)
        host_config = _sandbox.host_config(api, limits)
        deadline = time.time() + limits.timeout_s + _SWEEP_GRACE
        with builder_mod.docker_errors_as_runner_errors(
                f'{function.ref}: cannot create its container'):
            try:
                created = api.create_container(
                    image, entrypoint=_entrypoint(api, image, limits),
                    command=['--handler', function.spec.handler],
                    user=_sandbox.USER, stdin_open=True,
                    host_config=host_config,
                    labels=_labels(function, context, deadline),
                    name=(f'pratai-{function.name}-{function.version}-'
                          f'{uuid.uuid4().hex[:8]}'),
                    use_config_proxy=False)
            except docker_errors.ImageNotFound as exc:
                raise base.RunnerError(
                    f'{function.ref}: no image {image}; prepare() builds '
                    'it') from exc
        return created['Id']

    def stop_orphans(self, bridge: str) -> int:
        """Kill and remove every container of the dead bridge ``bridge``.

        Raises RunnerError when the engine cannot be asked; a container
        removed meanwhile (by its own end, or another bridge) is fine.
        """
        if not bridge:
            return 0
        api = self.builder.api
        stopped = 0
        with builder_mod.docker_errors_as_runner_errors(
                f'cannot stop the containers of bridge {bridge}'):
            for summary in api.containers(all=True, filters={
                    'label': f'{BRIDGE_LABEL}={bridge}'}):
                if _sweep_one(api, summary):
                    stopped += 1
        return stopped

    def sweep(self, now: float | None = None) -> int:
        """Remove the containers runs left behind; return how many.

        Left behind: past its deadline label, or exited more than a
        minute ago (see the module docstring); a container without a
        deadline label gets the longest timeout a function may have.
        Runs in progress, of this bridge or of another using the engine,
        are never touched. ``now`` (epoch seconds) is the time to judge
        by, the clock's by default. Raises RunnerError.
        """
        now = time.time() if now is None else now
        api = self.builder.api
        removed = 0
        with builder_mod.docker_errors_as_runner_errors(
                'cannot sweep the containers of functions'):
            for summary in api.containers(all=True,
                                          filters={'label': LABEL}):
                if _left_behind(api, summary, now) and _sweep_one(
                        api, summary):
                    removed += 1
        return removed

    def _execute(self, api: Any, container: str, data: bytes,
                 limits: base.Limits) -> base.Outcome:
        # Attached before the start, so no output is missed.
        sock = api.attach_socket(container, params={
            'stdin': 1, 'stdout': 1, 'stderr': 1, 'stream': 1})
        streams = _Streams(sock, self.conf.dispatcher.log_tail_bytes)
        try:
            api.start(container)
            started = time.time()
            streams.start(data)
            status = _wait(api, container, streams,
                           started + limits.timeout_s)
            timed_out = status is None
            if status is None:
                _kill(api, container)
                status = api.wait(container, timeout=_GRACE)
            finished = time.time()
            streams.join(_GRACE)
            state = api.inspect_container(container)['State']
        finally:
            streams.close()
        ending = _result.Ending(exit_code=status.get('StatusCode'),
                                timed_out=timed_out,
                                oom=bool(state.get('OOMKilled')))
        return _result.outcome(streams.stdout, streams.stderr, ending,
                               limits, started, finished)


class _Streams:
    """Feeds stdin and reads stdout and stderr of one attach socket."""

    def __init__(self, sock: Any, tail_bytes: int) -> None:
        self._sock = sock
        self.stdout = _result.Capped()
        self.stderr = _result.Tail(tail_bytes)
        self._reader = threading.Thread(target=self._read, daemon=True,
                                        name='pratai-container-output')

    def start(self, data: bytes) -> None:
        self._reader.start()
        # Its own thread: a container that never reads its stdin must not
        # block this one past the timeout.
        threading.Thread(target=self._write, args=(data,), daemon=True,
                         name='pratai-container-input').start()

    def close(self) -> None:
        """Close the socket; the reader ends if it has not already."""
        raw = getattr(self._sock, '_sock', None)
        self._sock.close()
        if raw is not None:
            raw.close()

    def join(self, timeout: float) -> bool:
        """Wait until the streams end; False if they did not in time."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    def _write(self, data: bytes) -> None:
        raw = getattr(self._sock, '_sock', self._sock)
        try:
            raw.sendall(data)
            # Half close: the container's stdin sees its end, and the
            # output still comes back on the same socket.
            raw.shutdown(socket.SHUT_WR)
        except OSError as exc:  # the container ended without reading
            LOG.debug('Container stdin closed early: %s', exc)

    def _read(self) -> None:
        sinks: dict[int, _result.Capped | _result.Tail] = {
            docker_socket.STDOUT: self.stdout,
            docker_socket.STDERR: self.stderr}
        try:
            for stream, chunk in docker_socket.frames_iter(self._sock,
                                                           tty=False):
                sink = sinks.get(stream)
                if sink is not None:
                    sink.feed(chunk)
        except (OSError, ValueError) as exc:  # closed under us: the end
            LOG.debug('Container output ended: %s', exc)


def _wait(api: Any, container: str, streams: _Streams,
          deadline: float) -> dict[str, Any] | None:
    """The container's end status, or None if it runs past ``deadline``.

    Its streams end first (or it closed them); then the engine tells.
    """
    if not streams.join(max(0.0, deadline - time.time())):
        return None
    try:
        return api.wait(container, timeout=max(0.1, deadline - time.time()))
    except requests.exceptions.RequestException:
        return None  # a read timeout: still running at the deadline


def _labels(function: Function, context: base.RunContext,
            deadline: float) -> dict[str, str]:
    labels = {LABEL: function.name,
              'pratai.version': str(function.version),
              DEADLINE_LABEL: str(math.ceil(deadline))}
    if context.bridge:
        labels[BRIDGE_LABEL] = context.bridge
    if context.execution is not None:
        labels[EXECUTION_LABEL] = str(context.execution)
    return labels


def _check_limits(function: Function, limits: base.Limits) -> None:
    """Refuse limits the engine would read as "no limit" or cannot run."""
    problems = []
    if limits.memory_mb < MIN_MEMORY_MB:
        problems.append(f'memory {limits.memory_mb} MiB is under '
                        f'{MIN_MEMORY_MB}')
    if not (math.isfinite(limits.timeout_s) and limits.timeout_s > 0):
        problems.append(f'timeout {limits.timeout_s} s is not positive')
    if limits.pids < 1:
        problems.append(f'pids limit {limits.pids} is under 1')
    if not (math.isfinite(limits.cpus) and limits.cpus > 0):
        problems.append(f'cpus {limits.cpus} is not positive')
    if problems:
        raise base.RunnerError(f'{function.ref}: refused to run: '
                               + '; '.join(problems))


def _entrypoint(api: Any, image: str, limits: base.Limits) -> list[str]:
    """The image's entrypoint under coreutils ``timeout --signal=KILL``.

    Read from the image, so any runtime image works; ``timeout`` is in
    every Debian base (coreutils is essential).
    """
    entrypoint = api.inspect_image(image)['Config'].get('Entrypoint')
    if not entrypoint:
        raise base.RunnerError(f'{image} has no ENTRYPOINT: is it built '
                               'FROM the pratai runtime image?')
    seconds = math.ceil(limits.timeout_s) + _SELF_KILL_GRACE
    return ['timeout', '--signal=KILL', str(seconds), *entrypoint]


def _left_behind(api: Any, summary: dict[str, Any], now: float) -> bool:
    """Whether the container ``summary`` (a listing's) is nobody's run."""
    if summary.get('State') == 'removing':
        return False
    if now >= _deadline(summary):
        return True
    if summary.get('State') not in _ENDED:
        return False
    try:
        state = api.inspect_container(summary['Id'])['State']
    except docker_errors.NotFound:
        return False  # removed meanwhile
    return now >= _finished_at(state, summary) + _EXITED_GRACE


def _deadline(summary: dict[str, Any]) -> float:
    labels = summary.get('Labels') or {}
    try:
        deadline = float(labels[DEADLINE_LABEL])
    except (KeyError, TypeError, ValueError):
        # Made before deadlines were labelled, or by hand: it may run as
        # long as any function may.
        return (float(summary.get('Created') or 0)
                + spec_mod.TIMEOUT_RANGE[1] + _SWEEP_GRACE)
    return deadline if math.isfinite(deadline) else 0.0


def _finished_at(state: dict[str, Any], summary: dict[str, Any]) -> float:
    """When the container ended, by the engine; else its creation."""
    try:
        return datetime.datetime.fromisoformat(
            state['FinishedAt']).timestamp()
    except (KeyError, TypeError, ValueError, OverflowError):
        return float(summary.get('Created') or 0)


def _sweep_one(api: Any, summary: dict[str, Any]) -> bool:
    labels = summary.get('Labels') or {}
    try:
        api.remove_container(summary['Id'], force=True)
    except docker_errors.NotFound:
        return False  # another bridge swept it first
    except docker_errors.APIError as exc:
        if exc.status_code != 409:  # 409: a removal is in progress
            raise
        return False
    LOG.warning('Removed container %s of function %s:%s (%s, execution %s),'
                ' left behind by stopped bridge %s', summary['Id'][:12],
                labels.get(LABEL), labels.get('pratai.version'),
                summary.get('State'), labels.get(EXECUTION_LABEL),
                labels.get(BRIDGE_LABEL))
    return True


def _kill(api: Any, container: str) -> None:
    try:
        api.kill(container)
    except docker_errors.APIError as exc:
        if exc.status_code != 409:  # 409: it ended meanwhile
            raise


def _remove(api: Any, container: str, function: Function) -> None:
    try:
        api.remove_container(container, force=True)
    except docker_errors.NotFound:
        pass
    except (docker_errors.DockerException,
            requests.exceptions.RequestException, OSError):
        LOG.exception('Function %s: cannot remove container %s; remove '
                      'it by hand (label %s)', function.ref, container,
                      LABEL)
