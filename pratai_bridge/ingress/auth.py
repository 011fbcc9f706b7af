"""Who may POST: a shared token, a Keystone token, or anyone.

:func:`guard` wraps the routes that take events, per ``[api]
auth_strategy``:

* ``token``: ``Authorization: Bearer TOKEN``, or HTTP basic auth whose
  password is TOKEN (an Aodh ``http://`` action can carry nothing else:
  ``http://pratai:TOKEN@bridge:9797/v1/aodh``). Compared in constant
  time. No identity: events keep the project their notification names.
* ``keystone``: keystonemiddleware's auth_token validates ``X-Auth-Token``
  with the options of ``[keystone_authtoken]`` (registered by
  keystonemiddleware when the filter is built) and answers 401 itself;
  :func:`identity` then reads the token's project, user, roles and trust
  from the WSGI environ it filled in.
* ``noauth``: no check.

Role checks (``[api] aodh_roles`` and ``events_roles``) are the routes'
business: see :func:`require_role`.
"""

import base64
import binascii
import hmac
import logging
from collections.abc import Sequence
from typing import Any

from keystonemiddleware import auth_token
from oslo_config import cfg

from pratai_bridge.ingress._http import HTTPError
from pratai_bridge.ingress._http import WSGIApp
from pratai_bridge.ingress._http import error_response

__all__ = ['guard', 'identity', 'require_role']

LOG = logging.getLogger(__name__)


def guard(app: WSGIApp, conf: cfg.ConfigOpts) -> WSGIApp:
    """``app`` behind the configured check; raises cfg.Error if misset."""
    strategy = conf.api.auth_strategy
    if strategy == 'noauth':
        LOG.warning('[api] auth_strategy = noauth: anyone who reaches '
                    '%s:%d may post events', conf.api.host, conf.api.port)
        return app
    if strategy == 'keystone':
        # oslo_config_config: the middleware reads [keystone_authtoken]
        # from our configuration object, not from the global CONF.
        return auth_token.AuthProtocol(app, {'oslo_config_config': conf})
    if not conf.api.token:
        raise cfg.RequiredOptError('token', cfg.OptGroup('api'))
    return _SharedToken(app, conf.api.token)


class _SharedToken:
    """Lets a request through when it carries the shared token."""

    def __init__(self, app: WSGIApp, token: str) -> None:
        self._app = app
        self._token = token.encode()

    def __call__(self, environ: dict[str, Any], start_response: Any):
        if hmac.compare_digest(_presented(environ), self._token):
            return self._app(environ, start_response)
        return error_response(HTTPError(
            401, 'a valid token is required (Authorization: Bearer, or '
                 'the password of basic auth)',
            {'WWW-Authenticate': 'Bearer, Basic realm="pratai-bridge"'}
        ))(environ, start_response)


def _presented(environ: dict[str, Any]) -> bytes:
    """The token a request carries, or b'' (never matches a token)."""
    scheme, _, value = environ.get('HTTP_AUTHORIZATION', '').partition(' ')
    if scheme.lower() == 'bearer':
        return value.strip().encode()
    if scheme.lower() == 'basic':
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return b''
        return decoded.partition(b':')[2]
    return b''


def identity(environ: dict[str, Any]) -> dict[str, str | None]:
    """Project, user and trust of the token auth_token confirmed, else
    nothing (shared token, noauth)."""
    if environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
        return {}
    trust = None
    token_info = environ.get('keystone.token_info') or {}
    token = token_info.get('token') if isinstance(token_info, dict) else None
    if isinstance(token, dict):
        trust = (token.get('OS-TRUST:trust') or {}).get('id')
    return {'project_id': environ.get('HTTP_X_PROJECT_ID'),
            'user_id': environ.get('HTTP_X_USER_ID'),
            'trust_id': trust}


def require_role(environ: dict[str, Any], roles: Sequence[str],
                 route: str) -> None:
    """HTTPError 403 unless the confirmed token has one of ``roles``.

    No roles configured, or no Keystone check at all, lets anyone in.
    """
    if not roles or environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
        return
    have = {r.strip() for r in environ.get('HTTP_X_ROLES', '').split(',')}
    if not have & set(roles):
        raise HTTPError(403, f'{route} needs one of the roles '
                             f"{', '.join(roles)}")
