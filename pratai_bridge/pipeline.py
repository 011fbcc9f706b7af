"""The event side of the bridge: decode, normalize, match, journal.

One call handles one batch of notifications as oslo.messaging delivers it.
The batch is committed to the journal in one transaction before the call
returns, and the listener acks the batch only after that: a crash at any
point redelivers the batch, and the journal's uniqueness on message_id and
(message_id, subscription) makes the redelivery add nothing twice.

A poison message must not hold its batch hostage: when the journal refuses
a batch for its content (:class:`~pratai_bridge.journal.RecordRefused`),
each event is recorded alone and the ones refused again are parked as
rejected, so the rest are acked. Only when the journal cannot record at
all (it is away) does the call raise, and the batch come back later.

Concurrency: several listener threads call :meth:`Pipeline.handle` at once.
The pipeline holds no per-call state; the matcher is swapped whole by
:meth:`Pipeline.set_matcher` (a single reference assignment), so a batch is
matched against either the old or the new subscriptions, never a mix.
"""

import dataclasses
import json
import logging
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import Protocol

from pratai_bridge.enrich.stage import MatchStage
from pratai_bridge.events import decode
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification
from pratai_bridge.events.model import Rejected
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.journal import RecordRefused
from pratai_bridge.matcher import Matcher
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)


class Recorder(Protocol):
    """What the pipeline needs of the journal."""

    def record(self, events: Sequence[Event],
               matches: Sequence[tuple[Event, Subscription]],
               rejected: Sequence[Rejected]) -> int: ...


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """What became of one batch."""

    received: int = 0
    #: events journaled (matched, or all when unmatched ones are kept)
    recorded: int = 0
    #: notifications no subscription could match, not journaled
    dropped: int = 0
    rejected: int = 0
    #: (event, subscription) pairs found
    matched: int = 0
    #: executions the journal did not already have
    new_executions: int = 0
    #: the matched pairs, for callers that show them (the CLI)
    matches: tuple[tuple[Event, Subscription], ...] = ()


class Pipeline:
    """Turn batches of notifications into journaled events and matches."""

    def __init__(self, normalizers: Normalizers, matcher: Matcher,
                 journal: Recorder, record_unmatched: bool = True,
                 on_new_executions: Callable[[], None] | None = None,
                 stage: MatchStage | None = None) -> None:
        """``on_new_executions`` is called after a commit that added
        executions (the dispatcher's wake()); it must not block.
        ``stage`` matches each event (enrichment, the loop guard's cause:
        see :mod:`pratai_bridge.enrich.stage`)."""
        self._normalizers = normalizers
        self._stage = stage or MatchStage()
        self._on_new_executions = on_new_executions
        # Replaced whole on reload; read once per batch.
        self._matcher = matcher
        self._journal = journal
        self._record_unmatched = record_unmatched

    @property
    def matcher(self) -> Matcher:
        return self._matcher

    def set_matcher(self, matcher: Matcher) -> None:
        """Use ``matcher`` for every batch from now on."""
        self._matcher = matcher

    def handle_messages(self, exchange: str, priority: str,
                        messages: Iterable[Mapping[str, Any]]
                        ) -> BatchResult:
        """Handle a batch as a batch listener endpoint receives it."""
        notifications: list[Notification] = []
        rejected: list[Rejected] = []
        for message in messages:
            try:
                notifications.append(
                    decode.from_listener(exchange, priority, message))
            except decode.DecodeError as exc:
                rejected.append(_reject(exchange, message, exc))
        return self.handle(notifications, rejected)

    def handle(self, notifications: Sequence[Notification],
               rejected: Sequence[Rejected] = ()) -> BatchResult:
        """Normalize, match and journal ``notifications`` in one commit.

        Raises whatever the journal raises: the caller must then not ack.
        """
        matcher = self._matcher
        undecodable = len(rejected)
        rejected = list(rejected)
        events: list[Event] = []
        matches: list[tuple[Event, Subscription]] = []
        dropped = 0
        for notification in notifications:
            if (not self._record_unmatched and notification.event_type
                    and not matcher.could_match(notification.event_type)):
                dropped += 1
                continue
            try:
                event = self._normalizers.normalize(notification)
            except NormalizationError as exc:
                rejected.append(_reject(notification.exchange,
                                        dataclasses.asdict(notification),
                                        exc))
                continue
            event, found = self._stage.match(matcher, notification, event)
            for subscription in found:
                LOG.debug('Event %s (%s) matches subscription %s',
                          event.message_id, event.event_type,
                          subscription.name)
            if found or self._record_unmatched:
                events.append(event)
            else:
                dropped += 1
            matches.extend((event, sub) for sub in found)
        try:
            new = self._journal.record(events, matches, rejected)
        except RecordRefused as exc:
            LOG.warning('Journal refused a batch of %d events (%s); '
                        'recording them one by one', len(events), exc)
            new, parked = self._record_each(events, matches, rejected)
            rejected.extend(parked)
        if new and self._on_new_executions is not None:
            self._on_new_executions()
        return BatchResult(
            received=len(notifications) + undecodable,
            recorded=len(events), dropped=dropped, rejected=len(rejected),
            matched=len(matches), new_executions=new,
            matches=tuple(matches))

    def _record_each(self, events: Sequence[Event],
                     matches: Sequence[tuple[Event, Subscription]],
                     rejected: Sequence[Rejected]
                     ) -> tuple[int, list[Rejected]]:
        """Record one at a time; park what the journal refuses.

        Returns the new executions and what was parked in place of the
        events refused. Raises what is not a refusal (the journal is away).
        """
        new = 0
        parked: list[Rejected] = []
        for event in events:
            mine = [m for m in matches if m[0] is event]
            try:
                new += self._journal.record([event], mine, [])
            except RecordRefused as exc:
                # Under an id of our own: the sender's may be the culprit.
                parked.append(_reject(event.exchange, event.as_document(),
                                      f'the journal refused it: {exc}',
                                      trust_id=False))
        for one in list(rejected) + parked:
            try:
                self._journal.record([], [], [one])
            except RecordRefused as exc:
                LOG.error('Journal refused even the rejected notification '
                          '%s (%s); dropping it: %s', one.message_id,
                          one.event_type, exc)
        return new, parked


def _reject(exchange: str | None, raw: Any, exc: Exception | str,
            trust_id: bool = True) -> Rejected:
    """Park what could not be read, under the sender's id when it has one
    and ``trust_id``, else under an id derived from the content."""
    message_id = None
    event_type = None
    if isinstance(raw, Mapping):
        metadata = raw.get('metadata')
        if isinstance(metadata, Mapping) and trust_id:
            message_id = metadata.get('message_id')
        if trust_id:
            message_id = message_id or raw.get('message_id')
        event_type = raw.get('event_type')
    if not isinstance(message_id, str) or not message_id:
        # Derived from the content, so a redelivery is parked only once.
        canonical = json.dumps(raw, sort_keys=True, default=str)
        message_id = f'rejected-{uuid.uuid5(uuid.NAMESPACE_URL, canonical)}'
    if not isinstance(event_type, str):
        event_type = None
    LOG.warning('Parking notification %s (%s) from exchange %s: %s',
                message_id, event_type, exchange, exc)
    return Rejected(message_id=message_id, exchange=exchange,
                    event_type=event_type, reason=str(exc), raw=raw)
