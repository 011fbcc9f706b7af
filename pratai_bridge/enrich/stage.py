"""Matching, with what subscriptions asked to be looked up first.

:meth:`MatchStage.match` is the pipeline's match step for one event. It
sets the event's ``cause`` (the loop guard's, :mod:`pratai_bridge.chain`)
and matches every subscription; then, when a subscription that asked for
``enrich: [server]`` may match this instance event (its event type), it
looks the server up (:class:`~pratai_bridge.enrich.nova.ServerEnricher`:
cached, coalesced, bounded, never raising), adds it under ``server`` and
matches those subscriptions again on the enriched event. So:

* a subscription that asked is matched on the event with ``server``
  (its patterns may name ``server.metadata.autoscale``), or without it
  when the lookup gave nothing (Nova down, 404): never a lost event;
* a subscription that did not ask is matched on the event as received,
  whatever others asked, so its results never depend on theirs;
* the event journaled, and so what every function is handed, is the
  enriched one (:mod:`pratai_bridge.credentials.handoff` takes ``server``
  out again for the functions of subscriptions that did not ask);
* an event no asking subscription can match costs no lookup.

The obvious alternative, one enrichment before one match, lost: a
subscription's match would then depend on whether another one asked.

Thread safety: listener threads call :meth:`match` at once; the only
state is the last matcher's subset of asking subscriptions, replaced
whole (two threads may both compute it after a reload, harmlessly).
"""

import dataclasses
import logging
from typing import Protocol

from pratai_bridge import chain
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification
from pratai_bridge.matcher import Matcher
from pratai_bridge.matcher import MatchResult

__all__ = ['MatchStage', 'ServerLookup', 'SERVER', 'is_instance_event']

LOG = logging.getLogger(__name__)

#: the enricher name a subscription asks for, and the document key
SERVER = 'server'
_INSTANCE_PREFIXES = ('compute.instance.', 'instance.')


def is_instance_event(event: Event) -> bool:
    """Whether ``event`` is about one server (so it can be looked up)."""
    return (event.source == 'nova' and bool(event.resource_id)
            and event.event_type.startswith(_INSTANCE_PREFIXES))


class ServerLookup(Protocol):
    """What the stage needs of the enricher (ServerEnricher)."""

    def server(self, event: Event) -> dict | None: ...


@dataclasses.dataclass(frozen=True)
class _Asking:
    """The subscriptions of one matcher that asked for ``server``."""

    matcher: Matcher
    #: None when none asked
    subset: Matcher | None
    #: subscription name -> its place in the matcher (results keep it)
    position: dict[str, int]
    #: the names of the asking subscriptions
    names: frozenset[str]


class MatchStage:
    """Sets the cause, enriches when asked, matches (see the module)."""

    def __init__(self, servers: ServerLookup | None = None) -> None:
        """``servers`` None: no ``[nova]`` configured; subscriptions that
        ask for ``server`` are matched without it (warned once per set)."""
        self._servers = servers
        # The last matcher seen and its asking subset, replaced whole.
        self._asking: _Asking | None = None

    def match(self, matcher: Matcher, notification: Notification,
              event: Event) -> tuple[Event, MatchResult]:
        """(the event to journal, what it matches: the subscriptions and
        the filters that raised, as :meth:`Matcher.match_event`)."""
        cause = chain.cause_of(notification.ctxt)
        if cause is not None:
            event = dataclasses.replace(event, cause=cause)
        result = matcher.match_event(event)
        asking = self._subset(matcher)
        if (asking is None or not is_instance_event(event)
                or not asking.could_match(event.event_type)):
            return event, result
        server = self._servers.server(event) if self._servers else None
        if server is not None:
            event = dataclasses.replace(
                event, enrichment={**event.enrichment, SERVER: server})
        return event, _merge(self._asking_of(matcher), result,
                             asking.match_event(event))

    def _subset(self, matcher: Matcher) -> Matcher | None:
        return self._asking_of(matcher).subset

    def _asking_of(self, matcher: Matcher) -> _Asking:
        known = self._asking
        if known is None or known.matcher is not matcher:
            wanting = [s for s in matcher.subscriptions if SERVER in s.enrich]
            known = _Asking(matcher, Matcher(wanting) if wanting else None,
                            {s.name: i for i, s in
                             enumerate(matcher.subscriptions)}
                            if wanting else {},
                            frozenset(s.name for s in wanting))
            self._asking = known
            if wanting and self._servers is None:
                LOG.warning('Subscriptions %s ask for enrich: [server] but '
                            '[nova] has no auth_type: their events go on '
                            'without "server"',
                            ', '.join(s.name for s in wanting))
        return known


def _merge(asking: _Asking, plain: MatchResult,
           enriched: MatchResult) -> MatchResult:
    """What the non-asking subscriptions found in ``plain`` and the
    asking ones in ``enriched``, in subscription order (as the matcher
    returns them)."""
    position = asking.position
    found = [s for s in plain.subscriptions if SERVER not in s.enrich]
    found.extend(enriched.subscriptions)
    failures = [f for f in plain.failures
                if f.subscription not in asking.names]
    failures.extend(enriched.failures)
    return MatchResult(tuple(sorted(found, key=lambda s: position[s.name])),
                       tuple(failures))
