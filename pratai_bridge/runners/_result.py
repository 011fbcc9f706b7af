"""From what the runtime printed to an Outcome: shared by the runners.

The runtime (runtimes/python/pratai_runtime.py) writes one JSON line on
stdout, ``{"status": "succeeded"|"failed"|"error", ...}``, and everything
the function prints on stderr. A runner collects stdout whole (up to
``[runner] max_result_kb``, :data:`MAX_RESULT_BYTES` by default) and only
the tail of stderr (:class:`Tail`, marked where it was cut), so a
function printing without end costs neither memory nor disk; then
:func:`outcome` decides how the execution ended, from the result line
when there is one, else from how the process ended (its timeout, the
out-of-memory killer, a signal).
"""

import dataclasses
import json
import signal
from typing import Any

from pratai_bridge.runners import base

__all__ = ['MAX_RESULT_BYTES', 'Capped', 'Ending', 'Tail', 'from_line',
           'outcome', 'result_line']

#: the most stdout (the result line) a runner keeps; a bigger result is a
#: failure of the function, never a bridge out of memory
MAX_RESULT_BYTES = 4 * 1024 * 1024


class Tail:
    """The last ``limit`` bytes written to it, and how many came before."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.total = 0
        self._data = bytearray()

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        self._data += data
        # Trim in steps, not on every write: amortized O(1) per byte.
        if len(self._data) > 2 * self.limit + 65536:
            del self._data[:len(self._data) - self.limit]

    def text(self) -> str:
        """At most ``limit`` bytes of text, saying so when some were cut."""
        if self.total <= self.limit:
            return bytes(self._data).decode('utf-8', errors='replace')
        # The marker is counted in the limit: the journal keeps the last
        # [dispatcher] log_tail_bytes, and the marker must survive that.
        room = self.limit - len(_marker(self.total))
        kept = bytes(self._data[-room:]) if room > 0 else b''
        # Skip the rest of a character cut in two.
        while kept and kept[0] & 0xC0 == 0x80:
            kept = kept[1:]
        if not kept:
            return ''
        return _marker(self.total - len(kept)) + kept.decode(
            'utf-8', errors='replace')


def _marker(dropped: int) -> str:
    return f'[{dropped} earlier bytes not kept]\n'


class Capped:
    """Everything written to it, up to ``limit`` bytes; then a flag."""

    def __init__(self, limit: int = MAX_RESULT_BYTES) -> None:
        self.limit = limit
        self.overflow = False
        self._data = bytearray()

    def feed(self, data: bytes) -> None:
        if self.overflow:
            return
        self._data += data
        if len(self._data) > self.limit:
            self.overflow = True
            self._data.clear()

    def value(self) -> bytes:
        return bytes(self._data)


@dataclasses.dataclass(frozen=True)
class Ending:
    """How the process ended, as the runner saw it.

    ``exit_code``: the exit status, 128+N for signal N as a shell or the
    container engine reports it (None when unknown); ``timed_out``: the
    runner killed it at its timeout; ``oom``: the kernel's out-of-memory
    killer ended it (the engine reports it).
    """

    exit_code: int | None
    timed_out: bool = False
    oom: bool = False


def outcome(stdout: Capped, logs: Tail, ending: Ending,
            limits: base.Limits, started_at: float,
            finished_at: float) -> base.Outcome:
    """How the execution ended, from its output and its ending."""
    return from_line(result_line(stdout.value()), stdout, logs, ending,
                     limits, started_at, finished_at)


def from_line(line: dict[str, Any] | None, stdout: Capped, logs: Tail,
              ending: Ending, limits: base.Limits, started_at: float,
              finished_at: float) -> base.Outcome:
    """:func:`outcome`, given the result line already read from stdout
    (:func:`result_line`)."""
    status, result, error = _decide(line, stdout, ending, limits)
    return base.Outcome(status=status, result=result, error=error,
                        logs=logs.text(), started_at=started_at,
                        finished_at=finished_at)


def _decide(line: dict[str, Any] | None, stdout: Capped, ending: Ending,
            limits: base.Limits) -> tuple[str, Any, str | None]:
    if line is not None:
        # A result line means the function ended by itself, even if the
        # kill at the timeout raced with its last moments.
        return _from_line(line, limits)
    if ending.timed_out:
        return base.TIMEOUT, None, (f'timed out after {limits.timeout_s:g} '
                                    's; killed')
    if ending.oom:
        return base.FAILED, None, _out_of_memory(limits)
    if stdout.overflow:
        return base.FAILED, None, (
            f'the result is larger than {stdout.limit} bytes ([runner] '
            'max_result_kb): not kept')
    if stdout.value().strip():
        return base.ERROR, None, ('the runtime wrote an unreadable result: '
                                  f'{stdout.value()[-200:]!r}')
    return base.FAILED, None, ('the function ended without a result '
                               f'({_describe(ending.exit_code)})')


def result_line(data: bytes) -> dict[str, Any] | None:
    """The runtime's result line in ``data`` (its last line), decoded;
    None when there is none."""
    lines = [line for line in data.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        line = json.loads(lines[-1])
    except ValueError:
        return None
    if not isinstance(line, dict) or line.get('status') not in (
            base.SUCCEEDED, base.FAILED, base.ERROR):
        return None
    return line


def _from_line(line: dict[str, Any],
               limits: base.Limits) -> tuple[str, Any, str | None]:
    status = line['status']
    if status == base.SUCCEEDED:
        return status, line.get('result'), None
    error = line.get('error')
    if not isinstance(error, dict):
        return status, None, str(error)
    kind = error.get('type', 'Exception')
    summary = f'{kind}: {error.get("message", "")}'
    if status == base.ERROR:
        # The runtime's own failure: what went wrong, not where in it.
        return status, None, summary
    text = error.get('traceback') or summary
    if kind == 'MemoryError':
        # An address-space limit (the local runner's) fails an allocation
        # instead of killing the process.
        text = f'{_out_of_memory(limits)}\n{text}'
    return status, None, text


def _out_of_memory(limits: base.Limits) -> str:
    return f'out of memory (limit {limits.memory_mb} MiB)'


def _describe(exit_code: int | None) -> str:
    if exit_code is None:
        return 'exit status unknown'
    if exit_code > 128:
        try:
            name = signal.Signals(exit_code - 128).name
        except ValueError:
            name = f'signal {exit_code - 128}'
        return f'exit {exit_code}: killed by {name}'
    return f'exit {exit_code}'
