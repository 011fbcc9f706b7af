"""Filter plugins (namespace ``pratai_bridge.filters``)."""

from pratai_bridge.filters.base import Filter
from pratai_bridge.filters.base import FilterSpecError

__all__ = ['Filter', 'FilterSpecError']
