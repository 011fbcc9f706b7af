"""Send notifications onto the bus exactly as their sources do.

Used by ``pratai-bridge-manage notify`` (try a subscription end to end
without a Nova, Swift or Aodh at hand), the functional tests and the
benchmarks. Each source publishes with the messagingv2 driver on its own
exchange (its ``control_exchange``) and topic; :func:`default_topic` knows
which topic each source uses for which notifications.
"""

import oslo_messaging
from oslo_config import cfg

from pratai_bridge.events.model import Notification

__all__ = ['Publisher', 'default_topic']


def default_topic(notification: Notification) -> str:
    """The topic the notification's source sends it on."""
    payload = notification.payload
    if (notification.exchange == 'nova' and isinstance(payload, dict)
            and 'nova_object.data' in payload):
        return 'versioned_notifications'
    if notification.exchange == 'aodh' and notification.priority == 'sample':
        return 'alarming'   # the evaluator's alarm.update
    return 'notifications'


class Publisher:
    """One oslo.messaging Notifier per (exchange, topic, publisher_id)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._notifiers: dict[tuple[str, str, str],
                              oslo_messaging.Notifier] = {}
        self._transports: list[oslo_messaging.Transport] = []

    def _notifier(self, exchange: str, topic: str,
                  publisher_id: str) -> oslo_messaging.Notifier:
        key = (exchange, topic, publisher_id)
        if key not in self._notifiers:
            # control_exchange belongs to a ConfigOpts and the driver reads
            # it when the transport is made: a first transport registers
            # the option, the second is made with it set.
            conf = cfg.ConfigOpts()
            conf([], default_config_files=[])
            oslo_messaging.get_notification_transport(
                conf, url=self._url).cleanup()
            conf.set_override('control_exchange', exchange)
            transport = oslo_messaging.get_notification_transport(
                conf, url=self._url)
            self._transports.append(transport)
            self._notifiers[key] = oslo_messaging.Notifier(
                transport, publisher_id, driver='messagingv2',
                topics=[topic])
        return self._notifiers[key]

    def publish(self, exchange: str, topic: str, priority: str,
                publisher_id: str, event_type: str, payload,
                ctxt: dict | None = None) -> None:
        """Send one notification; the Notifier adds message_id and time."""
        notifier = self._notifier(exchange, topic, publisher_id)
        getattr(notifier, priority.lower())(ctxt or {}, event_type, payload)

    def send(self, notification: Notification,
             topic: str | None = None) -> None:
        """Send a decoded notification on its source's exchange."""
        if not notification.exchange:
            raise ValueError('the exchange of the notification is unknown')
        self.publish(notification.exchange,
                     topic or default_topic(notification),
                     notification.priority,
                     notification.publisher_id or 'pratai-bridge-manage',
                     notification.event_type or '', notification.payload)

    def close(self) -> None:
        for transport in self._transports:
            transport.cleanup()
        self._transports.clear()
        self._notifiers.clear()
