"""The sandbox of a function's container: one policy for every container.

Every container that runs a function's code, cold or warm, gets its
settings from :func:`host_config` (called by :mod:`._containers`, the
only place containers are made), so the promises below hold whatever path
starts it:

* it runs as uid 10001 (:data:`USER`) with a read-only root filesystem and
  a tmpfs on /tmp of ``[runner] tmp_size_mb`` (/dev/shm, the other
  writable place, is as small), every capability dropped
  and no-new-privileges (setuid binaries give nothing), under the
  engine's default seccomp profile;
* it has the function's memory (swap included: memswap = memory), a pids
  limit and a CPU quota (``Limits``), ulimits ``nofile`` and ``nproc``
  that no process in it can raise, and tini as PID 1 (``init``), which
  reaps what the function forks;
* it has no network at all (only ``lo``) unless the function asks for it,
  and then only ``[runner] function_network`` (see :mod:`._network`),
  never docker0;
* it runs on ``[runner] oci_runtime`` when one is set (gVisor, Kata);
* it logs nothing to the engine's disk (logging driver ``none``).
"""

import dataclasses
from typing import Any

from docker.types import Ulimit
from oslo_config import cfg

from pratai_bridge.runners import base

__all__ = ['Sandbox', 'USER', 'from_conf', 'host_config']

USER = '10001:10001'


@dataclasses.dataclass(frozen=True)
class Sandbox:
    """The operator's settings every function container gets.

    ``runtime`` None is the engine's default OCI runtime; ``network`` the
    docker network of functions that ask for one.
    """

    tmp_size_mb: int = 16
    nofile: int = 256
    nproc: int = 1024
    runtime: str | None = None
    network: str = 'pratai-functions'


def from_conf(conf: cfg.ConfigOpts) -> Sandbox:
    """The sandbox ``[runner]`` describes."""
    options = conf.runner
    return Sandbox(tmp_size_mb=options.tmp_size_mb,
                   nofile=options.nofile_limit, nproc=options.nproc_limit,
                   runtime=options.oci_runtime or None,
                   network=options.function_network)


def host_config(api: Any, limits: base.Limits,
                sandbox: Sandbox) -> dict[str, Any]:
    """The engine's host config of a function container within ``limits``."""
    extra: dict[str, Any] = {}
    if sandbox.runtime:
        extra['runtime'] = sandbox.runtime
    return api.create_host_config(
        read_only=True,
        tmpfs={'/tmp': f'size={sandbox.tmp_size_mb}m,mode=1777'},
        # /dev/shm stays writable on a read-only root: as small as /tmp.
        shm_size=f'{sandbox.tmp_size_mb}m',
        cap_drop=['ALL'], security_opt=['no-new-privileges'],
        mem_limit=f'{limits.memory_mb}m',
        memswap_limit=f'{limits.memory_mb}m',
        pids_limit=limits.pids, nano_cpus=int(limits.cpus * 1e9),
        ulimits=[Ulimit(name='nofile', soft=sandbox.nofile,
                        hard=sandbox.nofile),
                 Ulimit(name='nproc', soft=sandbox.nproc,
                        hard=sandbox.nproc)],
        network_mode=sandbox.network if limits.network else 'none',
        init=True, log_config={'type': 'none', 'config': {}}, **extra)
