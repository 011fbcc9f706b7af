"""The WSGI application of the bridge's HTTP server.

Routes:

==========================  ==================================================
``POST /v1/aodh``           an Aodh alarm action -> ``alarm.update`` event
``POST /v1/events``         an oslo notification (any form
                            :func:`pratai_bridge.events.decode.from_document`
                            reads: sample, decoded oslo.message, listener,
                            AMQP body) -> its event
``GET /healthz``            200 or 503 naming what is down
``GET /metrics``            Prometheus text format
==========================  ==================================================

Both POST routes hand the notification to :meth:`Pipeline.handle`, which
normalizes, matches and journals it durably before returning; only then
is the answer 202 ``{"message_id", "event_type", "matched"}``. When the
journal cannot record it the answer is 503 (the sender should retry);
a notification the normalizer cannot read is parked in the journal as
rejected, as from the bus, and answered 422. A body that is not JSON or
not a notification is answered 400 and not journaled (the sender still
has it). Bodies over ``[api] max_request_bytes`` are answered 413 unread.

The POST routes are behind :func:`pratai_bridge.ingress.auth.guard`;
/healthz and /metrics are not.
"""

import logging
import time
from collections.abc import Callable
from typing import Any
from typing import Protocol

import webob
from oslo_config import cfg

from pratai_bridge import metrics as metrics_mod
from pratai_bridge.events import decode
from pratai_bridge.events import generic
from pratai_bridge.events.model import Notification
from pratai_bridge.ingress import aodh
from pratai_bridge.ingress import auth
from pratai_bridge.ingress._http import HTTPError
from pratai_bridge.ingress._http import WSGIApp
from pratai_bridge.ingress._http import error_response
from pratai_bridge.ingress._http import json_response
from pratai_bridge.ingress._http import read_json
from pratai_bridge.ingress.health import Health

__all__ = ['Handler', 'make_app']

LOG = logging.getLogger(__name__)


class Handler(Protocol):
    """What the ingress needs of the pipeline: journal durably, or raise."""

    def handle(self, notifications: Any, rejected: Any = ...) -> Any: ...


def make_app(conf: cfg.ConfigOpts, pipeline: Handler,
             metrics: metrics_mod.Metrics, health: Health) -> WSGIApp:
    """The whole application; raises cfg.Error for a wrong [api] auth."""
    routes = _Routes(conf, pipeline, metrics, health)
    guarded = auth.guard(routes.posted, conf)
    return _Dispatch(routes, guarded, metrics)


class _Dispatch:
    """Sends /healthz and /metrics to their handlers, the rest behind the
    guard; times and counts every request."""

    def __init__(self, routes: '_Routes', guarded: WSGIApp,
                 metrics: metrics_mod.Metrics) -> None:
        self._routes = routes
        self._guarded = guarded
        self._metrics = metrics

    def __call__(self, environ: dict[str, Any], start_response: Any):
        began = time.monotonic()
        path = environ.get('PATH_INFO', '')
        route = path if path in _ROUTES else 'other'
        codes: list[int] = []

        def counted(status: str, headers: Any, exc_info: Any = None):
            codes.append(int(status.split(' ', 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            if path in _OPEN:
                request = webob.Request(environ)
                return self._routes.open(request)(environ, counted)
            return self._guarded(environ, counted)
        finally:
            self._metrics.http_request(route, codes[0] if codes else 500,
                                       time.monotonic() - began)


_OPEN = ('/healthz', '/metrics')
_POSTED = ('/v1/aodh', '/v1/events')
_ROUTES = _OPEN + _POSTED


class _Routes:
    def __init__(self, conf: cfg.ConfigOpts, pipeline: Handler,
                 metrics: metrics_mod.Metrics, health: Health) -> None:
        self._pipeline = pipeline
        self._metrics = metrics
        self._health = health
        self._limit = conf.api.max_request_bytes
        self._aodh_roles = conf.api.aodh_roles
        self._events_roles = conf.api.events_roles

    def open(self, request: webob.Request) -> webob.Response:
        if request.method not in ('GET', 'HEAD'):
            return _not_allowed('GET')
        if request.path_info == '/metrics':
            return webob.Response(body=self._metrics.render(),
                                  content_type=metrics_mod.CONTENT_TYPE,
                                  charset=None)
        up, document = self._health.report()
        return json_response(200 if up else 503, document)

    def posted(self, environ: dict[str, Any], start_response: Any):
        request = webob.Request(environ)
        try:
            response = self._post(request)
        except HTTPError as exc:
            response = error_response(exc)
        return response(environ, start_response)

    def _post(self, request: webob.Request) -> webob.Response:
        build: Callable[[Any], Notification]
        if request.path_info == '/v1/aodh':
            auth.require_role(request.environ, self._aodh_roles, '/v1/aodh')
            ident = auth.identity(request.environ)
            request_id = request.headers.get('X-OpenStack-Request-ID')

            def build(body: Any) -> Notification:
                return aodh.notification(body, request_id, ident)
        elif request.path_info == '/v1/events':
            auth.require_role(request.environ, self._events_roles,
                              '/v1/events')
            build = _from_document
        else:
            raise HTTPError(404, f'no route {request.path_info}')
        if request.method != 'POST':
            return _not_allowed('POST')
        notification = build(read_json(request, self._limit))
        return self._journal(notification)

    def _journal(self, notification: Notification) -> webob.Response:
        try:
            result = self._pipeline.handle([notification])
        except Exception:
            # Nothing was acked to anyone: the sender is told to retry.
            LOG.exception('Cannot journal notification %s (%s) from HTTP; '
                          'answering 503', notification.message_id,
                          notification.event_type)
            raise HTTPError(503, 'the journal cannot record it now; retry '
                                 'later', {'Retry-After': '5'}) from None
        # The event's id: the sender's, or the one derived from the
        # content exactly as the normalizers derive it.
        message_id = generic.message_id_for(notification)
        if result.rejected:
            raise HTTPError(422, f'notification {message_id} could not be '
                                 'normalized; it is kept in the journal as '
                                 'rejected')
        LOG.info('HTTP notification %s (%s) journaled, %d matches',
                 message_id, notification.event_type, result.matched)
        return json_response(202, {'message_id': message_id,
                                   'event_type': notification.event_type,
                                   'matched': result.matched})


def _from_document(body: Any) -> Notification:
    try:
        return decode.from_document(body)
    except decode.DecodeError as exc:
        raise HTTPError(400, f'not a notification: {exc}') from None


def _not_allowed(allowed: str) -> webob.Response:
    return json_response(405, {'error': f'use {allowed}'},
                         {'Allow': allowed})
