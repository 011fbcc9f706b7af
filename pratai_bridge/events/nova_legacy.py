"""Nova's legacy (unversioned) notifications: ``compute.instance.*`` etc.

The payload is a flat dict (nova/notifications/base.py ``info_from_instance``):
``tenant_id``, ``user_id``, ``instance_id``, ``state``, ``host``... Older
senders leave the ids out of some payloads; the request context, which
oslo.messaging sends beside the payload, names the project and user then.
"""

from collections.abc import Mapping
from typing import Any

from pratai_bridge.events import generic
from pratai_bridge.events.base import Normalizer
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification

#: Event types Nova sends, legacy and versioned alike (both normalizers
#: use this list; the payload's shape tells them apart). Used to guess
#: the exchange of a notification read from a file, too.
NOVA_EVENT_TYPES = (
    'compute.*', 'compute_task.*', 'instance.*', 'scheduler.*',
    'aggregate.*', 'keypair.*', 'flavor.*', 'server_group.*',
    'servergroup.*', 'service.*', 'metrics.*', 'libvirt.*',
    'volume.usage', 'api.*',
)

# Payload fields copied to details when present: the ones subscriptions
# filter on (what state, where, which server).
_DETAIL_KEYS = (
    'state', 'old_state', 'state_description', 'old_task_state',
    'new_task_state', 'host', 'node', 'display_name', 'hostname',
    'instance_type', 'availability_zone',
)
# The subject of the notification, most specific first.
_RESOURCE_KEYS = ('instance_id', 'instance_uuid', 'uuid', 'id')


def is_versioned(payload: Any) -> bool:
    """Whether ``payload`` is a serialized oslo.versionedobject."""
    return isinstance(payload, Mapping) and 'nova_object.data' in payload


class NovaLegacyNormalizer(Normalizer):
    """Nova's unversioned notifications (flat payload, ``tenant_id``)."""

    source = 'nova'
    exchanges = ('nova',)
    event_types = NOVA_EVENT_TYPES

    def accepts(self, notification: Notification) -> bool:
        # Everything Nova sends that is not a versioned object, so that a
        # malformed payload is rejected here rather than passed as generic.
        return not is_versioned(notification.payload)

    def normalize(self, notification: Notification) -> Event:
        payload = generic.require_dict(notification.payload, 'payload')
        ctxt = notification.ctxt
        project_id = (generic.as_id(payload.get('tenant_id'),
                                    'payload.tenant_id')
                      or _context_id(ctxt, 'project_id', 'tenant'))
        user_id = (generic.as_id(payload.get('user_id'), 'payload.user_id')
                   or _context_id(ctxt, 'user_id', 'user'))
        resource_id = None
        for key in _RESOURCE_KEYS:
            resource_id = generic.as_id(payload.get(key), 'payload.' + key)
            if resource_id:
                break
        return generic.make_event(
            notification, self.source, project_id=project_id,
            user_id=user_id, resource_id=resource_id,
            details=generic.pick(payload, _DETAIL_KEYS))


def _context_id(ctxt: Any, *keys: str) -> str | None:
    # The context is the sender's, not the payload: a strange value in it
    # is ignored rather than a reason to reject the notification.
    if not hasattr(ctxt, 'get'):
        return None
    for key in keys:
        value = ctxt.get(key)
        if isinstance(value, str) and value:
            return value
    return None
