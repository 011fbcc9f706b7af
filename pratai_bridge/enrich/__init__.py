"""Enrichment: what the bridge looks up about an event before matching.

A subscription asks for it with ``enrich: [server]``; the looked-up
document goes under its name (``server``) in the event document that
patterns match and functions receive. One enricher per kind:

* ``server`` (:class:`~pratai_bridge.enrich.nova.ServerEnricher`): the
  Nova server of an instance event.
"""

from pratai_bridge.enrich._lookups import LookupStats
from pratai_bridge.enrich.nova import ServerEnricher

__all__ = ['LookupStats', 'ServerEnricher']
