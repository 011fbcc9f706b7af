"""Creating and deleting functions: every step besides the store's own.

The admin CLI (and any later API) calls these, never ``store.put`` or
``store.delete`` directly, so steps that belong to a function's life
(building its image ahead of time, removing a deleted function's images)
join here without touching the callers.
"""

import logging

from oslo_config import cfg

from pratai_bridge.functions import names
from pratai_bridge.functions import package as package_mod
from pratai_bridge.functions.model import NETWORKS
from pratai_bridge.functions.model import RUNTIMES
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreError
from pratai_bridge.runners.base import Runner
from pratai_bridge.runners.base import RunnerError

__all__ = ['MEMORY_RANGE', 'TIMEOUT_RANGE', 'InvalidFunction',
           'check_spec', 'create_function', 'delete_function', 'make_spec']

#: MiB a function may ask for, inclusive
MEMORY_RANGE = (16, 16384)
#: seconds a function may ask for, inclusive
TIMEOUT_RANGE = (1, 3600)
_MIB = 1024 * 1024

LOG = logging.getLogger(__name__)


class InvalidFunction(ValueError):
    """A function's settings are out of bounds; the message says which.

    ``field`` is the FunctionSpec field at fault (``memory``...).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def make_spec(name: str, handler: str, memory: int = 128, timeout: int = 30,
              network: str = 'none', runtime: str = 'python3'
              ) -> FunctionSpec:
    """A FunctionSpec, once every setting is checked (ValueError if not)."""
    return check_spec(FunctionSpec(name=name, handler=handler,
                                   runtime=runtime, memory=memory,
                                   timeout=timeout, network=network))


def check_spec(spec: FunctionSpec) -> FunctionSpec:
    """Return ``spec`` if every setting is acceptable, else raise.

    The one rule for settings, applied when a function is uploaded and
    again when a store reads it back: what a store holds may have been
    written by something else, and a memory of 0 would mean no limit to
    the engine. Raises InvalidName or InvalidFunction.
    """
    _check_settings(spec.name, spec.memory, spec.timeout, spec.network,
                    spec.runtime)
    if not isinstance(spec.handler, str):
        raise InvalidFunction('handler', f'handler {spec.handler!r} is not '
                              'a module name')
    try:
        package_mod.check_module_name(spec.handler)
    except package_mod.PackageError as exc:
        raise InvalidFunction('handler', str(exc)) from exc
    return spec


def _check_settings(name: str, memory: int, timeout: int, network: str,
                    runtime: str) -> None:
    names.check_name(name)
    _check_range('memory', 'memory (MiB)', memory, MEMORY_RANGE)
    _check_range('timeout', 'timeout (s)', timeout, TIMEOUT_RANGE)
    if not isinstance(network, str) or network not in NETWORKS:
        raise InvalidFunction('network', f'network {network!r} is not one '
                              f'of {", ".join(NETWORKS)}')
    if not isinstance(runtime, str) or runtime not in RUNTIMES:
        raise InvalidFunction('runtime', f'runtime {runtime!r} is not one '
                              f'of {", ".join(RUNTIMES)}')


def create_function(conf: cfg.ConfigOpts, store: Store, name: str,
                    data: bytes, handler: str | None = None,
                    memory: int = 128, timeout: int = 30,
                    network: str = 'none') -> Function:
    """Check the zip ``data`` and the settings, then store a new version.

    Raises ValueError subclasses (InvalidName, InvalidFunction,
    PackageError) for what the caller got wrong, and the store's errors.
    """
    # The settings first: cheaper than reading the zip.
    _check_settings(name, memory, timeout, network, 'python3')
    info = package_mod.inspect(
        data, handler, max_files=conf.store.max_files,
        max_uncompressed=conf.store.max_uncompressed_mb * _MIB)
    spec = make_spec(name, info.handler, memory, timeout, network)
    return store.put(spec, data)


def delete_function(conf: cfg.ConfigOpts, store: Store, name: str,
                    runner: Runner | None = None) -> list[Function]:
    """Delete every version of ``name``; return what was deleted.

    With ``runner``, what it prepared for the deleted versions (images,
    virtualenvs) goes too, except for a zip that another function's latest
    version is made of: images are a cache keyed by the zip's bytes, so
    one removed while another function uses it would only be built again.
    Failing to remove them is logged, never an error: the function is
    deleted. Raises FunctionNotFound when there is no such function.
    """
    deleted = store.delete(name)
    if runner is not None:
        _forget(store, runner, deleted)
    return deleted


def _forget(store: Store, runner: Runner, deleted: list[Function]) -> None:
    try:
        in_use = {function.sha256 for function in store.list()}
    except StoreError as exc:
        LOG.warning('Images of the deleted function %s are kept: cannot '
                    'tell which other functions use them (%s)',
                    deleted[0].name, exc)
        return
    for sha256, function in {f.sha256: f for f in deleted}.items():
        if sha256 in in_use:
            continue
        try:
            runner.forget(function)
        except RunnerError as exc:
            LOG.warning('Cannot remove what was prepared for the deleted '
                        'function %s (sha256 %s): %s', function.ref, sha256,
                        exc)


def _check_range(field: str, what: str, value: int,
                 bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not (
            low <= value <= high):
        raise InvalidFunction(field, f'{what} must be an integer from {low} '
                              f'to {high}, not {value!r}')
