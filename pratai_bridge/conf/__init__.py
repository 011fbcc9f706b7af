"""oslo.config option groups: one module per group.

Only ``cmd/`` and this package touch the global ``CONF``; everything else is
handed a ``conf`` object.
"""

from oslo_config import cfg

from pratai_bridge.conf import api
from pratai_bridge.conf import credentials
from pratai_bridge.conf import dispatcher
from pratai_bridge.conf import journal
from pratai_bridge.conf import listener
from pratai_bridge.conf import nova
from pratai_bridge.conf import paths
from pratai_bridge.conf import runner
from pratai_bridge.conf import sandbox
from pratai_bridge.conf import store
from pratai_bridge.conf import strict
from pratai_bridge.conf import subscriptions

CONF = cfg.CONF

#: every option module, in the order the sample config lists them
MODULES = (paths, strict, listener, subscriptions, journal, dispatcher, store,
           runner, sandbox, nova, credentials, api)


def register_opts(conf: cfg.ConfigOpts, auth: bool = True) -> None:
    """Register every pratai-bridge option group on ``conf``.

    ``auth`` False leaves keystoneauth1's options of the groups that
    authenticate ([swift], [nova]) for later (:func:`register_auth_opts`).
    """
    for module in MODULES:
        if hasattr(module, 'register_auth_opts'):
            module.register_opts(conf, auth=auth)
        else:
            module.register_opts(conf)


def register_auth_opts(conf: cfg.ConfigOpts) -> None:
    """keystoneauth1's options of every group that authenticates.

    Importing keystoneauth1 is a third of an admin command's start-up, so
    the admin CLI registers these only when a command needs them
    (pratai_bridge.cmd.prepare); they may be registered after parsing.
    """
    for module in MODULES:
        register = getattr(module, 'register_auth_opts', None)
        if register is not None:
            register(conf)


# keystoneauth1's options: pratai_bridge.cmd.prepare, when needed.
register_opts(CONF, auth=False)

__all__ = ['CONF', 'MODULES', 'register_auth_opts', 'register_opts']
