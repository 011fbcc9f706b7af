"""A configuration of its own for each test: [store] under tmp_path."""

import pytest
from oslo_config import cfg

from pratai_bridge.conf import paths
from pratai_bridge.conf import store as store_conf


def make_conf(tmp_path, text: str = '') -> cfg.ConfigOpts:
    """A fresh ConfigOpts with the store groups, parsed from ``text``."""
    conf = cfg.ConfigOpts()
    paths.register_opts(conf)
    store_conf.register_opts(conf)
    config_file = tmp_path / 'pratai-bridge.conf'
    config_file.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\n{text}')
    conf(['--config-file', str(config_file)], default_config_files=[])
    return conf


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)
