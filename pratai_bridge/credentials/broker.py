"""Tokens for functions, from credentials the operator configured.

:meth:`CredentialBroker.token_for` turns a configured credential
(``[credentials] names``, each ``[credential:NAME]``: an application
credential, or a trust with the bridge's own user) into an
:class:`IssuedToken`: a token scoped to the credential's project, its
expiry, the project and user, and the service catalog. Never the secret:
what a function is handed cannot outlive the token, and a leaked token
is revoked by Keystone, not by rotating the operator's secret.

Caching: each credential has one keystoneauth1 plugin (through
:class:`pratai_bridge.keystone.Sessions`), which keeps its token until
shortly before expiry; a token is reused for every run while it stays
valid for the run's timeout plus ``[credentials] min_validity`` seconds,
and replaced by a new one otherwise. A run that would outlive even a
fresh token (Keystone's ``[token] expiration`` is shorter than the
function's timeout) gets CredentialError: better refused than cut off
mid-run.

Errors: CredentialError for an unknown or misconfigured credential and
for what Keystone refuses (wrong secret, expired trust): retrying will
not help; CredentialUnavailable when Keystone cannot be reached or
answers 5xx: retry later.

Thread safety: many dispatcher threads call :meth:`token_for` at once;
keystoneauth1 plugins serialize their own re-authentication.
"""

import contextlib
import dataclasses
import datetime
import logging
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

from keystoneauth1 import access as ks_access
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import identity
from oslo_config import cfg

from pratai_bridge import keystone
from pratai_bridge.conf import credentials as credentials_conf

__all__ = ['CredentialBroker', 'CredentialError', 'CredentialUnavailable',
           'IssuedToken']

LOG = logging.getLogger(__name__)


class CredentialError(Exception):
    """The credential cannot give a token; trying again will not help."""


class CredentialUnavailable(CredentialError):
    """Keystone cannot be reached now; try again later."""


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    """A project-scoped token and what a client needs with it."""

    credential: str
    #: the token itself; kept out of repr() so that it is never logged
    token: str = dataclasses.field(repr=False)
    #: ISO 8601 UTC
    expires_at: str
    project_id: str
    project_name: str | None
    user_id: str
    auth_url: str | None
    #: Keystone's catalog: [{type, name, id, endpoints: [{interface,
    #: region, region_id, url, id}]}]
    catalog: list[dict[str, Any]]

    def as_document(self) -> dict[str, Any]:
        """What a function is handed (JSON-serializable)."""
        return {'token': self.token, 'expires_at': self.expires_at,
                'project_id': self.project_id,
                'project_name': self.project_name, 'user_id': self.user_id,
                'auth_url': self.auth_url, 'catalog': self.catalog}


class CredentialBroker:
    """The configured credentials, ready to issue tokens.

    Built from ``[credentials]``: each name's group is registered and its
    plugin loaded here (a misconfigured credential stops the start with
    CredentialError); nothing connects before the first token.
    """

    def __init__(self, conf: cfg.ConfigOpts,
                 sessions: keystone.Sessions | None = None) -> None:
        self._conf = conf
        self._sessions = sessions or keystone.Sessions(conf)
        self._min_validity = conf.credentials.min_validity
        #: credential name -> its option group
        self._groups: dict[str, str] = {}
        for name in conf.credentials.names:
            group = credentials_conf.register_credential(conf, name)
            try:
                session = self._sessions.get(group)
            except (ks_exc.ClientException, cfg.Error) as exc:
                raise CredentialError(f'[{group}]: {exc}') from exc
            if not isinstance(session.auth, identity.BaseIdentityPlugin):
                raise CredentialError(f'[{group}] auth_type must be an '
                                      'identity plugin (Keystone gives the '
                                      'token and its catalog)')
            self._groups[name] = group

    @property
    def names(self) -> Sequence[str]:
        return tuple(self._groups)

    def token_for(self, name: str, timeout: float = 0.0) -> IssuedToken:
        """A token of credential ``name`` valid for ``timeout`` seconds
        more than ``[credentials] min_validity``."""
        group = self._groups.get(name)
        if group is None:
            known = ', '.join(self._groups) or 'none'
            raise CredentialError(f'no credential {name!r} in [credentials] '
                                  f'names (known: {known})')
        session = self._sessions.get(group)
        plugin = session.auth
        assert isinstance(plugin, identity.BaseIdentityPlugin)  # __init__
        needed = timeout + self._min_validity
        with _errors(name):
            access = plugin.get_access(session)
            if _remaining(access) < needed:
                LOG.debug('Token of credential %s expires in %.0f s, '
                          'under the %.0f s a run needs: getting a new one',
                          name, _remaining(access), needed)
                plugin.invalidate()
                access = plugin.get_access(session)
        lasts = _remaining(access)
        if lasts < needed:
            raise CredentialError(
                f'credential {name!r}: a new token lasts {lasts:.0f} s, '
                f'under the {needed:.0f} s the run needs (the timeout plus '
                '[credentials] min_validity); Keystone\'s [token] '
                'expiration is too short for this function')
        if not (access.project_id and access.auth_token):
            raise CredentialError(f'credential {name!r} gives a token '
                                  'scoped to no project')
        return IssuedToken(
            credential=name, token=access.auth_token,
            expires_at=_iso(access.expires), project_id=access.project_id,
            project_name=access.project_name, user_id=access.user_id or '',
            auth_url=getattr(plugin, 'auth_url', None),
            catalog=list(access.service_catalog.catalog or []))


def _remaining(access: ks_access.AccessInfo) -> float:
    expires = access.expires
    if expires is None:
        return float('inf')
    return (expires - datetime.datetime.now(datetime.UTC)).total_seconds()


def _iso(moment: datetime.datetime | None) -> str:
    if moment is None:
        return ''
    return moment.astimezone(datetime.UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


@contextlib.contextmanager
def _errors(name: str) -> Iterator[None]:
    """keystoneauth1's errors as CredentialError or CredentialUnavailable."""
    try:
        yield
    except ks_exc.ClientException as exc:
        what = f'credential {name!r}: Keystone'
        status = getattr(exc, 'http_status', None) or 0
        if isinstance(exc, (ks_exc.ConnectionError, ks_exc.DiscoveryFailure)
                      ) or status >= 500:
            raise CredentialUnavailable(f'{what} cannot be reached: '
                                        f'{exc}') from exc
        raise CredentialError(f'{what} refused it: {exc}') from exc
