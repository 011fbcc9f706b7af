"""[nova] options: looking servers up in Nova to enrich instance events.

A subscription with ``enrich: [server]`` has the bridge fetch the server
an instance event is about (python-novaclient, through a keystoneauth1
session of this group) and add it under ``server``. Authentication is
keystoneauth1's, as in [swift]; ``auth_section = swift`` shares the swift
store's credentials and token::

    [nova]
    auth_type = password
    auth_url = http://keystone:5000/v3
    username = pratai
    password = secret
    project_name = service
    user_domain_name = Default
    project_domain_name = Default
    region_name = RegionOne

The bridge's user needs to see the servers of every project whose events
it enriches (an admin or reader role across projects).
"""

from oslo_config import cfg

from pratai_bridge.conf import _keystone

GROUP = 'nova'

OPTS = [
    cfg.StrOpt('api_version',
               default='2.47',
               help='Compute API microversion of the lookups. 2.47 and '
                    'later embed the flavor (name, vcpus, ram, disk) in '
                    'the server; tags need 2.26. The "server" a function '
                    'sees follows it. Needs a restart.'),
    cfg.StrOpt('region_name',
               help='Region of the compute endpoint in the Keystone '
                    'catalog. Needs a restart.'),
    cfg.StrOpt('interface',
               default='public',
               choices=['public', 'internal', 'admin'],
               help='Catalog interface of the compute endpoint. Needs a '
                    'restart.'),
    cfg.URIOpt('endpoint_override',
               help='Compute endpoint (http://HOST:8774/v2.1) to use '
                    'instead of the catalog\'s. Needs a restart.'),
    cfg.FloatOpt('cache_ttl',
                 default=30.0,
                 min=0,
                 help='Seconds a server looked up (or found missing) is '
                      'reused for the next events about it; 0 looks up '
                      'every event. Needs a restart.'),
    cfg.IntOpt('cache_size',
               default=1024,
               min=1,
               help='Most servers kept in the lookup cache; the oldest go '
                    'first. Needs a restart.'),
    cfg.IntOpt('max_concurrency',
               default=4,
               min=1,
               help='Most lookups in flight to Nova at once; further '
                    'events wait for one to finish. Lookups of one server '
                    'in flight together are made once. Needs a restart.'),
    cfg.FloatOpt('outage_backoff',
                 default=10.0,
                 min=0,
                 help='Seconds lookups are not tried after Nova (or '
                      'Keystone) could not be reached, so that an outage '
                      'does not cost every event a timeout; those events '
                      'go on without "server". Needs a restart.'),
]


def register_opts(conf: cfg.ConfigOpts, auth: bool = True) -> None:
    """Register [nova]; ``auth`` False leaves keystoneauth1's options for
    later (:func:`register_auth_opts`)."""
    conf.register_opts(OPTS, group=GROUP)
    if auth:
        register_auth_opts(conf)


def register_auth_opts(conf: cfg.ConfigOpts) -> None:
    """keystoneauth1's options of [nova] (see
    :func:`pratai_bridge.conf.register_auth_opts`)."""
    _keystone.register_opts(conf, GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS + _keystone.list_opts())]
