"""How one attempt at running a function ended: plain data.

It sits below both the runners, which make outcomes, and the journal,
which records them, so neither imports the other.
"""

import dataclasses
from typing import Any

#: how an execution ended; the journal's final statuses
SUCCEEDED, FAILED, TIMEOUT, ERROR = 'succeeded', 'failed', 'timeout', 'error'

#: Why an attempt did not succeed, in one word the journal can keep and
#: an operator can filter on. The first group no retry can mend.
SUBSCRIPTION_GONE = 'subscription_gone'
FUNCTION_GONE = 'function_not_found'
INVALID_FUNCTION = 'invalid_function'
EVENT_GONE = 'event_missing'
BUILD_FAILED = 'build_failed'
ATTEMPTS_EXHAUSTED = 'attempts_exhausted'
PAYLOAD_TOO_LARGE = 'payload_too_large'
EXPIRED = 'max_age_exceeded'
#: a project's function named by a subscription not of that project
#: (pratai_bridge/functions/tenancy.py)
FUNCTION_FORBIDDEN = 'function_forbidden'
CREDENTIAL_REFUSED = 'credential_refused'
#: ...and these another attempt may do better at.
STORE_UNAVAILABLE = 'store_unavailable'
CREDENTIAL_UNAVAILABLE = 'credential_unavailable'
RUNNER_FAILED = 'runner_failed'
DISPATCHER_ERROR = 'dispatcher_error'
FUNCTION_FAILED = 'function_failed'
TIMED_OUT = 'timed_out'

#: the codes that no retry can mend
PERMANENT = frozenset({SUBSCRIPTION_GONE, FUNCTION_GONE, INVALID_FUNCTION,
                       EVENT_GONE, BUILD_FAILED, ATTEMPTS_EXHAUSTED,
                       PAYLOAD_TOO_LARGE, EXPIRED, FUNCTION_FORBIDDEN,
                       CREDENTIAL_REFUSED})

# One name per line: several changes add codes at once.
__all__ = [
    'ATTEMPTS_EXHAUSTED',
    'BUILD_FAILED',
    'CREDENTIAL_REFUSED',
    'CREDENTIAL_UNAVAILABLE',
    'DISPATCHER_ERROR',
    'ERROR',
    'EVENT_GONE',
    'EXPIRED',
    'FAILED',
    'FUNCTION_FAILED',
    'FUNCTION_FORBIDDEN',
    'FUNCTION_GONE',
    'INVALID_FUNCTION',
    'Outcome',
    'PAYLOAD_TOO_LARGE',
    'PERMANENT',
    'RUNNER_FAILED',
    'STORE_UNAVAILABLE',
    'SUBSCRIPTION_GONE',
    'SUCCEEDED',
    'TIMEOUT',
    'TIMED_OUT',
    'code_of',
    'summary',
]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one execution ended.

    ``status`` is SUCCEEDED (``result`` holds what ``main`` returned),
    FAILED (the function raised or was killed for its memory; ``error``
    says which, with the traceback), TIMEOUT, or ERROR (the runtime or the
    runner failed, not the function). ``logs`` is the tail of what the
    function printed; times are seconds since the epoch.

    ``warm`` says whether the run reused a process (a warm container) that
    had run the same function before (None: the runner does not reuse, or
    the run never started); ``build_wait`` is how many seconds the
    execution waited for the function's image to be built before this
    attempt could run (None: it did not wait). Neither counts in the
    duration, which is the run's alone.
    """

    status: str
    result: Any = None
    error: str | None = None
    logs: str = ''
    started_at: float = 0.0
    finished_at: float = 0.0
    warm: bool | None = None
    build_wait: float | None = None

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at


def code_of(outcome: Outcome) -> str | None:
    """The code of a runner's outcome: None for a success."""
    return {SUCCEEDED: None, FAILED: FUNCTION_FAILED, TIMEOUT: TIMED_OUT
            }.get(outcome.status, RUNNER_FAILED)


def summary(text: Any) -> str:
    """One line of an error: a traceback's last line, else its first."""
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    if not lines:
        return ''
    return lines[-1] if lines[0].startswith('Traceback') else lines[0]
