"""Plain WSGI helpers of the ingress: JSON answers, bounded bodies.

WebOb (which keystonemiddleware already brings) parses requests; answers
are JSON documents ``{"error": "..."}`` or the route's own.
"""

import json
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import webob

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class HTTPError(Exception):
    """Answer ``status`` with ``{"error": message}``."""

    def __init__(self, status: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def json_response(status: int, body: Any,
                  headers: dict[str, str] | None = None) -> webob.Response:
    response = webob.Response(
        status=status, content_type='application/json', charset='utf-8',
        body=json.dumps(body, sort_keys=True).encode() + b'\n')
    response.headers.update(headers or {})
    return response


def error_response(exc: HTTPError) -> webob.Response:
    return json_response(exc.status, {'error': exc.message}, exc.headers)


def read_json(request: webob.Request, limit: int) -> Any:
    """The request's JSON body, at most ``limit`` bytes; HTTPError else.

    A declared length over the limit is refused before reading; a body
    sent without one (chunked) is read up to one byte past the limit.
    """
    if request.content_length is not None and request.content_length > limit:
        raise HTTPError(413, f'the body is {request.content_length} bytes; '
                             f'at most {limit} are accepted')
    kind = request.content_type
    if kind and kind != 'application/json':
        raise HTTPError(415, f'the body must be application/json, not '
                             f'{kind}')
    try:
        data = request.body_file_raw.read(limit + 1)
    except OSError as exc:
        # cheroot's own limit on a chunked body (the backstop, see
        # server.py), or the client went away mid-body.
        if 'too large' in str(exc).lower():
            raise HTTPError(413, f'the body is over {limit} bytes') from None
        raise HTTPError(400, f'cannot read the body: {exc}') from None
    if len(data) > limit:
        raise HTTPError(413, f'the body is over {limit} bytes')
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise HTTPError(400, f'the body is not valid JSON: {exc}') from None
