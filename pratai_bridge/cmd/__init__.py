"""Command-line entry points. Once-per-process setup lives here."""

import warnings
from collections.abc import Sequence

from oslo_config import cfg

from pratai_bridge.conf import CONF
from pratai_bridge import conf as conf_mod

PROJECT = 'pratai-bridge'

# oslo.messaging imports oslo.service, which imports eventlet only to warn
# that eventlet is deprecated; the bridge never uses eventlet.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
warnings.filterwarnings('ignore', category=DeprecationWarning,
                        module='oslo_service|oslo_utils')

# oslo.messaging and kombu log every reconnect attempt at INFO.
_LOG_LEVELS = ['amqp=WARN', 'kombu=WARN', 'oslo.messaging=INFO',
               'oslo_messaging=INFO', 'stevedore=WARN', 'sqlalchemy=WARN']


def prepare(argv: Sequence[str], setup_logging: bool = True
            ) -> cfg.ConfigOpts:
    """Parse ``--config-file``/``--config-dir``; set up oslo.log.

    The admin CLI passes ``setup_logging=False``: cliff's console logging
    prints its errors as one plain line on stderr, and not importing
    oslo.log keeps every admin call shorter. (The configuration check
    knows oslo.log's options without their being registered.)
    """
    if setup_logging:
        from oslo_log import log as logging
        logging.register_options(CONF)
        logging.set_defaults(
            default_log_levels=logging.get_default_log_levels() +
            _LOG_LEVELS)
    CONF(list(argv), project=PROJECT)
    if setup_logging or CONF.store.driver != 'local':
        # The admin CLI reads no [nova], and the local store never reads
        # [swift]: it spares itself the import of keystoneauth1 then.
        conf_mod.register_auth_opts(CONF)
    if setup_logging:
        logging.setup(CONF, PROJECT)
    return CONF
