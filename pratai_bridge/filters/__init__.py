"""Filter plugins (namespace ``pratai_bridge.filters``).

A plugin subclasses :class:`Filter` (its docstring is the contract); to
take part in the matcher's index it returns an :class:`Index` of
:data:`Term` conjunctions from :meth:`Filter.index`.
"""

from pratai_bridge.filters._index import Index
from pratai_bridge.filters._index import Term
from pratai_bridge.filters.base import ABSENT
from pratai_bridge.filters.base import Filter
from pratai_bridge.filters.base import FilterSpecError
from pratai_bridge.filters.base import Mismatch

__all__ = ['ABSENT', 'Filter', 'FilterSpecError', 'Index', 'Mismatch',
           'Term']
