"""The build context of a function image."""

import time

import pytest

from pratai_bridge.runners.docker import _context as context_mod
from tests.unit.runners.helpers import make_conf
from tests.unit.runners.helpers import make_function

HELLO = 'def main(payload=None):\n    return payload\n'


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)


def test_write_without_requirements(conf, tmp_path):
    function, data = make_function({'handler.py': HELLO})
    context = tmp_path / 'context'
    context.mkdir()
    assert not context_mod.write(conf, function, data, context, 'RT',
                                 time.monotonic() + 60)
    assert sorted(p.name for p in context.iterdir()) == ['Dockerfile',
                                                        'function']
    assert (context / 'Dockerfile').read_text().startswith('FROM RT\n')


def test_write_with_requirements(conf, tmp_path, monkeypatch):
    downloads = []
    monkeypatch.setattr(context_mod._wheels, 'download_wheels',
                        lambda conf, req, dest, timeout: downloads.append(
                            (req.read_text(), dest, timeout <= 60)))
    function, data = make_function({'handler.py': HELLO,
                                    'requirements.txt': 'six  # why\n'})
    assert context_mod.write(conf, function, data, tmp_path, 'RT',
                             time.monotonic() + 60)
    # The time left of the build's, no more.
    assert downloads == [('six\n', tmp_path / 'wheels', True)]
    assert 'AS deps' in (tmp_path / 'Dockerfile').read_text()
    # The zip's own requirements.txt stays in the function as it was.
    assert (tmp_path / 'function' / 'requirements.txt').read_text() == \
        'six  # why\n'
