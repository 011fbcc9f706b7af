"""Unpacking a stored zip on the host."""

import os
import pathlib
import stat

import pytest

from pratai_bridge.functions import unpack as unpack_mod
from tests.unit.runners.helpers import make_function

HELLO = 'def main(payload=None):\n    return payload\n'


def _unpack(function, data, destination):
    return unpack_mod.unpack(function, data, destination, max_files=1000,
                             max_uncompressed_mb=50)


def test_unpack_checks_and_writes_readable_files(tmp_path):
    old = os.umask(0o077)
    try:
        function, data = make_function({'handler.py': HELLO,
                                        'pkg/__init__.py': '',
                                        'pkg/data/x.json': '{}'})
        _unpack(function, data, tmp_path / 'fn')
    finally:
        os.umask(old)
    names = sorted(str(p.relative_to(tmp_path / 'fn'))
                   for p in (tmp_path / 'fn').rglob('*') if p.is_file())
    assert names == ['handler.py', 'pkg/__init__.py', 'pkg/data/x.json']
    mode = stat.S_IMODE((tmp_path / 'fn' / 'pkg/data/x.json').stat().st_mode)
    assert mode == 0o644


def test_unpack_refuses_another_zip_or_a_bad_one(tmp_path):
    function, _ = make_function({'handler.py': HELLO})
    _, other = make_function({'handler.py': HELLO + '\n'})
    with pytest.raises(unpack_mod.UnpackError, match='not the one stored'):
        _unpack(function, other, tmp_path / 'a')
    with pytest.raises(unpack_mod.UnpackError, match='not a zip'):
        _unpack(function, b'nope', tmp_path / 'b')


def test_unpack_errors_of_the_filesystem_are_runner_errors(
        tmp_path, monkeypatch):
    function, data = make_function({'handler.py': HELLO, 'pkg/a.txt': ''})
    (tmp_path / 'file').write_text('not a directory')
    with pytest.raises(unpack_mod.UnpackError,
                       match=r'fn:1: cannot unpack .*file/fn'):
        _unpack(function, data, tmp_path / 'file' / 'fn')

    def full(self, data):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(pathlib.Path, 'write_bytes', full)
    with pytest.raises(unpack_mod.UnpackError,
                       match='No space left on device'):
        _unpack(function, data, tmp_path / 'fn')
