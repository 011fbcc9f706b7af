"""Every option that can hold a password, token or secret is secret=True:
oslo.config then never logs its value (log_opt_values, config check)."""

import re

import pytest
from keystoneauth1 import loading as ks_loading

from pratai_bridge.conf import opts

# Names that hold a secret, or a URL that may carry a user's password.
SECRET_NAME = re.compile(r'(^|_)(password|secret|token|passcode|code)$'
                         r'|^(connection|transport_url|pip_index_url)$')


def _ours():
    for group, options in opts.list_opts():
        for option in options:
            yield group, option


def _keystoneauth():
    """The options of every auth plugin a [swift], [nova] or
    [credential:NAME] group may name with auth_type."""
    for plugin in ks_loading.get_available_plugin_names():
        try:
            options = ks_loading.get_auth_plugin_conf_options(plugin)
        except Exception:  # a plugin whose extra dependency is missing
            continue
        for option in options:
            yield f'auth_type={plugin}', option


@pytest.mark.parametrize('source', [_ours, _keystoneauth])
def test_options_holding_secrets_are_secret(source):
    found = [(group, option.dest) for group, option in source()
             if SECRET_NAME.search(option.dest)]
    assert found, 'the name rule matches nothing: is it still right?'
    public = [f'[{group}] {name}' for group, option in source()
              for name in [option.dest]
              if SECRET_NAME.search(name) and not option.secret]
    assert public == []


def test_the_rule_finds_the_known_secrets():
    names = {f'{group}.{option.dest}' for group, option in _ours()
             if option.secret}
    assert {'journal.connection', 'api.token', 'swift.password',
            'nova.password', 'builder.pip_index_url'} <= names


def test_the_transport_url_is_secret():
    # oslo.messaging's own option, with the broker's password in it.
    from oslo_messaging import opts as messaging_opts
    found = [option for _, options in messaging_opts.list_opts()
             for option in options if option.dest == 'transport_url']
    assert found and all(option.secret for option in found)
