"""Load the configured store plugin (``[store] driver``)."""

import importlib.metadata

import stevedore
from stevedore import exception as stevedore_exc
from oslo_config import cfg

from pratai_bridge.functions.store import base

NAMESPACE = 'pratai_bridge.stores'


class UnknownStore(base.StoreError):
    """``[store] driver`` names no installed store plugin."""


def known_drivers() -> list[str]:
    """The names of the installed store plugins."""
    entry_points = importlib.metadata.entry_points(group=NAMESPACE)
    return sorted({ep.name for ep in entry_points})


def load_store(conf: cfg.ConfigOpts) -> base.Store:
    """The store ``[store] driver`` names, built with ``conf``.

    Raises UnknownStore (listing the known drivers) for an unknown name,
    and the plugin's own StoreError when its configuration is wrong.
    """
    name = conf.store.driver
    try:
        manager = stevedore.DriverManager(
            NAMESPACE, name, invoke_on_load=True, invoke_args=(conf,),
            on_load_failure_callback=_raise_load_failure)
    except stevedore_exc.NoMatches as exc:
        raise UnknownStore(
            f'unknown [store] driver {name!r}; known drivers: '
            f'{", ".join(known_drivers()) or "none installed"}') from exc
    store = manager.driver
    if not isinstance(store, base.Store):
        raise TypeError(f'store driver {name!r} is not a '
                        'pratai_bridge.functions.store.base.Store')
    return store


def _raise_load_failure(manager, entrypoint, exc):
    # Without this, stevedore logs the failure and then reports "no
    # driver found", hiding the real cause (a missing library, bad config).
    if isinstance(exc, base.StoreError):
        raise exc
    raise base.StoreError(f'cannot load store driver {entrypoint.name!r}: '
                          f'{exc}') from exc
