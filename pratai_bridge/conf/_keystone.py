"""keystoneauth1 options of a group: for every group that authenticates.

A group that authenticates (``[swift]``, ``[nova]``, each credential of
``[credentials]``...) holds keystoneauth1's own options: ``auth_type``
and ``auth_section``, the chosen plugin's options (registered when the
plugin is loaded, see :mod:`pratai_bridge.keystone`) and the session's
(``cafile``, ``certfile``, ``keyfile``, ``insecure``, ``timeout``,
``collect_timing``, ``split_loggers``).
"""

from oslo_config import cfg

# keystoneauth1 is imported where it is used: it is a third of an admin
# command's start-up, and most commands never authenticate.


def register_opts(conf: cfg.ConfigOpts, group: str) -> None:
    """Register ``auth_type``, ``auth_section`` and the session options."""
    from keystoneauth1 import loading as ks_loading
    ks_loading.register_auth_conf_options(conf, group)
    ks_loading.register_session_conf_options(conf, group)


def list_opts(plugin_name: str = 'password') -> list[cfg.Opt]:
    """A group's options for the sample config, as Nova lists its clients':
    the common auth options, the session options and one plugin's."""
    from keystoneauth1 import loading as ks_loading
    return (ks_loading.get_auth_common_conf_options()
            + ks_loading.get_session_conf_options()
            + ks_loading.get_auth_plugin_conf_options(plugin_name))
