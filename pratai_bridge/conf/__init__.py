"""oslo.config option groups: one module per group.

Only ``cmd/`` and this package touch the global ``CONF``; everything else is
handed a ``conf`` object.
"""

from oslo_config import cfg

from pratai_bridge.conf import dispatcher
from pratai_bridge.conf import journal
from pratai_bridge.conf import listener
from pratai_bridge.conf import paths
from pratai_bridge.conf import runner
from pratai_bridge.conf import store
from pratai_bridge.conf import strict
from pratai_bridge.conf import subscriptions

CONF = cfg.CONF

#: every option module, in the order the sample config lists them
MODULES = (paths, strict, listener, subscriptions, journal, dispatcher, store,
           runner)


def register_opts(conf: cfg.ConfigOpts, swift_auth: bool = True) -> None:
    """Register every pratai-bridge option group on ``conf``.

    ``swift_auth`` False leaves keystoneauth1's [swift] options for later
    (:func:`pratai_bridge.conf.store.register_swift_auth_opts`).
    """
    for module in MODULES:
        if module is store:
            store.register_opts(conf, swift_auth=swift_auth)
        else:
            module.register_opts(conf)


# keystoneauth1's [swift] options: pratai_bridge.cmd.prepare, when needed.
register_opts(CONF, swift_auth=False)

__all__ = ['CONF', 'MODULES', 'register_opts']
