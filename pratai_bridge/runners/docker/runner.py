"""The ``docker`` runner: executions in locked-down containers, warm ones
reused.

:meth:`DockerRunner.prepare` builds the function's image (see
:mod:`.builder`). :meth:`DockerRunner.run` hands the payload to a
container of that image, on its stdin through the attach connection:
never in the environment or on the command line, where any process of
the machine could read it. Every container is made by :mod:`._containers`
(the sandbox of :mod:`._sandbox`, labels, a lifetime it enforces itself)
and runs the runtime in serve mode (:mod:`._session`), so it can serve
several invocations of one function version, one at a time:

* a run takes an idle warm container of its function version and limits
  when there is one (:mod:`._pool`), else starts a new one;
* a container goes back to the pool only after a success that the
  runtime says left it clean (it empties /tmp between invocations); it is
  retired (killed and removed) after any failure, a timeout, a crash, an
  unreadable answer, its maximum uses, its idle time or its lifetime
  (``[runner] warm_lifetime``), or when the pool is full;
* the function's warm settings (or ``[runner] warm_*``) decide; 0
  disables reuse, and every run then gets a container of its own,
  removed as it ends. Outcomes say whether they ran ``warm``.

The timeout is hard: at its end the container is killed and the execution
is ``timeout``. A container the kernel's out-of-memory killer stopped is
``failed``, ``out of memory (limit N MiB)``. The output is read from the
attach stream: stdout carries the answer, stderr the function's logs, of
which only the tail is kept; nothing is logged to the engine's disk.

A bridge that dies runs no ``finally``, so containers do not depend on
it to end or to go: the runtime ends itself when its bridge hangs up
(the attach connection closes with the bridge's process) and when an
invocation runs past its timeout; its entry point runs under coreutils
``timeout --signal=KILL`` past its lifetime, in case the runtime cannot;
and :meth:`DockerRunner.sweep` removes containers past their deadline
label and those that exited over a minute ago (see :mod:`._sweep`).
"""

import dataclasses
import logging
import math
import threading
import time
from typing import Any

from docker import errors as docker_errors
from oslo_config import cfg

from pratai_bridge.functions.model import Function
from pratai_bridge.runners import _result
from pratai_bridge.runners import base
from pratai_bridge.runners.docker import _containers
from pratai_bridge.runners.docker import _network
from pratai_bridge.runners.docker import _pool
from pratai_bridge.runners.docker import _sandbox
from pratai_bridge.runners.docker import _sweep
from pratai_bridge.runners.docker import builder as builder_mod
from pratai_bridge.runners.docker._containers import BRIDGE_LABEL
from pratai_bridge.runners.docker._containers import DEADLINE_LABEL
from pratai_bridge.runners.docker._containers import EXECUTION_LABEL
from pratai_bridge.runners.docker._containers import LABEL
from pratai_bridge.runners.docker._containers import WARM_LABEL
from pratai_bridge.runners.docker._engine import docker_errors_as_runner_errors
from pratai_bridge.runners.docker._session import Reply
from pratai_bridge.runners.docker._session import Session

__all__ = ['BRIDGE_LABEL', 'DEADLINE_LABEL', 'EXECUTION_LABEL', 'LABEL',
           'WARM_LABEL', 'DockerRunner']

LOG = logging.getLogger(__name__)

#: Seconds a retired container's streams get to end once it is killed
#: (at once, normally) before its connection is closed regardless.
RETIRE_GRACE = 10

#: the least memory (MiB) a container is given: below it, no runtime
#: starts, and 0 would mean no limit at all to the engine
MIN_MEMORY_MB = 16


class DockerRunner(base.Runner):
    """Runs functions in containers of the Docker engine; thread safe."""

    def __init__(self, conf: cfg.ConfigOpts,
                 builder: builder_mod.Builder | None = None) -> None:
        super().__init__(conf)
        self.builder = builder or builder_mod.Builder(conf)
        self.pool = _pool.Pool(self._retire)
        self.network = _network.FunctionNetwork(conf)
        self._lock = threading.Lock()
        # Guarded by _lock: zip sha256 -> the entry point of its image,
        # for the images known to exist (found, or built here).
        self._entrypoints: dict[str, list[str]] = {}

    def prepare(self, function: Function, package: bytes,
                progress: base.Progress | None = None) -> None:
        self.builder.build(function, package, progress)

    def ready(self, function: Function) -> bool:
        try:
            self._entrypoint(function)
        except base.NotPrepared:
            return False
        return True

    def forget(self, function: Function) -> None:
        self.pool.drop(function.sha256)
        with self._lock:
            self._entrypoints.pop(function.sha256, None)
        self.builder.remove(function)

    def close(self) -> None:
        self.pool.close()

    def check_config(self) -> None:
        """Refuse an ``[runner] oci_runtime`` the engine does not know."""
        wanted = self.conf.runner.oci_runtime
        if not wanted:
            return
        with docker_errors_as_runner_errors('cannot ask the engine which '
                                            'OCI runtimes it knows'):
            known = sorted(self.builder.api.info().get('Runtimes') or {})
        if wanted not in known:
            raise base.RunnerError(
                f'[runner] oci_runtime {wanted}: the Docker engine does not '
                f'know it (it knows {", ".join(known) or "none"}); install '
                'it and add it to the engine\'s "runtimes" (daemon.json), '
                'or unset the option')

    def probe(self) -> None:
        """The engine answers a ping."""
        with docker_errors_as_runner_errors('the Docker engine does not '
                                            'answer'):
            self.builder.api.ping()

    def run(self, function: Function, payload: dict[str, Any],
            limits: base.Limits,
            context: base.RunContext = base.NO_CONTEXT) -> base.Outcome:
        _check_limits(function, limits)
        data = base.encode_payload(self.conf, function, payload)
        warm = _pool.settings(self.conf, function)
        sandbox = _sandbox.from_conf(self.conf)
        wanted = _pool.key(function, limits, sandbox)
        session = None
        if warm.reuse:
            session = self.pool.take(wanted,
                                     time.monotonic() + limits.timeout_s)
        reused = session is not None
        if session is None:
            session = self._start(function, limits, context, wanted, warm,
                                  sandbox)
        LOG.debug('Execution %s of %s runs in %s container %s',
                  context.execution, function.ref,
                  'a warm' if reused else 'a new', session.container[:12])
        try:
            reply = session.invoke(
                data, limits.timeout_s,
                limits.timeout_s + _containers.SELF_KILL_GRACE,
                self.conf.dispatcher.log_tail_bytes,
                self.conf.runner.max_result_kb * 1024)
            with docker_errors_as_runner_errors(
                    f'{function.ref}: running its container failed'):
                outcome = _outcome(session, reply, limits)
        except BaseException:
            self._retire(session)
            raise
        if outcome.status == base.SUCCEEDED and reply.reusable:
            self.pool.give(session, warm)
        else:
            self._retire(session)
        return dataclasses.replace(outcome, warm=reused)

    def stop_orphans(self, bridge: str) -> int:
        """Kill and remove every container of the dead bridge ``bridge``.

        Raises RunnerError when the engine cannot be asked; a container
        removed meanwhile (by its own end, or another bridge) is fine.
        """
        if not bridge:
            return 0
        with docker_errors_as_runner_errors(
                f'cannot stop the containers of bridge {bridge}'):
            return _sweep.stop_bridge(self.builder.api, bridge)

    def sweep(self, now: float | None = None) -> int:
        """Remove the containers runs left behind; return how many.

        See :mod:`._sweep`. Runs in progress and warm containers, of this
        bridge or of another using the engine, are never touched. ``now``
        (epoch seconds) is the time to judge by, the clock's by default.
        Raises RunnerError.
        """
        with docker_errors_as_runner_errors(
                'cannot sweep the containers of functions'):
            return _sweep.sweep(self.builder.api,
                                time.time() if now is None else now)

    def _start(self, function: Function, limits: base.Limits,
               context: base.RunContext, wanted: Any,
               warm: _pool.WarmSettings,
               sandbox: _sandbox.Sandbox) -> Session:
        lifetime = limits.timeout_s
        if warm.reuse:
            lifetime = max(lifetime, self.conf.runner.warm_lifetime)
        entrypoint = self._entrypoint(function)
        with docker_errors_as_runner_errors(
                f'{function.ref}: cannot start its container'):
            if limits.network:  # never without its firewall
                self.network.ensure(self.builder.api)
            try:
                return _containers.start(
                    self.builder.api, builder_mod.image_tag(function.sha256),
                    entrypoint, function, limits, context, lifetime, wanted,
                    warm.reuse, sandbox)
            except docker_errors.ImageNotFound as exc:
                with self._lock:
                    self._entrypoints.pop(function.sha256, None)
                raise base.NotPrepared(
                    f'{function.ref}: no image '
                    f'{builder_mod.image_tag(function.sha256)}') from exc

    def _entrypoint(self, function: Function) -> list[str]:
        """The entry point of the function's image, looked up once.

        Read from the image, so any runtime image works. Raises
        NotPrepared when the image is missing or holds an older runtime.
        """
        with self._lock:
            known = self._entrypoints.get(function.sha256)
        if known is not None:
            return known
        image = builder_mod.image_tag(function.sha256)
        found = self.builder.current_image(image)
        if found is None:
            raise base.NotPrepared(f'{function.ref}: no image {image} of '
                                   'the current runtime')
        entrypoint = (found.get('Config') or {}).get('Entrypoint')
        if not entrypoint:
            raise base.RunnerError(f'{image} has no ENTRYPOINT: is it built '
                                   'FROM the pratai runtime image?')
        with self._lock:
            self._entrypoints[function.sha256] = entrypoint
        return entrypoint

    def _retire(self, session: Session) -> None:
        # Killed while its output is still being read, and only then
        # disconnected: a container still writing (an endless stream, a
        # result past the bound) whose attach connection is closed first
        # blocks on a pipe nobody drains, and dockerd 20.10 then hangs on
        # removing it, holding the container's lock for minutes.
        if not session.ended:
            try:
                session.kill()
            except docker_errors.APIError as exc:
                LOG.debug('Cannot kill container %s: %s',
                          session.container[:12], exc)
            session.wait_ended(RETIRE_GRACE)
        session.close()
        _containers.remove(session.api, session.container,
                           f'container of {session.key[0]}:{session.key[1]}')


def _outcome(session: Session, reply: Reply,
             limits: base.Limits) -> base.Outcome:
    """The outcome of one invocation; kills the container on a timeout."""
    ending = _result.Ending(exit_code=None)
    if reply.timed_out:
        session.kill()
        session.wait_ended(_containers.GRACE)
        ending = _result.Ending(exit_code=None, timed_out=True)
    elif reply.ended:
        # Its streams ended: the engine tells how the container did.
        status = session.api.wait(session.container,
                                  timeout=_containers.GRACE)
        state = session.api.inspect_container(session.container)['State']
        ending = _result.Ending(exit_code=status.get('StatusCode'),
                                oom=bool(state.get('OOMKilled')))
    return _result.from_line(reply.line, reply.stdout, reply.logs, ending,
                             limits, reply.started_at, reply.finished_at)


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
