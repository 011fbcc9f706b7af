"""Load the configured store plugin (``[store] driver``)."""

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


def load_store(conf: cfg.ConfigOpts, cached: bool = False) -> base.Store:
    """The store ``[store] driver`` names, built with ``conf``.

    ``cached``: wrapped in the host's cache (:mod:`.cache`), as the
    bridge uses it; the admin CLI asks the store itself. Raises
    UnknownStore (listing the known drivers) for an unknown name, and the
    plugin's own StoreError when its configuration is wrong.
    """
    store = _plugins.load_driver(NAMESPACE, conf.store.driver, conf,
                                 base.Store, UnknownStore, 'store',
                                 failure_class=base.StoreError)
    return cache.CachedStore(conf, store) if cached else store
