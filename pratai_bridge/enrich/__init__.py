"""Enrichment: what the bridge looks up about an event before matching.

A subscription asks for it with ``enrich: [server]``; the looked-up
document goes under its name (``server``) in the event document that
patterns match and functions receive. One enricher per kind:

* ``server`` (:class:`~pratai_bridge.enrich.nova.ServerEnricher`): the
  Nova server of an instance event.

:class:`~pratai_bridge.enrich.stage.MatchStage` is where the pipeline
calls them. The enrichers import python-novaclient, which the admin CLI
should not pay for: they are imported when first named here.
"""

from typing import Any

from pratai_bridge.enrich.stage import MatchStage

__all__ = ['LookupStats', 'MatchStage', 'ServerEnricher']


def __getattr__(name: str) -> Any:
    if name == 'ServerEnricher':
        from pratai_bridge.enrich.nova import ServerEnricher
        return ServerEnricher
    if name == 'LookupStats':
        from pratai_bridge.enrich._lookups import LookupStats
        return LookupStats
    raise AttributeError(name)
