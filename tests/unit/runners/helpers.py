"""Configurations and functions for the runner and builder tests."""

import hashlib
import pathlib
import zipfile

from oslo_config import cfg

from pratai_bridge.conf import dispatcher as dispatcher_conf
from pratai_bridge.conf import paths
from pratai_bridge.conf import runner as runner_conf
from pratai_bridge.conf import sandbox as sandbox_conf
from pratai_bridge.conf import store as store_conf
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.runners.base import Limits
from tests.unit.functions.zips import make_zip


def make_conf(tmp_path, text: str = '') -> cfg.ConfigOpts:
    """A fresh ConfigOpts with every group a runner reads."""
    conf = cfg.ConfigOpts()
    for module in (paths, store_conf, dispatcher_conf, runner_conf,
                   sandbox_conf):
        module.register_opts(conf)
    config_file = tmp_path / 'pratai-bridge.conf'
    config_file.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\n{text}')
    conf(['--config-file', str(config_file)], default_config_files=[])
    return conf


def make_function(files: dict, name: str = 'fn', handler: str = 'handler',
                  version: int = 1, **settings) -> tuple[Function, bytes]:
    """A stored-looking function and its zip."""
    data = make_zip(files)
    spec = FunctionSpec(name=name, handler=handler, **settings)
    function = Function(spec=spec, version=version,
                        sha256=hashlib.sha256(data).hexdigest(),
                        size=len(data), created_at='2025-01-01T00:00:00Z')
    return function, data


def limits(**overrides) -> Limits:
    values = {'memory_mb': 128, 'timeout_s': 10.0}
    values.update(overrides)
    return Limits(**values)


def local_index(root: pathlib.Path) -> str:
    """A PEP 503 index on disk holding one tiny pure-Python wheel,
    pratai-tiny 1.0 (``import pratai_tiny; pratai_tiny.VALUE == 42``);
    returns its file:// URL, for ``[builder] pip_index_url``."""
    project = root / 'pratai-tiny'
    project.mkdir(parents=True)
    wheel = project / 'pratai_tiny-1.0-py3-none-any.whl'
    info = 'pratai_tiny-1.0.dist-info'
    with zipfile.ZipFile(wheel, 'w') as archive:
        archive.writestr('pratai_tiny/__init__.py', 'VALUE = 42\n')
        archive.writestr(f'{info}/METADATA', 'Metadata-Version: 2.1\n'
                         'Name: pratai-tiny\nVersion: 1.0\n')
        archive.writestr(f'{info}/WHEEL', 'Wheel-Version: 1.0\n'
                         'Generator: hand\nRoot-Is-Purelib: true\n'
                         'Tag: py3-none-any\n')
        archive.writestr(f'{info}/RECORD', '')
    (project / 'index.html').write_text(
        f'<html><body><a href="{wheel.name}">{wheel.name}</a></body></html>')
    (root / 'index.html').write_text(
        '<html><body><a href="pratai-tiny/">pratai-tiny</a></body></html>')
    return root.as_uri()
