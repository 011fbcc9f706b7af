"""The keystoneauth1 session the swift store talks through.

Built from the ``[swift]`` group with keystoneauth1's loading helpers, so
every keystoneauth1 plugin works (``password``,
``v3applicationcredential``, ``token``...). keystoneauth1 has no plugin
for Swift's v1 authentication (tempauth, swauth), so one lives here:
``auth_type = tempauth`` with ``auth_url``, ``user`` and ``key``. It is a
real keystoneauth1 plugin, so python-swiftclient gets one kind of object
whatever the auth (``Connection(session=...)``), and re-authenticates the
same way when a token expires (a 401 invalidates the plugin).

Why not swiftclient's own v1 auth (``auth_version='1'``)? Its options
(``auth_url``...) would clash with the keystoneauth1 plugin options of the
same names in the same group, and the code would fork in two.
"""

import threading
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import plugin
from keystoneauth1 import session as ks_session
from oslo_config import cfg

from pratai_bridge import keystone
from pratai_bridge.conf import store as store_conf

__all__ = ['LOADERS', 'TEMPAUTH', 'TempAuth', 'TempAuthLoader',
           'load_session']

TEMPAUTH = 'tempauth'


class TempAuth(plugin.BaseAuthPlugin):
    """Swift v1 auth: GET auth_url with X-Auth-User/X-Auth-Key.

    The answer's X-Auth-Token and X-Storage-Url are kept until
    :meth:`invalidate`; the storage URL is the only endpoint.
    """

    def __init__(self, auth_url: str, user: str, key: str) -> None:
        super().__init__()
        self.auth_url = auth_url
        self.user = user
        self.key = key
        self._lock = threading.Lock()
        #: (token, storage URL) once authenticated, until invalidated
        self._auth: tuple[str, str] | None = None

    def _authenticate(self, session: ks_session.Session) -> tuple[str, str]:
        with self._lock:
            if self._auth is None:
                resp = session.get(
                    self.auth_url, authenticated=False, log=False,
                    headers={'X-Auth-User': self.user,
                             'X-Auth-Key': self.key})
                token = resp.headers.get('X-Auth-Token')
                url = resp.headers.get('X-Storage-Url')
                if not token or not url:
                    raise ks_exc.AuthorizationFailure(
                        f'{self.auth_url} answered without X-Auth-Token '
                        'and X-Storage-Url: not a v1 auth URL?')
                self._auth = (token, url)
            return self._auth

    def get_token(self, session: ks_session.Session) -> str | None:
        return self._authenticate(session)[0]

    def get_endpoint(self, session: ks_session.Session,
                     **kwargs: Any) -> str | None:
        return self._authenticate(session)[1]

    def invalidate(self) -> bool:
        with self._lock:
            self._auth = None
        return True


class TempAuthLoader(ks_loading.BaseLoader[TempAuth]):
    """Loads :class:`TempAuth` from options, as keystoneauth1 loaders do."""

    @property
    def plugin_class(self) -> type[TempAuth]:
        return TempAuth

    def get_options(self) -> list[ks_loading.Opt]:
        return [
            ks_loading.Opt('auth-url', required=True,
                           help='v1 authentication URL, such as '
                                'http://127.0.0.1:8080/auth/v1.0'),
            ks_loading.Opt('user', required=True,
                           help='v1 user, "account:user"'),
            ks_loading.Opt('key', required=True, secret=True,
                           help='v1 key (password)'),
        ]


#: the plugins keystoneauth1 lacks, for keystone.Sessions(loaders=...)
LOADERS: dict[str, ks_loading.BaseLoader[Any]] = {TEMPAUTH: TempAuthLoader()}


def load_session(conf: cfg.ConfigOpts,
                 group: str = store_conf.SWIFT_GROUP) -> ks_session.Session:
    """The session of ``group``; raises keystoneauth1 errors if misset.

    Loaded by :func:`pratai_bridge.keystone.load_session` (the one home of
    the bridge's keystoneauth1 machinery), with ``tempauth`` added to the
    plugins it knows. Builds objects only: nothing connects until the first
    request.
    """
    return keystone.load_session(
        conf, group, loaders=LOADERS,
        default_timeout=store_conf.DEFAULT_TIMEOUT)
