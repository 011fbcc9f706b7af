"""Function stores (namespace ``pratai_bridge.stores``)."""

from pratai_bridge.functions.store.base import FunctionNotFound
from pratai_bridge.functions.store.base import IntegrityError
from pratai_bridge.functions.store.base import InvalidStoredFunction
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreError
from pratai_bridge.functions.store.base import StoreUnavailable

__all__ = ['FunctionNotFound', 'IntegrityError', 'InvalidStoredFunction',
           'Store', 'StoreError', 'StoreUnavailable']
