"""The event side of the bridge: decode, normalize, match, journal.

One call handles one batch of notifications as oslo.messaging delivers it.
The batch is committed to the journal in one transaction before the call
returns, and the listener acks the batch only after that: a crash at any
point redelivers the batch, and the journal's uniqueness on message_id and
(message_id, subscription) makes the redelivery add nothing twice.

A poison message must not hold its batch hostage. A filter that raises is
no match for its subscription (the matcher guards every filter call and
reports it); the failure is kept with the event in the journal. Any other
exception on one notification parks that notification as rejected. When
the journal refuses
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
from collections.abc import Collection
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
from pratai_bridge.metrics import Metrics
from pratai_bridge.subscriptions.model import Subscription

LOG = logging.getLogger(__name__)


class Recorder(Protocol):
    """What the pipeline needs of the journal."""

    def record(self, events: Sequence[Event],
               matches: Sequence[tuple[Event, Subscription]],
               rejected: Sequence[Rejected],
               filter_errors: Mapping[str, Sequence[Mapping[str, str]]]
               | None = None) -> int: ...


class _Batch:
    """What one call of :meth:`Pipeline.handle` gathers before its commit."""

    def __init__(self, rejected: Sequence[Rejected]) -> None:
        # Rejected before the pipeline (undecodable) count as received.
        self.undecodable = len(rejected)
        self.rejected = list(rejected)
        self.events: list[Event] = []
        self.matches: list[tuple[Event, Subscription]] = []
        # message id -> the filters that raised on it (dicts for the journal)
        self.filter_errors: dict[str, list[dict[str, str]]] = {}
        self.dropped = 0


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
    #: the matched pairs, for callers that show them (the CLI); not in
    #: repr, which the listener logs: events carry payloads
    matches: tuple[tuple[Event, Subscription], ...] = dataclasses.field(
        default=(), repr=False)


class Pipeline:
    """Turn batches of notifications into journaled events and matches."""

    def __init__(self, normalizers: Normalizers, matcher: Matcher,
                 journal: Recorder, record_unmatched: bool = True,
                 on_new_executions: Callable[[], None] | None = None,
                 metrics: Metrics | None = None,
                 stage: MatchStage | None = None) -> None:
        """``on_new_executions`` is called after a commit that added
        executions (the dispatcher's wake()); it must not block.
        ``metrics`` counts what each committed batch held.
        ``stage`` matches each event (enrichment, the loop guard's cause:
        see :mod:`pratai_bridge.enrich.stage`)."""
        self._normalizers = normalizers
        self._metrics = metrics or Metrics()
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
        return self.handle_listened(exchange,
                                    ((priority, m) for m in messages))

    def handle_listened(self, exchange: str,
                        messages: Iterable[tuple[str, Any]],
                        priorities: Collection[str] | None = None
                        ) -> BatchResult:
        """Handle ``(priority, message)`` pairs from one exchange, each
        message as a notification endpoint receives it, in one commit.

        With ``priorities``, a message of another priority is parked.
        """
        notifications: list[Notification] = []
        rejected: list[Rejected] = []
        for priority, message in messages:
            try:
                if priorities is not None and priority not in priorities:
                    raise decode.DecodeError(
                        f'unknown priority {priority!r}')
                notifications.append(
                    decode.from_listener(exchange, priority, message))
            except decode.DecodeError as exc:
                rejected.append(_reject(exchange, message, exc))
            except Exception as exc:
                LOG.exception('A message from exchange %s failed to decode; '
                              'parking it', exchange)
                rejected.append(_reject(exchange, message,
                                        f'{type(exc).__name__}: {exc}'))
        return self.handle(notifications, rejected)

    def handle(self, notifications: Sequence[Notification],
               rejected: Sequence[Rejected] = ()) -> BatchResult:
        """Normalize, match and journal ``notifications`` in one commit.

        A notification that fails on its own (it cannot be normalized, or
        anything else raises on it) is parked as rejected; a filter that
        raises is no match for its subscription and is kept with the event.
        Raises whatever the journal raises when it cannot record the whole
        batch: the caller must then not ack.
        """
        batch = _Batch(rejected)
        matcher = self._matcher
        for notification in notifications:
            if (not self._record_unmatched and notification.event_type
                    and not matcher.could_match(notification.event_type)):
                batch.dropped += 1
                continue
            try:
                self._add(batch, matcher, notification)
            except NormalizationError as exc:
                batch.rejected.append(_reject(
                    notification.exchange, dataclasses.asdict(notification),
                    exc))
            except Exception as exc:
                # Not the journal's fault: this message alone is parked,
                # its batch goes on.
                LOG.exception('Notification %s (%s) failed in the pipeline; '
                              'parking it', notification.message_id,
                              notification.event_type)
                batch.rejected.append(_reject(
                    notification.exchange, dataclasses.asdict(notification),
                    f'{type(exc).__name__}: {exc}'))
        new = self._commit(batch)
        self._metrics.journaled(
            [*notifications, *batch.rejected[:batch.undecodable]],
            batch.rejected, batch.events, (s.name for _, s in batch.matches))
        if new and self._on_new_executions is not None:
            self._on_new_executions()
        return BatchResult(
            received=len(notifications) + batch.undecodable,
            recorded=len(batch.events), dropped=batch.dropped,
            rejected=len(batch.rejected), matched=len(batch.matches),
            new_executions=new, matches=tuple(batch.matches))

    def _add(self, batch: '_Batch', matcher: Matcher,
             notification: Notification) -> None:
        """Normalize and match one notification into ``batch``."""
        event = self._normalizers.normalize(notification)
        event, result = self._stage.match(matcher, notification, event)
        found = result.subscriptions
        for subscription in found:
            LOG.debug('Event %s (%s) matches subscription %s',
                      event.message_id, event.event_type, subscription.name)
        if result.failures:
            batch.filter_errors[event.message_id] = [
                dataclasses.asdict(f) for f in result.failures]
        # An event a filter raised on is kept, so the failure is.
        if found or result.failures or self._record_unmatched:
            batch.events.append(event)
        else:
            batch.dropped += 1
        batch.matches.extend((event, sub) for sub in found)

    def _commit(self, batch: '_Batch') -> int:
        """Record ``batch`` in one transaction, or one by one when the
        journal refuses it for its content; returns new executions."""
        try:
            return self._journal.record(batch.events, batch.matches,
                                        batch.rejected, batch.filter_errors)
        except RecordRefused as exc:
            LOG.warning('Journal refused a batch of %d events (%s); '
                        'recording them one by one', len(batch.events), exc)
            new, parked = self._record_each(batch)
            batch.rejected.extend(parked)
            return new

    def _record_each(self, batch: '_Batch') -> tuple[int, list[Rejected]]:
        """Record one at a time; park what the journal refuses.

        Returns the new executions and what was parked in place of the
        events refused. Raises what is not a refusal (the journal is away).
        """
        new = 0
        parked: list[Rejected] = []
        for event in batch.events:
            mine = [m for m in batch.matches if m[0] is event]
            errors = batch.filter_errors.get(event.message_id)
            try:
                new += self._journal.record(
                    [event], mine, [],
                    {event.message_id: errors} if errors else None)
            except RecordRefused as exc:
                # Under an id of our own: the sender's may be the culprit.
                parked.append(_reject(event.exchange, event.as_document(),
                                      f'the journal refused it: {exc}',
                                      trust_id=False))
        for one in list(batch.rejected) + parked:
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
