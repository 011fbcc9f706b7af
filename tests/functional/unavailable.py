"""One rule for a missing service: it fails the run in CI, skips elsewhere."""

import os
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """Fail under CI (nothing of the functional suite may be skipped for
    want of a service there); skip, saying how to start it, elsewhere."""
    if os.environ.get('CI'):
        pytest.fail(message + ' (CI: a missing service fails the run)')
    pytest.skip(message)
