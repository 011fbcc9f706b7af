"""keystoneauth1 sessions built from option groups, one per credential set.

Every OpenStack client of the bridge (swiftclient for the swift store,
novaclient for enrichment, the credential broker's token requests) talks
through a keystoneauth1 session loaded with keystoneauth1's own loading
helpers, so any keystoneauth1 plugin works in any group: ``password``,
``v3applicationcredential``, ``token``, ``v3oidc...``; ``auth_section``
points a group at another group's credentials. The session, not the
bridge, keeps the token, renews it shortly before it expires, and
re-authenticates when a service answers 401 (a revoked token).

One credential set, one token: :class:`Sessions` builds one auth plugin
per auth section (the group holding ``auth_type``) and a session per
group around it, so ``[nova] auth_section = swift`` shares [swift]'s token
rather than asking Keystone for a second one. The session options
(``cafile``, ``insecure``, ``timeout``...) are the group's own.

The options themselves are registered by
:mod:`pratai_bridge.conf._keystone` for each group that authenticates.

Nothing here connects: loading builds objects, the first request
authenticates. Errors in the options raise keystoneauth1 exceptions
(``MissingAuthPlugin``, ``MissingRequiredOptions``...) or oslo.config's.
"""

import threading
from collections.abc import Mapping

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import plugin
from keystoneauth1 import session as ks_session
from oslo_config import cfg

__all__ = ['DEFAULT_TIMEOUT', 'Sessions', 'auth_section', 'load_auth',
           'load_session']

#: seconds a request may take when the group sets no ``timeout``: a hung
#: service must end as an error, never block a thread forever
DEFAULT_TIMEOUT = 30.0

Loaders = Mapping[str, ks_loading.BaseLoader]


def auth_section(conf: cfg.ConfigOpts, group: str) -> str:
    """The group whose auth options ``group`` uses (its ``auth_section``)."""
    return conf[group].auth_section or group


def load_auth(conf: cfg.ConfigOpts, group: str,
              loaders: Loaders | None = None) -> plugin.BaseAuthPlugin:
    """The auth plugin ``group`` configures.

    ``loaders`` adds plugins keystoneauth1 does not have, by ``auth_type``
    name (the swift store's ``tempauth``): their options are registered on
    the auth section when chosen. Raises MissingAuthPlugin when no
    ``auth_type`` is set, and keystoneauth1's errors for missing options.
    """
    section = auth_section(conf, group)
    auth_type = conf[section].auth_type
    extra = (loaders or {}).get(auth_type) if auth_type else None
    auth: plugin.BaseAuthPlugin | None
    if extra is not None:
        conf.register_opts(ks_loading.get_auth_plugin_conf_options(extra),
                           group=section)
        auth = extra.load_from_options_getter(
            lambda opt: conf[section][opt.dest])
    else:
        auth = ks_loading.load_auth_from_conf_options(conf, group)
    if auth is None:
        known = ', '.join(['password', 'v3applicationcredential', 'token',
                           *(loaders or {})])
        raise ks_exc.MissingAuthPlugin(
            f'[{section}] auth_type is not set ({known}...)')
    return auth


def load_session(conf: cfg.ConfigOpts, group: str, *,
                 auth: plugin.BaseAuthPlugin | None = None,
                 loaders: Loaders | None = None,
                 default_timeout: float = DEFAULT_TIMEOUT
                 ) -> ks_session.Session:
    """A session with ``group``'s session options and auth plugin.

    ``auth`` given is used as it is (a plugin shared with other groups);
    otherwise it is loaded with :func:`load_auth`.
    """
    if auth is None:
        auth = load_auth(conf, group, loaders)
    timeout = conf[group].timeout or default_timeout
    return ks_loading.load_session_from_conf_options(
        conf, group, auth=auth, timeout=timeout)


class Sessions:
    """The sessions of one process, one auth plugin per credential set.

    Thread safe: a session and its plugin are built once, under a lock,
    the first time a group asks; keystoneauth1 sessions and identity
    plugins may then be used from many threads.
    """

    def __init__(self, conf: cfg.ConfigOpts,
                 loaders: Loaders | None = None,
                 default_timeout: float = DEFAULT_TIMEOUT) -> None:
        self._conf = conf
        self._loaders = dict(loaders or {})
        self._default_timeout = default_timeout
        self._lock = threading.Lock()
        #: auth section -> its plugin (and so its token)
        self._auth: dict[str, plugin.BaseAuthPlugin] = {}
        #: group -> its session around the section's plugin
        self._sessions: dict[str, ks_session.Session] = {}

    def get(self, group: str) -> ks_session.Session:
        """``group``'s session; raises what :func:`load_auth` raises."""
        with self._lock:
            session = self._sessions.get(group)
            if session is None:
                section = auth_section(self._conf, group)
                auth = self._auth.get(section)
                if auth is None:
                    auth = self._auth[section] = load_auth(
                        self._conf, group, self._loaders)
                session = self._sessions[group] = load_session(
                    self._conf, group, auth=auth,
                    default_timeout=self._default_timeout)
            return session
