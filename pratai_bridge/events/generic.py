"""The fields every Event has, and the normalizer for unknown notifications.

:class:`GenericNormalizer` is not an entry point: :mod:`normalize` uses it
when no plugin takes a notification, so an event from a service the bridge
does not know still reaches subscriptions, with the common fields only.
The source normalizers build their Events with :func:`make_event` so that
the common fields are read, checked and defaulted in one place.
"""

import json
import uuid
from collections.abc import Mapping
from typing import Any

from pratai_bridge.events import _time
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.base import Normalizer
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification

# Fixed forever: changing it changes the id of every notification that
# arrives without one, and the journal would take redeliveries as new.
_ID_NAMESPACE = uuid.UUID('8b0f6f53-4c7e-5b1a-9b43-2f1c60a5d6e1')


def message_id_for(notification: Notification) -> str:
    """The sender's message id, or one derived from the content.

    The derived id is a uuid5 of the canonical JSON of what the sender
    said (event type, publisher, priority, timestamp, payload), so a
    redelivery, or the same notification replayed from a file, gets the
    same id. The exchange and the context are left out: a file does not
    always say the exchange, and the context is not the notification.
    """
    message_id = notification.metadata.get('message_id')
    if isinstance(message_id, str) and message_id:
        return message_id
    canonical = json.dumps(
        {'event_type': notification.event_type,
         'publisher_id': notification.publisher_id,
         'priority': notification.priority,
         'timestamp': notification.metadata.get('timestamp'),
         'payload': notification.payload},
        sort_keys=True, separators=(',', ':'), ensure_ascii=False,
        default=repr)
    return str(uuid.uuid5(_ID_NAMESPACE, canonical))


def as_id(value: Any, what: str) -> str | None:
    """An identifier field as a string; None when absent or empty.

    Integers are accepted (old payloads use numeric ids); anything else
    is a malformed payload.
    """
    if value is None or value == '':
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise NormalizationError(
        f'{what} must be a string, not {_json_type(value)}')


def require_dict(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else NormalizationError."""
    if not isinstance(value, Mapping):
        raise NormalizationError(
            f'{what} must be a JSON object, not {_json_type(value)}')
    return value


def optional_dict(value: Any, what: str) -> Mapping[str, Any]:
    """Like :func:`require_dict`, but None and absence give ``{}``."""
    return {} if value is None else require_dict(value, what)


def pick(data: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The ``keys`` of ``data`` that have a value (not None, not '').

    Nova's legacy payloads write "no value" as ''; leaving such keys out
    lets a subscription test for presence alone.
    """
    return {key: data[key] for key in keys
            if data.get(key) is not None and data.get(key) != ''}


def make_event(notification: Notification, source: str, *,
               project_id: str | None = None, user_id: str | None = None,
               resource_id: str | None = None,
               details: Mapping[str, Any] | None = None,
               payload_time: Any = None) -> Event:
    """Build the Event, with the common fields read from ``notification``.

    The timestamp is the sender's (``metadata['timestamp']``), else
    ``payload_time`` (a source's own timestamp in the payload), else now.
    A timestamp that does not parse counts as absent: a bad clock field
    is no reason to lose the event.
    """
    event_type = notification.event_type
    if not isinstance(event_type, str) or not event_type:
        raise NormalizationError('the notification has no event_type')
    if not isinstance(notification.priority, str):
        raise NormalizationError('priority must be a string')
    if not (notification.publisher_id is None
            or isinstance(notification.publisher_id, str)):
        raise NormalizationError('publisher_id must be a string')
    timestamp = (_time.to_iso(notification.metadata.get('timestamp'))
                 or _time.to_iso(payload_time) or _time.now())
    return Event(
        message_id=message_id_for(notification), source=source,
        event_type=event_type, publisher_id=notification.publisher_id,
        priority=notification.priority.lower(), timestamp=timestamp,
        project_id=project_id, user_id=user_id, resource_id=resource_id,
        payload=notification.payload, details=dict(details or {}),
        exchange=notification.exchange)


def _json_type(value: Any) -> str:
    if value is None:
        return 'null'
    if isinstance(value, (list, tuple)):
        return 'a list'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    return type(value).__name__


class GenericNormalizer(Normalizer):
    """Any notification: the common fields only; source is the exchange."""

    source = 'unknown'
    exchanges = ()
    event_types = ('*',)

    def normalize(self, notification: Notification) -> Event:
        return make_event(notification,
                          notification.exchange or self.source)
