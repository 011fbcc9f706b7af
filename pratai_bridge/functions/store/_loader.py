"""Load the configured store plugin (``[store] driver``)."""

import importlib.metadata
from typing import Any

from oslo_config import cfg

from pratai_bridge import _plugins
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store import cache

NAMESPACE = 'pratai_bridge.stores'


class UnknownStore(base.StoreError):
    """``[store] driver`` names no installed store plugin."""


def known_drivers() -> list[str]:
    """The names of the installed store plugins."""
    return _plugins.known_drivers(NAMESPACE)


def load_store(conf: cfg.ConfigOpts, cached: bool = False,
               sessions: Any = None) -> base.Store:
    """The store ``[store] driver`` names, built with ``conf``.

    ``cached``: wrapped in the host's cache (:mod:`.cache`), as the
    bridge uses it; the admin CLI asks the store itself. ``sessions``
    (:class:`pratai_bridge.keystone.Sessions`) is handed to a store whose
    class says it takes them (``takes_sessions``), so that it shares the
    process's keystoneauth1 sessions and tokens. Raises
    UnknownStore (listing the known drivers) for an unknown name, and the
    plugin's own StoreError when its configuration is wrong.
    """
    extra = {}
    if sessions is not None and _takes_sessions(conf.store.driver):
        extra['sessions'] = sessions
    store = _plugins.load_driver(NAMESPACE, conf.store.driver, conf,
                                 base.Store, UnknownStore, 'store',
                                 failure_class=base.StoreError, **extra)
    return cache.CachedStore(conf, store) if cached else store


def _takes_sessions(name: str) -> bool:
    for entry_point in importlib.metadata.entry_points(group=NAMESPACE,
                                                       name=name):
        try:
            return bool(getattr(entry_point.load(), 'takes_sessions',
                                False))
        except Exception:  # load_driver reports it, with its cause
            return False
    return False
