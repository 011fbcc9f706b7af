"""[store] and [swift] options: where function zips are kept.

``[store] driver`` picks the plugin (namespace ``pratai_bridge.stores``):
``local`` keeps zips in a directory, ``swift`` in a Swift container.

``[swift]`` is how the Swift store authenticates, with keystoneauth1's own
option loading: ``auth_type`` picks any keystoneauth1 plugin (``password``,
``v3applicationcredential``, ``token``...) whose options then sit in the
same group, and the session options (``cafile``, ``insecure``, ``timeout``)
apply to every Swift request. One more ``auth_type`` is understood here:
``tempauth``, Swift's own v1 authentication (keystoneauth1 has no plugin
for it), with ``auth_url``, ``user`` and ``key``::

    [store]
    driver = swift
    [swift]
    auth_type = tempauth
    auth_url = http://127.0.0.1:8080/auth/v1.0
    user = test:tester
    key = testing

or, against Keystone::

    [swift]
    auth_type = password
    auth_url = http://keystone:5000/v3
    username = pratai
    password = secret
    project_name = service
    user_domain_name = Default
    project_domain_name = Default
    region_name = RegionOne
"""

from oslo_config import cfg

from pratai_bridge.conf import _keystone

GROUP = 'store'
SWIFT_GROUP = 'swift'

OPTS = [
    cfg.StrOpt('driver',
               default='local',
               help='Where function zips are kept: "local" (a directory on '
                    'this machine, for a single bridge) or "swift" (a Swift '
                    'container, see [swift]); any plugin of the '
                    'pratai_bridge.stores entry point namespace. Needs a '
                    'restart.'),
    cfg.StrOpt('local_directory',
               default='$state_path/functions',
               help='Directory of the local store: NAME/vN.zip and '
                    'NAME/vN.json per function version. Needs a restart.'),
    cfg.StrOpt('container',
               default='pratai-functions',
               help='Swift container of the swift store, created on the '
                    'first upload; objects are NAME/vN.zip with the '
                    'function settings as object metadata. Needs a '
                    'restart.'),
    cfg.StrOpt('cache_directory',
               default='$state_path/function-cache',
               help='Directory where the bridge keeps what it fetched from '
                    'the store: each function version\'s zip, by its '
                    'sha256, and the last version seen of each function. '
                    'An execution of a version this host has seen touches '
                    'neither the store nor the builder, and a store outage '
                    'only delays versions it has never seen. Needs a '
                    'restart.'),
    cfg.FloatOpt('refresh_interval',
                 default=5.0,
                 min=0.0,
                 mutable=True,
                 help='Seconds the bridge runs the last version it saw of '
                      'a function before asking the store again which '
                      'version is the latest: a new upload runs within this '
                      'delay. While the store is unavailable the last '
                      'version seen runs on, and the store is asked again '
                      'after the same delay. 0 asks at every execution.'),
    cfg.IntOpt('max_files',
               default=1000,
               min=1,
               help='Most entries (files and directories) a function zip '
                    'may hold; "function create" refuses bigger ones.'),
    cfg.IntOpt('max_uncompressed_mb',
               default=50,
               min=1,
               help='Most MiB a function zip may hold once uncompressed; '
                    '"function create" refuses bigger ones, checking the '
                    'sizes the zip declares and the bytes it really '
                    'decompresses to (zip bombs lie).'),
]

SWIFT_OPTS = [
    cfg.StrOpt('region_name',
               help='Region of the object-store endpoint in the Keystone '
                    'catalog. Needs a restart.'),
    cfg.StrOpt('interface',
               default='public',
               choices=['public', 'internal', 'admin'],
               help='Catalog interface of the object-store endpoint. Needs '
                    'a restart.'),
    cfg.URIOpt('endpoint_override',
               help='Storage URL (http://HOST:8080/v1/AUTH_project) to use '
                    'instead of the one the catalog or tempauth gives. '
                    'Needs a restart.'),
    cfg.IntOpt('retries',
               default=2,
               min=0,
               help='Times one Swift request is retried (after 0.5 s, then '
                    'doubling) on a connection error or a 5xx answer before '
                    'the store reports Swift unavailable; the caller '
                    'retries later. Needs a restart.'),
]

#: the session timeout when [swift] timeout is unset: a hung proxy must
#: end as "unavailable", never block a worker forever
DEFAULT_TIMEOUT = 30


def register_opts(conf: cfg.ConfigOpts, auth: bool = True) -> None:
    """Register [store] and [swift]; ``auth`` False leaves keystoneauth1's
    options of [swift] for later (:func:`register_auth_opts`)."""
    conf.register_opts(OPTS, group=GROUP)
    conf.register_opts(SWIFT_OPTS, group=SWIFT_GROUP)
    if auth:
        register_auth_opts(conf)


def register_auth_opts(conf: cfg.ConfigOpts) -> None:
    """keystoneauth1's options of [swift] (see
    :func:`pratai_bridge.conf.register_auth_opts`)."""
    _keystone.register_opts(conf, SWIFT_GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS), (SWIFT_GROUP, SWIFT_OPTS + _keystone.list_opts())]
