"""The settings of a function: the one rule for what is acceptable.

Applied when a function is uploaded (:mod:`pratai_bridge.deploy`) and again
whenever a store reads one back.
"""

from collections.abc import Mapping

from pratai_bridge.functions import names
from pratai_bridge.functions import package as package_mod
from pratai_bridge.functions.model import NETWORKS
from pratai_bridge.functions.model import RUNTIMES
from pratai_bridge.functions.model import WARM_SETTINGS
from pratai_bridge.functions.model import FunctionSpec

__all__ = ['MEMORY_RANGE', 'TIMEOUT_RANGE', 'WARM_RANGES', 'InvalidFunction',
           'check_project', 'check_settings', 'check_spec', 'check_warm',
           'make_spec']


#: MiB a function may ask for, inclusive
MEMORY_RANGE = (16, 16384)
#: seconds a function may ask for, inclusive
TIMEOUT_RANGE = (1, 3600)
#: what each warm setting may be when set (None: the runner's default)
WARM_RANGES = {'warm_pool_size': (0, 64), 'warm_idle_time': (0, 86400),
               'warm_max_uses': (0, 1000000)}


class InvalidFunction(ValueError):
    """A function's settings are out of bounds; the message says which.

    ``field`` is the FunctionSpec field at fault (``memory``...).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def make_spec(name: str, handler: str, memory: int = 128, timeout: int = 30,
              network: str = 'none', runtime: str = 'python3',
              warm: Mapping[str, int | None] | None = None,
              project: str | None = None) -> FunctionSpec:
    """A FunctionSpec, once every setting is checked (ValueError if not).

    ``warm`` holds ``warm_*`` settings (see FunctionSpec); those it
    leaves out are None. ``project`` owns the function (None: the
    operator).
    """
    warm = dict(warm or {})
    check_warm(warm)
    return check_spec(FunctionSpec(
        name=name, handler=handler, runtime=runtime, memory=memory,
        timeout=timeout, network=network, project=project,
        **{field: warm.get(field) for field in WARM_SETTINGS}))


def check_spec(spec: FunctionSpec) -> FunctionSpec:
    """Return ``spec`` if every setting is acceptable, else raise.

    The one rule for settings, applied when a function is uploaded and
    again when a store reads it back: what a store holds may have been
    written by something else, and a memory of 0 would mean no limit to
    the engine. Raises InvalidName or InvalidFunction.
    """
    check_settings(spec.name, spec.memory, spec.timeout, spec.network,
                   spec.runtime)
    if not isinstance(spec.handler, str):
        raise InvalidFunction('handler', f'handler {spec.handler!r} is not '
                              'a module name')
    try:
        package_mod.check_module_name(spec.handler)
    except package_mod.PackageError as exc:
        raise InvalidFunction('handler', str(exc)) from exc
    check_warm({field: getattr(spec, field) for field in WARM_SETTINGS})
    check_project(spec.project)
    return spec


def check_project(project: str | None) -> None:
    """Raise InvalidFunction unless ``project`` is None or a project id
    (1 to 255 characters, no whitespace)."""
    if project is None:
        return
    if not isinstance(project, str) or not 1 <= len(project) <= 255 or any(
            c.isspace() for c in project):
        raise InvalidFunction('project', f'project {project!r} is not a '
                              'project id')


def check_warm(settings: Mapping[str, int | None]) -> None:
    """Raise InvalidFunction for a warm setting that is neither None nor
    an integer in its :data:`WARM_RANGES`."""
    for field, value in settings.items():
        if field not in WARM_RANGES:
            raise InvalidFunction(field, f'{field} is not a warm setting')
        if value is not None:
            _check_range(field, field.replace('_', ' '), value,
                         WARM_RANGES[field])


def check_settings(name: str, memory: int, timeout: int, network: str,
                   runtime: str) -> None:
    """Raise InvalidName or InvalidFunction for a setting out of bounds."""
    names.check_name(name)
    _check_range('memory', 'memory (MiB)', memory, MEMORY_RANGE)
    _check_range('timeout', 'timeout (s)', timeout, TIMEOUT_RANGE)
    if not isinstance(network, str) or network not in NETWORKS:
        raise InvalidFunction('network', f'network {network!r} is not one '
                              f'of {", ".join(NETWORKS)}')
    if not isinstance(runtime, str) or runtime not in RUNTIMES:
        raise InvalidFunction('runtime', f'runtime {runtime!r} is not one '
                              f'of {", ".join(RUNTIMES)}')


def _check_range(field: str, what: str, value: int,
                 bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not (
            low <= value <= high):
        raise InvalidFunction(field, f'{what} must be an integer from {low} '
                              f'to {high}, not {value!r}')
