"""What one run of a function is handed: the payload, and how to act.

:meth:`Handoff.payload` makes the document ``main(payload)`` receives
from the journaled event, for one subscription:

* the event document (:meth:`Event.as_document`) and ``subscription``;
* what was looked up for it (``server``) only when the subscription
  asked for it (``enrich``): another subscription's lookup is not its
  business (:mod:`pratai_bridge.enrich.stage`);
* ``request_id``: the execution's OpenStack request id
  (:func:`pratai_bridge.chain.request_id`), which the runtime's session
  helper sends as ``X-OpenStack-Request-ID`` so that the notifications
  the function's calls cause can be traced back to it (the loop guard);
* ``credential``, only when the subscription names one: a token scoped
  to the credential's project, valid for the run's timeout and more, its
  expiry, the project and user, Keystone's URL and the service catalog
  (:meth:`IssuedToken.as_document`). Never the secret, and never through
  the environment: it travels with the payload on the runtime's stdin,
  and is not journaled.

Errors: CredentialError (CredentialUnavailable when Keystone is away)
for a credential that gives no token now; the dispatcher records them
as ``credential_refused`` (no retry) or ``credential_unavailable``.

Thread safety: the dispatcher's workers call :meth:`payload` at once;
the broker is thread safe and the rest is pure.
"""

from typing import Any

from pratai_bridge import chain
from pratai_bridge.credentials.broker import CredentialBroker
from pratai_bridge.credentials.broker import CredentialError
from pratai_bridge.events.model import Event
from pratai_bridge.subscriptions.model import Subscription

__all__ = ['Handoff']


class Handoff:
    """Builds the payloads of runs; ``broker`` None: no credentials
    configured (a subscription naming one then gets CredentialError)."""

    def __init__(self, broker: CredentialBroker | None = None) -> None:
        self._broker = broker

    def payload(self, event: Event, subscription: Subscription,
                timeout: float) -> dict[str, Any]:
        """The payload of a run of ``subscription``'s function for
        ``event`` lasting up to ``timeout`` seconds."""
        document = event.as_document()
        for key in event.enrichment:
            if key not in subscription.enrich:
                del document[key]
        document['subscription'] = subscription.name
        document['request_id'] = chain.request_id(event.message_id,
                                                  subscription.name)
        if subscription.credential is not None:
            if self._broker is None:
                raise CredentialError(
                    f'subscription {subscription.name} names credential '
                    f'{subscription.credential!r}, but [credentials] names '
                    'is empty')
            document['credential'] = self._broker.token_for(
                subscription.credential, timeout).as_document()
        return document
