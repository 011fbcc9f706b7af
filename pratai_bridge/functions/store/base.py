"""The store plugin contract (namespace ``pratai_bridge.stores``)."""

import abc
import builtins

from oslo_config import cfg

from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec


class StoreError(Exception):
    """The store failed; the message says what and for which function."""


class StoreUnavailable(StoreError):
    """The store cannot be reached now; retrying later may work."""


class FunctionNotFound(StoreError):
    """No such function (or version)."""


class IntegrityError(StoreError):
    """Fetched bytes do not match the stored sha256."""


class InvalidStoredFunction(StoreError):
    """A stored version's settings are invalid; no retry will help.

    Written by something else than pratai-bridge, or damaged: ``field``
    names the setting (``memory``...), the message the version too.
    """

    def __init__(self, ref: str, field: str, reason: str) -> None:
        super().__init__(f'{ref}: the stored {field} is invalid: {reason}')
        self.field = field


class Store(abc.ABC):
    """Keeps function zips and their settings, every version of them.

    Built with the global-free ``conf`` (``__init__`` must not connect);
    every method may block on I/O and may be called from several threads at
    once. Methods raise StoreUnavailable for outages (the caller retries),
    FunctionNotFound for unknown names, IntegrityError when bytes do not
    match their sha256, InvalidStoredFunction when a stored version's
    settings break :func:`~pratai_bridge.functions.spec_mod.check_spec`,
    StoreError otherwise; :meth:`put` raises that function's ValueErrors
    for a spec it refuses.
    """

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    @abc.abstractmethod
    def put(self, spec: FunctionSpec, package: bytes) -> Function:
        """Store ``package`` as the next version of ``spec.name``."""

    @abc.abstractmethod
    def get(self, name: str, version: int | None = None) -> Function:
        """The given version of ``name``, the latest when None."""

    @abc.abstractmethod
    def fetch(self, function: Function) -> bytes:
        """The zip of ``function``, verified against its sha256."""

    @abc.abstractmethod
    def list(self) -> list[Function]:
        """The latest version of every function, by name."""

    # builtins.list: in the class body, "list" is the method above.
    @abc.abstractmethod
    def delete(self, name: str) -> builtins.list[Function]:
        """Delete every version of ``name``; return what was deleted."""
