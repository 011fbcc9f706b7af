"""The sandbox of a function's container: one policy for every container.

Every container that runs a function's code gets its settings from here,
so the promises below hold whatever path starts it:

* it runs as uid 10001 (:data:`USER`) with a read-only root filesystem and
  a 16 MiB tmpfs on /tmp, every capability dropped and no-new-privileges;
* it has the function's memory (swap included: memswap = memory), a pids
  limit and a CPU quota (``Limits``), and tini as PID 1 (``init``), which
  reaps what the function forks;
* it has no network at all (only ``lo``) unless the function asks for it;
* it logs nothing to the engine's disk (logging driver ``none``).
"""

from typing import Any

from pratai_bridge.runners import base

__all__ = ['TMPFS', 'USER', 'host_config']

USER = '10001:10001'
TMPFS = {'/tmp': 'size=16m,mode=1777'}


def host_config(api: Any, limits: base.Limits) -> dict[str, Any]:
    """The engine's host config of a function container within ``limits``."""
    return api.create_host_config(
        read_only=True, tmpfs=TMPFS, cap_drop=['ALL'],
        security_opt=['no-new-privileges'],
        mem_limit=f'{limits.memory_mb}m',
        memswap_limit=f'{limits.memory_mb}m',
        pids_limit=limits.pids, nano_cpus=int(limits.cpus * 1e9),
        network_mode='bridge' if limits.network else 'none',
        init=True, log_config={'type': 'none', 'config': {}})
