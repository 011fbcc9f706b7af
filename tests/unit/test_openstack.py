"""The service's OpenStack clients: one session per credential set, each
client built only when configured."""

from oslo_config import cfg

from pratai_bridge import conf as conf_mod
from pratai_bridge import openstack
from pratai_bridge.functions.store import _loader as store_loader
from pratai_bridge.functions.store.swift import SwiftStore

PASSWORD = ('auth_type = password\nauth_url = http://127.0.0.1:5000/v3\n'
            'username = u\npassword = p\nproject_name = x\n'
            'user_domain_id = default\nproject_domain_id = default\n')


def _conf(tmp_path, text):
    conf = cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    path = tmp_path / 'b.conf'
    path.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\n{text}')
    conf(['--config-file', str(path)], default_config_files=[])
    return conf


def test_nothing_configured_nothing_built(tmp_path):
    clients = openstack.build(_conf(tmp_path, ''))
    assert clients.enricher is None and clients.broker is None


def test_nova_sharing_the_stores_credentials_shares_its_token(tmp_path):
    conf = _conf(tmp_path, f'[store]\ndriver = swift\n[swift]\n{PASSWORD}'
                 '[nova]\nauth_section = swift\n')
    clients = openstack.build(conf)
    assert clients.enricher is not None
    store = store_loader.load_store(conf, sessions=clients.sessions)
    assert isinstance(store, SwiftStore)
    nova = clients.sessions.get('nova')
    assert store._session is clients.sessions.get('swift')
    assert nova.auth is store._session.auth  # one plugin, one token


def test_credentials_get_a_broker(tmp_path):
    conf = _conf(tmp_path, '[credentials]\nnames = bot\n'
                 '[credential:bot]\nauth_type = v3applicationcredential\n'
                 'auth_url = http://127.0.0.1:5000/v3\n'
                 'application_credential_id = i\n'
                 'application_credential_secret = s\n')
    clients = openstack.build(conf)
    assert clients.broker is not None and clients.broker.names == ('bot',)
