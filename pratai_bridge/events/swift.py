"""Swift requests as ceilometermiddleware reports them (a CADF event).

``objectstore.http.request``, one per HTTP request the proxy serves
(ceilometermiddleware/swift.py ``emit_event``): ``action`` is the CADF
action (``update``/``read``/``delete``), ``target.action`` the lower-case
HTTP method, ``target.id`` the account without its ``AUTH_`` prefix (the
project), ``target.metadata`` the path split into container and object,
``initiator.id`` the user, and ``measurements`` the request and byte
counts. Subscriptions want the method and the object, so details holds
them flat; every details key is always present (None when unknown), so a
pattern can test for a missing object (a container request).
"""

from collections.abc import Mapping
from typing import Any

from pratai_bridge.events import generic
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.base import Normalizer
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification

_RESELLER_PREFIX = 'AUTH_'
_BYTES_IN = 'storage.objects.incoming.bytes'
_BYTES_OUT = 'storage.objects.outgoing.bytes'


class SwiftNormalizer(Normalizer):
    """Swift object-store requests (CADF, via ceilometermiddleware)."""

    source = 'swift'
    exchanges = ('swift',)
    event_types = ('objectstore.*',)

    def normalize(self, notification: Notification) -> Event:
        payload = generic.require_dict(notification.payload, 'payload')
        target = generic.require_dict(payload.get('target'),
                                      'payload.target')
        initiator = generic.optional_dict(payload.get('initiator'),
                                          'payload.initiator')
        where = generic.optional_dict(target.get('metadata'),
                                      'payload.target.metadata')
        project_id = (_account(target.get('id'))
                      or generic.as_id(initiator.get('project_id'),
                                       'payload.initiator.project_id'))
        path = generic.as_id(where.get('path'),
                             'payload.target.metadata.path')
        method = target.get('action')
        if not (method is None or isinstance(method, str)):
            raise NormalizationError('payload.target.action must be a string')
        counts = _byte_counts(payload.get('measurements'))
        details = {
            'path': path,
            'container': where.get('container'),
            'object': where.get('object'),
            'method': method.upper() if method else None,
            'action': payload.get('action'),
            'outcome': payload.get('outcome'),
            'bytes_in': counts.get(_BYTES_IN),
            'bytes_out': counts.get(_BYTES_OUT),
        }
        return generic.make_event(
            notification, self.source, project_id=project_id,
            user_id=generic.as_id(initiator.get('id'),
                                  'payload.initiator.id'),
            resource_id=path, details=details,
            payload_time=payload.get('eventTime'))


def _account(value: Any) -> str | None:
    account = generic.as_id(value, 'payload.target.id')
    if account and account.startswith(_RESELLER_PREFIX):
        return account[len(_RESELLER_PREFIX):] or None
    return account


def _byte_counts(measurements: Any) -> dict[str, Any]:
    """``{metric name: result}`` of the byte-count measurements."""
    if measurements is None:
        return {}
    if not isinstance(measurements, list):
        raise NormalizationError('payload.measurements must be a list')
    counts = {}
    for measurement in measurements:
        if not isinstance(measurement, Mapping):
            raise NormalizationError(
                'payload.measurements holds a non-object item')
        metric = measurement.get('metric')
        name = metric.get('name') if isinstance(metric, Mapping) else None
        if name in (_BYTES_IN, _BYTES_OUT):
            counts[name] = measurement.get('result')
    return counts
