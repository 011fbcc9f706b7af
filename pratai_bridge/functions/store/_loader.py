"""Load the configured store plugin (``[store] driver``)."""

from oslo_config import cfg

from pratai_bridge import _plugins
from pratai_bridge.functions.store import base

NAMESPACE = 'pratai_bridge.stores'


class UnknownStore(base.StoreError):
    """``[store] driver`` names no installed store plugin."""


def known_drivers() -> list[str]:
    """The names of the installed store plugins."""
    return _plugins.known_drivers(NAMESPACE)


def load_store(conf: cfg.ConfigOpts) -> base.Store:
    """The store ``[store] driver`` names, built with ``conf``.

    Raises UnknownStore (listing the known drivers) for an unknown name,
    and the plugin's own StoreError when its configuration is wrong.
    """
    return _plugins.load_driver(NAMESPACE, conf.store.driver, conf,
                                base.Store, UnknownStore, 'store',
                                failure_class=base.StoreError)
