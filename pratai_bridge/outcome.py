"""How one attempt at running a function ended: plain data.

It sits below both the runners, which make outcomes, and the journal,
which records them, so neither imports the other.
"""

import dataclasses
from typing import Any

#: how an execution ended; the journal's final statuses
SUCCEEDED, FAILED, TIMEOUT, ERROR = 'succeeded', 'failed', 'timeout', 'error'

__all__ = ['ERROR', 'FAILED', 'Outcome', 'SUCCEEDED', 'TIMEOUT']


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one execution ended.

    ``status`` is SUCCEEDED (``result`` holds what ``main`` returned),
    FAILED (the function raised or was killed for its memory; ``error``
    says which, with the traceback), TIMEOUT, or ERROR (the runtime or the
    runner failed, not the function). ``logs`` is the tail of what the
    function printed; times are seconds since the epoch.
    """

    status: str
    result: Any = None
    error: str | None = None
    logs: str = ''
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at
