"""Aodh alarm notifications.

Two kinds arrive on the ``aodh`` exchange:

* change events, ``alarm.creation``, ``alarm.rule_change``,
  ``alarm.state_transition``, ``alarm.deletion`` (aodh/api and the
  evaluator, topic ``notifications``): ``{alarm_id, type, detail, user_id,
  project_id, on_behalf_of, timestamp, severity, event_id}``. ``detail`` is
  a dict when the API sends it but a JSON *string* when the evaluator does
  (aodh/evaluator/__init__.py ``_record_change`` dumps it); details.detail
  is always the parsed dict, and the payload keeps what was sent.
* ``alarm.update`` (evaluator to aodh-notifier, topic ``alarming``,
  priority SAMPLE): ``{actions, alarm_id, alarm_name, severity, previous,
  current, reason, reason_data}``, with no project or user: those come
  from the context when it has them (the bridge's HTTP ingress puts there
  the project and user of the Keystone token an Aodh ``trust+http``
  webhook carried; on the bus the context is empty).

details.state is the alarm's state after the change in both kinds, so one
pattern matches an alarm going off however it is reported.
"""

import json
from typing import Any

from pratai_bridge.events import generic
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.base import Normalizer
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification

_UPDATE = 'alarm.update'
_UPDATE_KEYS = ('alarm_name', 'previous', 'current', 'severity', 'reason',
                'reason_data')


class AodhNormalizer(Normalizer):
    """Aodh alarm changes (``alarm.*``) and evaluator alarm.update."""

    source = 'aodh'
    exchanges = ('aodh',)
    event_types = ('alarm.*',)

    def normalize(self, notification: Notification) -> Event:
        payload = generic.require_dict(notification.payload, 'payload')
        alarm_id = generic.as_id(payload.get('alarm_id'), 'payload.alarm_id')
        if notification.event_type == _UPDATE:
            details = {key: payload.get(key) for key in _UPDATE_KEYS}
            details['state'] = payload.get('current')
            ctxt = notification.ctxt
            return generic.make_event(
                notification, self.source, resource_id=alarm_id,
                project_id=generic.as_id(ctxt.get('project_id'),
                                         'ctxt.project_id'),
                user_id=generic.as_id(ctxt.get('user_id'), 'ctxt.user_id'),
                details=details)
        detail = _detail(payload.get('detail'))
        details = {'type': payload.get('type'),
                   'severity': payload.get('severity'),
                   'detail': detail}
        details.update(generic.pick(detail, ('state', 'previous')))
        return generic.make_event(
            notification, self.source,
            project_id=generic.as_id(payload.get('project_id'),
                                     'payload.project_id'),
            user_id=generic.as_id(payload.get('user_id'), 'payload.user_id'),
            resource_id=alarm_id, details=details,
            payload_time=payload.get('timestamp'))


def _detail(value: Any) -> dict[str, Any]:
    """``detail`` as a dict, whether it came as one or as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise NormalizationError(
                f'payload.detail is not valid JSON: {exc}') from None
        return dict(generic.require_dict(value, 'payload.detail (parsed)'))
    return dict(generic.optional_dict(value, 'payload.detail'))
