"""Removing what runs left behind: overdue containers, and a dead
bridge's.

A bridge that dies (SIGKILL, a power cut) removes nothing, so every
container carries a deadline label (see :mod:`._containers`): past it, or
a minute after it exited, it is nobody's run any more and any bridge
sharing the engine may remove it. None removes a run another one still
reads. A container without a deadline label (made by hand, or before
deadlines were labelled) gets the longest timeout a function may have.
"""

import datetime
import logging
import math
from typing import Any

from docker import errors as docker_errors

from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.runners.docker import _containers

__all__ = ['stop_bridge', 'sweep']

LOG = logging.getLogger(__name__)

#: seconds an exited container stays its runner's, to inspect and remove
EXITED_GRACE = 2 * _containers.GRACE
# States of a container that will not run its function (any more).
_ENDED = ('exited', 'dead')


def sweep(api: Any, now: float) -> int:
    """Remove the containers left behind as of ``now`` (epoch seconds)."""
    removed = 0
    for summary in api.containers(all=True,
                                  filters={'label': _containers.LABEL}):
        if _left_behind(api, summary, now) and _remove(api, summary):
            removed += 1
    return removed


def stop_bridge(api: Any, bridge: str) -> int:
    """Kill and remove every container of the bridge ``bridge``."""
    stopped = 0
    for summary in api.containers(all=True, filters={
            'label': f'{_containers.BRIDGE_LABEL}={bridge}'}):
        if _remove(api, summary):
            stopped += 1
    return stopped


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
    return now >= _finished_at(state, summary) + EXITED_GRACE


def _deadline(summary: dict[str, Any]) -> float:
    labels = summary.get('Labels') or {}
    try:
        deadline = float(labels[_containers.DEADLINE_LABEL])
    except (KeyError, TypeError, ValueError):
        # Made before deadlines were labelled, or by hand: it may run as
        # long as any function may.
        return (float(summary.get('Created') or 0)
                + spec_mod.TIMEOUT_RANGE[1] + _containers.SWEEP_GRACE)
    return deadline if math.isfinite(deadline) else 0.0


def _finished_at(state: dict[str, Any], summary: dict[str, Any]) -> float:
    """When the container ended, by the engine; else its creation."""
    try:
        return datetime.datetime.fromisoformat(
            state['FinishedAt']).timestamp()
    except (KeyError, TypeError, ValueError, OverflowError):
        return float(summary.get('Created') or 0)


def _remove(api: Any, summary: dict[str, Any]) -> bool:
    labels = summary.get('Labels') or {}
    try:
        api.remove_container(summary['Id'], force=True)
    except docker_errors.NotFound:
        return False  # another bridge swept it first
    except docker_errors.APIError as exc:
        if exc.status_code != 409:  # 409: a removal is in progress
            raise
        return False
    LOG.warning('Removed container %s of function %s:%s (%s, execution %s,'
                ' warm %s), left behind by stopped bridge %s',
                summary['Id'][:12], labels.get(_containers.LABEL),
                labels.get('pratai.version'), summary.get('State'),
                labels.get(_containers.EXECUTION_LABEL),
                labels.get(_containers.WARM_LABEL) == '1',
                labels.get(_containers.BRIDGE_LABEL))
    return True
