"""Nova's versioned notifications: the payload is an oslo.versionedobject.

``{"nova_object.name", "nova_object.version", "nova_object.data", ...}``;
the fields are in ``nova_object.data``, and fields that are objects
themselves (``state_update``, ``fault``, ``request_spec``) are wrapped the
same way. The subject differs by object: an instance (``uuid``,
``tenant_id``), an aggregate (``uuid``), a flavor (``flavorid``), a keypair
(``name``, ``user_id``), a service (``uuid``, ``host``), a volume usage
(``volume_id``), a compute task (``instance_uuid`` and a request spec that
names the project)... The lists below take each from where it is.
"""

from collections.abc import Mapping
from typing import Any

from pratai_bridge.events import generic
from pratai_bridge.events import nova_legacy
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.base import Normalizer
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification

# The object's own id, most specific first: an instance's ``uuid`` before
# the ``volume_id`` it attaches, a volume usage's ``volume_id`` before the
# instance using it.
_RESOURCE_KEYS = ('uuid', 'volume_id', 'instance_uuid', 'flavorid',
                  'nodename', 'id', 'name')
_PROJECT_KEYS = ('tenant_id', 'project_id')
# Nested objects that name the project and user when the object does not.
_OWNER_OBJECTS = ('request_spec',)
_DETAIL_KEYS = ('state', 'task_state', 'power_state', 'host', 'node',
                'display_name', 'binary', 'nodename', 'availability_zone')
_STATE_UPDATE_KEYS = ('old_state', 'old_task_state', 'new_task_state')
# Where an exception is described: the object itself (compute.exception)
# or a nested ExceptionPayload (an instance's ``fault``, a task's
# ``reason``).
_EXCEPTION_OBJECTS = ('fault', 'reason')
_EXCEPTION_KEYS = ('exception', 'exception_message')


def unwrap(value: Any) -> Mapping[str, Any] | None:
    """The ``nova_object.data`` of a serialized object, else None."""
    if isinstance(value, Mapping):
        data = value.get('nova_object.data')
        if isinstance(data, Mapping):
            return data
    return None


class NovaVersionedNormalizer(Normalizer):
    """Nova's versioned notifications (payload in ``nova_object.data``)."""

    source = 'nova'
    exchanges = ('nova',)
    event_types = nova_legacy.NOVA_EVENT_TYPES

    def accepts(self, notification: Notification) -> bool:
        return nova_legacy.is_versioned(notification.payload)

    def normalize(self, notification: Notification) -> Event:
        payload = generic.require_dict(notification.payload, 'payload')
        data = generic.require_dict(payload.get('nova_object.data'),
                                    'payload["nova_object.data"]')
        owners = [data] + [nested for nested in
                           map(unwrap, map(data.get, _OWNER_OBJECTS))
                           if nested is not None]
        return generic.make_event(
            notification, self.source,
            project_id=_first_id(owners, _PROJECT_KEYS),
            user_id=_first_id(owners, ('user_id',)),
            resource_id=_first_id([data], _RESOURCE_KEYS),
            details=_details(payload, data))


def _first_id(objects: list[Mapping[str, Any]],
              keys: tuple[str, ...]) -> str | None:
    for data in objects:
        for key in keys:
            value = generic.as_id(data.get(key), 'nova_object.data.' + key)
            if value:
                return value
    return None


def _details(payload: Mapping[str, Any],
             data: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key in ('nova_object.name', 'nova_object.version'):
        value = payload.get(key)
        if value is not None and not isinstance(value, str):
            raise NormalizationError(f'payload["{key}"] must be a string')
        details[key.replace('nova_object.', 'object_')] = value
    details.update(generic.pick(data, _DETAIL_KEYS))
    state_update = unwrap(data.get('state_update'))
    if state_update is not None:
        details.update(generic.pick(state_update, _STATE_UPDATE_KEYS))
    exception = data if 'exception' in data else None
    for key in _EXCEPTION_OBJECTS:
        exception = exception or unwrap(data.get(key))
    if exception is not None:
        details.update(generic.pick(exception, _EXCEPTION_KEYS))
    return details
