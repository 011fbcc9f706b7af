"""The runner plugin contract (namespace ``pratai_bridge.runners``)."""

import abc
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from oslo_config import cfg

from pratai_bridge.functions.model import Function
# Re-exported: runners make outcomes, and their callers know them from here.
from pratai_bridge.outcome import ERROR
from pratai_bridge.outcome import FAILED
from pratai_bridge.outcome import Outcome
from pratai_bridge.outcome import SUCCEEDED
from pratai_bridge.outcome import TIMEOUT

__all__ = ['BuildFailed', 'ERROR', 'FAILED', 'Limits', 'NO_CONTEXT',
           'NotPrepared', 'Outcome', 'PayloadTooLarge', 'Progress',
           'RunContext', 'Runner', 'RunnerError', 'SUCCEEDED', 'TIMEOUT',
           'encode_payload']

#: a callable told each step of a long preparation, one line at a time
Progress = Callable[[str], None]


class RunnerError(Exception):
    """The runner itself failed (engine unreachable, a crash...); another
    attempt may do better."""


class BuildFailed(RunnerError):
    """Making the function runnable failed for a reason of its own (its
    zip or requirements are refused, its image build fails, the host lacks
    what it needs to build): the same attempt fails the same way until the
    function or the host changes."""


class PayloadTooLarge(RunnerError):
    """The payload is larger than ``[runner] max_payload_kb``: it was not
    handed to the function, and never will be (no retry mends it)."""


class NotPrepared(RunnerError):
    """run() found nothing prepare() made for the function (it was never
    prepared on this host, or was removed since): prepare it, then run."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one execution may use. ``network`` False means no network."""

    memory_mb: int
    timeout_s: float
    network: bool = False
    pids: int = 64
    cpus: float = 1.0


@dataclasses.dataclass(frozen=True)
class RunContext:
    """Whom one run is for, so that what it starts can be found again.

    ``bridge`` is the id of the bridge process running it and
    ``execution`` the journal's execution id (None outside the dispatcher:
    a benchmark, a test). Runners mark what they start with both (the
    docker runner as container labels), so that a bridge can stop what a
    dead one left running (:meth:`Runner.stop_orphans`).
    """

    bridge: str = ''
    execution: int | None = None


#: the context of a run that is for no bridge or execution in particular
NO_CONTEXT = RunContext()


class Runner(abc.ABC):
    """Run one version of a function with one payload, within limits.

    :meth:`prepare` makes the function runnable (builds its image or
    virtualenv) and is cached by the package's sha256, so calling it again
    for the same bytes is cheap; it may take minutes the first time, so
    the dispatcher calls it on threads of its own, never on those that
    run functions. :meth:`ready` says, cheaply, whether run() needs no
    prepare() first. :meth:`run` blocks until the function ends or its
    timeout, and leaves nothing of the run behind but what it keeps to
    reuse (warm processes, which :meth:`close` releases). All may be
    called from several threads at once. They raise RunnerError when the
    runner itself fails; a function's own failure is an Outcome.
    """

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    @abc.abstractmethod
    def prepare(self, function: Function, package: bytes,
                progress: Progress | None = None) -> None:
        """Make ``function`` (whose zip is ``package``) ready to run.

        ``progress``, when given, hears each step of a long build. Raises
        BuildFailed when the function cannot be made runnable for a reason
        of its own (or of the host's), RunnerError otherwise.
        """

    def ready(self, function: Function) -> bool:
        """Whether :meth:`run` can run ``function`` without prepare().

        Cheap: an in-memory answer or one quick look-up, never a build.
        True may be stale (what was prepared was removed since): run()
        then raises NotPrepared. The default, False, makes the dispatcher
        call prepare() (on its build threads) before each first run of a
        version in this process. Raises RunnerError.
        """
        return False

    @abc.abstractmethod
    def run(self, function: Function, payload: dict[str, Any],
            limits: Limits, context: RunContext = NO_CONTEXT) -> Outcome:
        """Run ``function`` with ``payload``; never raises for its errors.

        ``context`` says whom the run is for (see :class:`RunContext`).
        Raises NotPrepared when the function must be prepared first, and
        PayloadTooLarge, before anything starts, for a payload over
        ``[runner] max_payload_kb`` (see :func:`encode_payload`).
        """

    def check_config(self) -> None:  # noqa: B027
        """Refuse a configuration this runner cannot honour (an OCI
        runtime the engine does not know, say): RunnerError, its first
        line saying what to change. Called before the bridge starts and
        by ``config check``; may block on I/O. Optional."""

    def probe(self) -> None:  # noqa: B027
        """Raise RunnerError when the runner cannot run anything now (its
        engine does not answer). ``GET /healthz`` calls it, so it must be
        cheap (one ping, no build) and must not block long; unlike
        :meth:`check`, it judges no configuration. Optional: the default
        has nothing to probe.
        """

    def close(self) -> None:  # noqa: B027
        """Release what the runner keeps between runs (warm processes,
        connections); called once, when the bridge stops. Optional."""

    def forget(self, function: Function) -> None:  # noqa: B027
        """Drop what prepare() made for ``function`` (it was deleted).

        Optional: a runner that caches nothing has nothing to drop.
        """

    def sweep(self) -> int:
        """Remove what runs left behind when their bridge died; how many.

        A bridge killed mid-run cleans nothing up. Called when the
        dispatcher starts and then from time to time, by every bridge
        sharing what the runner uses (one Docker engine, say), so it must
        never touch a run in progress, of this bridge or another. May
        block on I/O; raises RunnerError. Optional: the default finds
        nothing.
        """
        return 0

    def stop_orphans(self, bridge: str) -> int:
        """Kill and remove what runs of the bridge ``bridge`` left; how many.

        Called for a bridge known to be dead (this process's predecessor,
        or a bridge whose lease expired) before its executions are handed
        out again, so that no function runs twice at once. Runs of other
        bridges are never touched. May block on I/O; raises RunnerError.
        Optional: a runner whose runs die with their bridge (the local
        runner's subprocesses) has nothing to stop.
        """
        return 0


def encode_payload(conf: cfg.ConfigOpts, function: Function,
                   payload: dict[str, Any]) -> bytes:
    """``payload`` as the JSON a runner hands over; PayloadTooLarge over
    ``[runner] max_payload_kb``. Every runner calls it before it starts
    anything, so the bound is the same whatever runs the function."""
    data = json.dumps(payload, separators=(',', ':')).encode()
    limit = conf.runner.max_payload_kb * 1024
    if len(data) > limit:
        raise PayloadTooLarge(
            f'{function.ref}: the payload is {len(data)} bytes, over '
            f'[runner] max_payload_kb ({limit} bytes): not handed to the '
            'function')
    return data
