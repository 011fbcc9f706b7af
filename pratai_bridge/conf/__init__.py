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


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register every pratai-bridge option group on ``conf``."""
    for module in MODULES:
        module.register_opts(conf)


register_opts(CONF)

__all__ = ['CONF', 'MODULES', 'register_opts']
