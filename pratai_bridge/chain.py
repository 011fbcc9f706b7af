"""The loop guard: which execution caused an event, and how deep it goes.

A function acting on the cloud (tagging the server that was just created)
makes the cloud send notifications, which may run the function again,
forever. No source says "this was a function of yours", but OpenStack
carries a request id across services: a client sends
``X-OpenStack-Request-ID: req-<uuid>`` and the service's notifications
caused by that request carry it as ``_context_global_request_id``.

So each execution gets a request id of its own (:func:`request_id`),
handed to the function beside its token (the runtime's session helper
sends it on every call), and each notification's global request id is
the event's ``cause`` (:func:`cause_of`). When the journal records an
execution for an event whose cause is the request id of an execution it
holds, it links the two (the new execution's ``cause``) and counts the
chain: an execution's ``depth`` is the number of executions before it in
its chain (0 for an event nobody of ours caused). An execution deeper
than ``[dispatcher] max_chain_depth`` is recorded with status ``loop``
and never run (:mod:`pratai_bridge.journal._chain`).

The request id is derived from the execution's key (message id and
subscription), not drawn at random: a redelivered event makes the same
rows, so the id is known before the row is written and never changes
across attempts.
"""

import re
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ['DEFAULT_MAX_DEPTH', 'LOOP', 'cause_of', 'request_id']

#: ``[dispatcher] max_chain_depth`` unless configured
DEFAULT_MAX_DEPTH = 4
#: the status of an execution the loop guard did not run
LOOP = 'loop'

# Any fixed namespace will do; it only has to be ours and never change.
_NAMESPACE = uuid.UUID('0c3c6f6e-7072-6174-6169-2d636861696e')
# oslo.context accepts global request ids of this form only.
_REQUEST_ID = re.compile(r'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                         r'[0-9a-f]{4}-[0-9a-f]{12}')


def request_id(message_id: str, subscription: str) -> str:
    """The request id of the execution of ``subscription`` for the event
    ``message_id``: ``req-<uuid>``, the same for every delivery."""
    key = message_id + '\0' + subscription
    return f'req-{uuid.uuid5(_NAMESPACE, key)}'


def cause_of(ctxt: Mapping[str, Any]) -> str | None:
    """The global request id a notification context names, or None.

    oslo.messaging hands listeners the context with the ``_context_``
    prefix removed (``global_request_id``); anything not shaped as a
    request id is ignored rather than stored.
    """
    value = ctxt.get('global_request_id')
    if isinstance(value, str) and _REQUEST_ID.fullmatch(value):
        return value
    return None
