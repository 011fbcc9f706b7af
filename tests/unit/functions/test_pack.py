"""Packing a function's directory into its zip."""

import os
import zipfile

import pytest

from pratai_bridge.functions import package
from pratai_bridge.functions import pack
from tests.unit.functions.zips import HELLO

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


@pytest.fixture
def source(tmp_path):
    root = tmp_path / 'fn'
    (root / 'lib' / '__pycache__').mkdir(parents=True)
    (root / '.git').mkdir()
    (root / 'handler.py').write_text(HELLO)
    (root / 'requirements.txt').write_text('six\n')
    (root / 'lib' / '__init__.py').write_text('')
    (root / 'lib' / 'util.py').write_text('X = 1\n')
    (root / 'lib' / '__pycache__' / 'util.cpython-311.pyc').write_bytes(b'c')
    (root / 'lib' / 'stale.pyc').write_bytes(b'c')
    (root / '.env').write_text('SECRET=1\n')
    (root / '.git' / 'HEAD').write_text('ref\n')
    (root / 'run.sh').write_text('#!/bin/sh\n')
    os.chmod(root / 'run.sh', 0o755)
    return root


def test_files_sit_at_the_top_hidden_and_compiled_left_out(source):
    data = pack.pack(str(source))
    with zipfile.ZipFile(__import__('io').BytesIO(data)) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 & 0o777
                 for i in archive.infolist()}
    assert names == ['handler.py', 'lib/__init__.py', 'lib/util.py',
                     'requirements.txt', 'run.sh']
    assert modes['run.sh'] == 0o755 and modes['handler.py'] == 0o644
    info = package.inspect(data)
    assert (info.handler, info.requirements) == ('handler', 'six\n')


def test_the_same_files_give_the_same_bytes(source):
    first = pack.pack(str(source))
    os.utime(source / 'handler.py', (0, 0))
    assert pack.pack(str(source)) == first


def test_symlinks_are_refused_with_their_path(source, tmp_path):
    (tmp_path / 'outside.py').write_text('secret\n')
    os.symlink(tmp_path / 'outside.py', source / 'lib' / 'linked.py')
    with pytest.raises(pack.PackError, match='lib/linked.py: a symlink'):
        pack.pack(str(source))


def test_limits_stop_before_reading_everything(source):
    with pytest.raises(pack.PackError, match='more than 2 files'):
        pack.pack(str(source), max_files=2)
    with pytest.raises(pack.PackError, match='more than the 0 MiB'):
        pack.pack(str(source), max_bytes=5)


def test_not_a_directory_and_empty_ones(tmp_path):
    with pytest.raises(pack.PackError, match='not a directory'):
        pack.pack(str(tmp_path / 'nope'))
    (tmp_path / 'empty' / '.hidden').mkdir(parents=True)
    with pytest.raises(pack.PackError, match='no files to pack'):
        pack.pack(str(tmp_path / 'empty'))
    assert issubclass(pack.PackError, package.PackageError)


def test_the_example_function_packs_into_a_valid_zip():
    data = pack.pack(os.path.join(REPO, 'etc', 'functions', 'hello'))
    assert package.inspect(data).handler == 'hello'
