"""Why a subscription did, or did not, match an event ("why didn't my
function fire?"), as plain data for the CLI to print.

:func:`explain` goes through the subscriptions that could apply to the
event (those whose event-type condition admits its type; or the one
named), and for each says whether it matched and, if not, which filter
failed first, and there each field, the value found (or "absent") and the
condition it failed. It uses the filters themselves (their
:meth:`~pratai_bridge.filters.Filter.explain`), not the index, so it
agrees with :meth:`Matcher.match` by construction: a test holds them
together.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from pratai_bridge.events.model import Event
from pratai_bridge.filters.base import ABSENT
from pratai_bridge.filters.base import Mismatch
from pratai_bridge.filters.base import show
from pratai_bridge.matcher import Matcher
from pratai_bridge.matcher import guarded_match
from pratai_bridge.subscriptions.model import Subscription

__all__ = ['Explanation', 'UnknownSubscription', 'explain']


class UnknownSubscription(KeyError):
    """The subscription named for an explanation does not exist."""


@dataclasses.dataclass(frozen=True)
class Explanation:
    """One subscription against one event."""

    subscription: str
    #: ``file:line`` of the subscription.
    origin: str
    matched: bool
    #: The first filter that failed: ``project``, ``filters[1] pattern``...
    #: (empty when it matched).
    filter: str = ''
    #: What failed in it, field by field.
    mismatches: tuple[Mismatch, ...] = ()
    #: The filter raised instead (``ValueError: ...``), counted as no match.
    error: str = ''


def _admits_type(matcher: Matcher, index: int, event_type: str) -> bool:
    """Whether the subscription's index lets this event type through."""
    for clause in matcher.clauses(index):
        if all(any(condition.test(event_type) for condition in conditions)
               for path, conditions in clause if path == ('event_type',)):
            return True
    return False


def _one(subscription: Subscription, event: Event,
         document: Mapping[str, Any]) -> Explanation:
    origin = subscription.origin
    name = subscription.name
    if (subscription.project is not None
            and subscription.project != event.project_id):
        found = (ABSENT if event.project_id is None
                 else show(event.project_id))
        return Explanation(name, origin, False, 'project', (Mismatch(
            'project_id', found, show(subscription.project)),))
    for number, subscription_filter in enumerate(subscription.filters):
        label = f'filters[{number}] {subscription_filter.name}'
        failures: list = []
        if not guarded_match(subscription_filter, document, subscription,
                             event.message_id, failures):
            if failures:
                return Explanation(name, origin, False, label,
                                   error=failures[0].error)
            try:
                why = subscription_filter.explain(document)
            except Exception as exc:
                # Explaining is best effort: say so rather than fail.
                why = (Mismatch('', '', f'cannot explain: {exc}'),)
            return Explanation(name, origin, False, label, tuple(why) or (
                Mismatch('', '', f'{subscription_filter.name}: '
                                 f'{show(subscription_filter.spec)}'),))
    return Explanation(name, origin, True)


def explain(matcher: Matcher, event: Event, name: str | None = None
            ) -> tuple[Explanation, ...]:
    """Explanations for ``event``, in subscription order.

    With ``name``, only that subscription (raises UnknownSubscription if
    there is none); without, every subscription that could apply.
    """
    if name is not None and name not in matcher.by_name:
        raise UnknownSubscription(name)
    document = event.as_document()
    found = []
    for index, subscription in enumerate(matcher.subscriptions):
        if name is not None:
            if subscription.name != name:
                continue
        elif not _admits_type(matcher, index, event.event_type):
            continue
        found.append(_one(subscription, event, document))
    return tuple(found)
