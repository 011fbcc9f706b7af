"""Runners (namespace ``pratai_bridge.runners``)."""

from pratai_bridge.runners.base import Limits
from pratai_bridge.runners.base import Outcome
from pratai_bridge.runners.base import Runner
from pratai_bridge.runners.base import RunnerError

__all__ = ['Limits', 'Outcome', 'Runner', 'RunnerError']
