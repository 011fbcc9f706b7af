import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import identity
from oslo_config import cfg

from pratai_bridge import keystone
from pratai_bridge.conf import _keystone
from pratai_bridge.functions.store import _swift_auth


def _conf(tmp_path, text):
    conf = cfg.ConfigOpts()
    for group in ('swift', 'nova', 'other'):
        _keystone.register_opts(conf, group)
    path = tmp_path / 'k.conf'
    path.write_text(text)
    conf(['--config-file', str(path)], default_config_files=[])
    return conf


PASSWORD = ('auth_type = password\nauth_url = http://127.0.0.1:5000/v3\n'
            'username = u\npassword = p\nproject_name = x\n'
            'user_domain_id = default\nproject_domain_id = default\n')


def test_plugins_are_loaded_from_groups(tmp_path):
    conf = _conf(tmp_path, f'[nova]\n{PASSWORD}timeout = 7\n'
                 '[other]\nauth_type = v3applicationcredential\n'
                 'auth_url = http://127.0.0.1:5000/v3\n'
                 'application_credential_id = i\n'
                 'application_credential_secret = s\n')
    session = keystone.load_session(conf, 'nova')
    assert isinstance(session.auth, identity.generic.Password)
    assert session.timeout == 7
    other = keystone.load_session(conf, 'other')
    assert isinstance(other.auth, identity.v3.ApplicationCredential)
    assert other.timeout == keystone.DEFAULT_TIMEOUT


def test_no_auth_type_is_a_clear_error(tmp_path):
    conf = _conf(tmp_path, '[nova]\n')
    with pytest.raises(ks_exc.MissingAuthPlugin, match=r'\[nova\]'):
        keystone.load_session(conf, 'nova')


def test_one_plugin_per_credential_set(tmp_path):
    conf = _conf(tmp_path, f'[swift]\n{PASSWORD}[nova]\nauth_section = swift\n'
                 'timeout = 3\n[other]\n' + PASSWORD)
    sessions = keystone.Sessions(conf)
    swift, nova, other = (sessions.get(g) for g in ('swift', 'nova',
                                                    'other'))
    assert sessions.get('nova') is nova
    assert nova.auth is swift.auth  # one token for [swift] and [nova]
    assert nova.timeout == 3  # the session options are the group's
    assert other.auth is not swift.auth


def test_extra_loaders(tmp_path):
    conf = _conf(tmp_path, '[swift]\nauth_type = tempauth\n'
                 'auth_url = http://127.0.0.1:8080/auth/v1.0\n'
                 'user = test:tester\nkey = testing\n')
    session = _swift_auth.load_session(conf)
    assert isinstance(session.auth, _swift_auth.TempAuth)
