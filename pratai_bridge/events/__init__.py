"""Events: the one shape every notification is normalized into.

A :class:`Notification` is what oslo.messaging hands a listener endpoint
(plus the exchange it came from); a normalizer plugin (namespace
``pratai_bridge.normalizers``) turns it into an :class:`Event`, the document
subscriptions match against and a function receives as its payload.
"""

from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification
from pratai_bridge.events.model import Rejected

__all__ = ['Event', 'Notification', 'Rejected']
