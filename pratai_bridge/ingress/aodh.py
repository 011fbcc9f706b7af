"""Aodh alarm actions (``http://``, ``trust+http://``) as notifications.

Aodh's REST notifier (aodh/notifier/rest.py) POSTs ``json.dumps`` of
``{alarm_name, alarm_id, severity, previous, current, reason,
reason_data}`` with ``content-type: application/json`` and
``x-openstack-request-id: req-<uuid>``; the ``trust+http`` notifier adds
``X-Auth-Token``, a token scoped by the alarm's trust. That body is the
payload of the ``alarm.update`` message aodh-notifier receives from the
evaluator (less ``actions``), so the webhook becomes the same
notification: event type ``alarm.update``, exchange ``aodh``, priority
``sample``, publisher ``aodh.notifier``. The Aodh normalizer then makes
the same event, and subscriptions on ``alarm.update`` (``details.state``,
``details.alarm_name``...) match either way.

The message id is a uuid5 of the request id and the alarm id, so a POST
that Aodh's HTTP layer retries is journaled once; without a request id
every POST is a new event. The project and user are those of the
Keystone token when one was checked (``trust+http``); the plain webhook
names neither.
"""

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from pratai_bridge.events.model import Notification

__all__ = ['EVENT_TYPE', 'notification']

EVENT_TYPE = 'alarm.update'
PUBLISHER = 'aodh.notifier'
# Fixed forever: the ids of webhooks already journaled depend on it.
_ID_NAMESPACE = uuid.UUID('0b7f1d8e-6c0a-5d4e-9f4f-3a1c2b9d7e61')


def notification(body: Any, request_id: str | None,
                 identity: Mapping[str, str | None]) -> Notification:
    """The notification of one webhook POST.

    ``identity`` holds ``project_id``, ``user_id`` (and ``trust_id``) of
    the checked token, or nothing. The body is not checked here: the Aodh
    normalizer does it, and parks what it cannot read.
    """
    alarm_id = body.get('alarm_id') if isinstance(body, Mapping) else None
    if request_id:
        message_id = str(uuid.uuid5(_ID_NAMESPACE,
                                    f'{request_id}/{alarm_id}'))
    else:
        message_id = str(uuid.uuid4())
    ctxt = {key: value for key, value in identity.items() if value}
    if request_id:
        ctxt['request_id'] = request_id
    now = datetime.datetime.now(datetime.UTC).isoformat()
    return Notification(
        exchange='aodh', priority='sample', publisher_id=PUBLISHER,
        event_type=EVENT_TYPE, payload=body,
        metadata={'message_id': message_id, 'timestamp': now}, ctxt=ctxt)
