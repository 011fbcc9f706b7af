"""Function data, as the store keeps it and runners receive it."""

import dataclasses

NETWORKS = ('none', 'bridge')
RUNTIMES = ('python3',)


@dataclasses.dataclass(frozen=True)
class FunctionSpec:
    """What an operator asks for when uploading a function.

    ``handler`` is the module whose top-level ``main(payload=None)`` is
    called; ``memory`` is MiB, ``timeout`` seconds; ``network`` is ``none``
    (no network at all, the default) or ``bridge``.
    """

    name: str
    handler: str
    runtime: str = 'python3'
    memory: int = 128
    timeout: int = 30
    network: str = 'none'


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
