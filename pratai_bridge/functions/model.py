"""Function data, as the store keeps it and runners receive it."""

import dataclasses

NETWORKS = ('none', 'bridge')
RUNTIMES = ('python3',)
#: the FunctionSpec settings of warm reuse, each None or an integer
WARM_SETTINGS = ('warm_pool_size', 'warm_idle_time', 'warm_max_uses')


@dataclasses.dataclass(frozen=True)
class FunctionSpec:
    """What an operator asks for when uploading a function.

    ``handler`` is the module whose top-level ``main(payload=None)`` is
    called; ``memory`` is MiB, ``timeout`` seconds; ``network`` is ``none``
    (no network at all, the default) or ``bridge``.

    The ``warm_*`` settings say how the function's warm processes are
    reused (see the runner's ``[runner] warm_*`` options, which apply when
    these are None): how many are kept idle, for how many seconds, and
    after how many invocations one is retired; 0 in any of them disables
    reuse, each run then gets a fresh process.

    ``project`` is the Keystone project that owns the function, or None
    for a function the operator owns (see :mod:`.tenancy`).
    """

    name: str
    handler: str
    runtime: str = 'python3'
    memory: int = 128
    timeout: int = 30
    network: str = 'none'
    warm_pool_size: int | None = None
    warm_idle_time: int | None = None
    warm_max_uses: int | None = None
    project: str | None = None


@dataclasses.dataclass(frozen=True)
class Function:
    """One stored version of a function.

    ``version`` starts at 1 and increases with each upload of the same
    name; ``sha256`` and ``size`` describe the zip, so a runner can verify
    what it fetched and a builder can reuse an image built from the same
    bytes. ``created_at`` is ISO 8601 UTC.
    """

    spec: FunctionSpec
    version: int
    sha256: str
    size: int
    created_at: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ref(self) -> str:
        """``name:version``, for logs and the journal."""
        return f'{self.spec.name}:{self.version}'
