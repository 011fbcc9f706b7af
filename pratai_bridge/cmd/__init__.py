"""Command-line entry points. Once-per-process setup lives here."""

from collections.abc import Sequence

from oslo_config import cfg
from oslo_log import log as logging

from pratai_bridge.conf import CONF

PROJECT = 'pratai-bridge'

# oslo.messaging and kombu log every reconnect attempt at INFO.
_LOG_LEVELS = ['amqp=WARN', 'kombu=WARN', 'oslo.messaging=INFO',
               'oslo_messaging=INFO', 'stevedore=WARN', 'sqlalchemy=WARN']

logging.register_options(CONF)
logging.set_defaults(default_log_levels=logging.get_default_log_levels() +
                     _LOG_LEVELS)


def prepare(argv: Sequence[str], setup_logging: bool = True
            ) -> cfg.ConfigOpts:
    """Parse ``--config-file``/``--config-dir``; set up oslo.log.

    The admin CLI passes ``setup_logging=False``: cliff's console logging
    prints its errors as one plain line on stderr.
    """
    CONF(list(argv), project=PROJECT)
    if setup_logging:
        logging.setup(CONF, PROJECT)
    return CONF
