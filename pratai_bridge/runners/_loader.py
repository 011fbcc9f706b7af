"""Load the configured runner plugin (``[runner] driver``)."""

from oslo_config import cfg

from pratai_bridge import _plugins
from pratai_bridge.runners import base

NAMESPACE = 'pratai_bridge.runners'


class UnknownRunner(base.RunnerError):
    """``[runner] driver`` names no installed runner plugin."""


def known_drivers() -> list[str]:
    """The names of the installed runner plugins."""
    return _plugins.known_drivers(NAMESPACE)


def load_runner(conf: cfg.ConfigOpts) -> base.Runner:
    """The runner ``[runner] driver`` names, built with ``conf``.

    Building a runner connects to nothing. Raises UnknownRunner (listing
    the known drivers) for an unknown name, and the plugin's own
    RunnerError when it cannot be built.
    """
    return _plugins.load_driver(NAMESPACE, conf.runner.driver, conf,
                                base.Runner, UnknownRunner, 'runner',
                                failure_class=base.RunnerError)
