"""Loading the one configured driver of a plugin namespace.

The store (``[store] driver``) and the runner (``[runner] driver``) are
each exactly one plugin, loaded with stevedore's driver manager and built
with the configuration. Both want the same behaviour from the loader, kept
here once:

* an unknown name stops startup with an error that lists the known ones;
* a plugin that fails while being imported or built reports the real
  cause (stevedore alone logs it and then says "no driver found");
* a plugin that is not an instance of the namespace's base class is a
  programming error (TypeError), not a configuration one.
"""

import importlib.metadata
from typing import Any

import stevedore
from oslo_config import cfg
from stevedore import exception as stevedore_exc

__all__ = ['known_drivers', 'load_driver']


def known_drivers(namespace: str) -> list[str]:
    """The names of the installed plugins of ``namespace``, sorted."""
    entry_points = importlib.metadata.entry_points(group=namespace)
    return sorted({ep.name for ep in entry_points})


def load_driver(namespace: str, name: str, conf: cfg.ConfigOpts,
                base_class: type, error_class: type[Exception],
                what: str, failure_class: type[Exception] | None = None,
                **kwargs: Any) -> Any:
    """The plugin ``name`` of ``namespace``, built as ``plugin(conf,
    **kwargs)``.

    ``what`` is the option group naming the driver (``store``), used in
    messages. Raises ``error_class`` when no plugin has that name (the
    message lists the known ones). When the plugin fails to import or to
    build, an exception that is a ``failure_class`` (by default
    ``error_class``) is raised as it is, as the plugin's own explanation,
    and any other is wrapped in a ``failure_class``. Raises TypeError when
    the plugin is not a ``base_class``. The caller declares the type
    returned: mypy takes no abstract class as a type parameter.
    """
    failure = failure_class or error_class

    def _raise_load_failure(manager: Any, entrypoint: Any,
                            exc: BaseException) -> None:
        if isinstance(exc, failure):
            raise exc
        raise failure(f'cannot load {what} driver {entrypoint.name!r}: '
                      f'{exc}') from exc

    def unknown() -> Exception:
        known = ', '.join(known_drivers(namespace)) or 'none installed'
        return error_class(f'unknown [{what}] driver {name!r}; known '
                           f'drivers: {known}')

    if name not in known_drivers(namespace):
        # Asked first: stevedore's DriverManager would log its own warning
        # ("Could not load") before ours, which lists the known names.
        raise unknown()
    try:
        manager = stevedore.DriverManager(
            namespace, name, invoke_on_load=True, invoke_args=(conf,),
            invoke_kwds=kwargs,
            on_load_failure_callback=_raise_load_failure)
    except stevedore_exc.NoMatches as exc:
        raise unknown() from exc
    driver = manager.driver
    if not isinstance(driver, base_class):
        raise TypeError(f'{what} driver {name!r} is not a '
                        f'{base_class.__module__}.{base_class.__qualname__}')
    return driver
