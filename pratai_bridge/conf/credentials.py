"""[credentials] options: Keystone credentials functions may act with.

An operator lists named credentials; a subscription names one
(``credential: NAME``) and each run of its function gets a token scoped
to that credential's project, never the secret. Each NAME is the option
group ``[credential:NAME]`` with keystoneauth1's options, either an
application credential of the project::

    [credentials]
    names = autoscaler

    [credential:autoscaler]
    auth_type = v3applicationcredential
    auth_url = http://keystone:5000/v3
    application_credential_id = 6cb5fa6a13184e6fab65ba2108adf50c
    application_credential_secret = glance-is-not-a-secret

or a trust the project's user gave the bridge's user (the bridge
authenticates as itself and takes the trust's scope)::

    [credential:backup]
    auth_type = password
    auth_url = http://keystone:5000/v3
    username = pratai
    password = secret
    user_domain_name = Default
    trust_id = 0ab4e8ba5a7c4b3b9a0b3c7f9a1d2e3f

Keep these groups in a file of their own, readable by the bridge only,
in the ``--config-dir`` directory: their secrets are secret options
(never logged), and they never reach a function.
"""

from oslo_config import cfg

from pratai_bridge.conf import _keystone

GROUP = 'credentials'
#: the option group of credential NAME is PREFIX + NAME
PREFIX = 'credential:'

OPTS = [
    cfg.ListOpt('names',
                default=[],
                help='Names of the credentials subscriptions may name; each '
                     'is the group [credential:NAME] with keystoneauth1 '
                     'options (auth_type v3applicationcredential, or '
                     'password with trust_id). Needs a restart.'),
    cfg.IntOpt('min_validity',
               default=300,
               min=0,
               help='Seconds a token handed to a run must stay valid '
                    'beyond the run\'s timeout; a cached token closer to '
                    'its expiry is replaced by a new one. Needs a '
                    'restart.'),
]


def group_of(name: str) -> str:
    """The option group of credential ``name``."""
    return PREFIX + name


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def register_credential(conf: cfg.ConfigOpts, name: str) -> str:
    """Register credential ``name``'s group (keystoneauth1's options, the
    plugin's come when it is loaded); returns the group."""
    group = group_of(name)
    _keystone.register_opts(conf, group)
    return group


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    # The [credential:NAME] groups are named by the operator; the
    # generator cannot list them, the module docstring shows them.
    return [(GROUP, OPTS)]
