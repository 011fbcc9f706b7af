"""Exponential backoff with jitter, for retried executions."""

import random
from collections.abc import Callable

# 2 ** 64 times any sane base already exceeds any sane cap; a larger
# exponent would only risk OverflowError.
_MAX_EXPONENT = 64


def delay(attempt: int, base: float, cap: float,
          uniform: Callable[[float, float], float] = random.uniform
          ) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    The ceiling is ``base * 2 ** (attempt - 1)``, at most ``cap``; the
    result is drawn between half the ceiling and all of it ("equal
    jitter"), so it never exceeds the cap yet executions that failed
    together (a store outage) spread their retries.
    """
    exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
    ceiling = min(cap, base * 2 ** exponent)
    return uniform(ceiling / 2, ceiling)
