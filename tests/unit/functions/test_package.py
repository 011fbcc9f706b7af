import hashlib
import io
import stat
import zipfile

import pytest

from pratai_bridge.functions import package
from pratai_bridge.functions.package import PackageError
from tests.unit.functions.zips import HELLO
from tests.unit.functions.zips import make_zip
from tests.unit.functions.zips import patch_entry
from tests.unit.functions.zips import raw_name_zip

MIB = 1024 * 1024


def _refused(data, *args, **kwargs):
    with pytest.raises(PackageError) as info:
        package.inspect(data, *args, **kwargs)
    return str(info.value)


def test_good_zip():
    data = make_zip({'handler.py': HELLO, 'lib/util.py': 'X = 1\n',
                     'data/': '', 'requirements.txt': 'six==1.16.0\n'})
    info = package.inspect(data)
    assert info.handler == 'handler'
    assert info.files == ('handler.py', 'lib/util.py', 'requirements.txt')
    assert info.requirements == 'six==1.16.0\n'
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert info.uncompressed_size == len(HELLO) + len('X = 1\n') + 12


def test_no_requirements():
    assert package.inspect(make_zip({'h.py': HELLO})).requirements is None


def test_package_init_is_a_handler():
    info = package.inspect(make_zip({'fn/__init__.py': HELLO,
                                     'fn/helpers.py': ''}))
    assert info.handler == 'fn'


def test_several_mains_need_handler():
    data = make_zip({'a.py': HELLO, 'b.py': HELLO, 'c.py': 'x = 1\n'})
    message = _refused(data)
    assert 'a, b' in message and '--handler' in message
    assert package.inspect(data, handler='b').handler == 'b'


def test_handler_may_be_dotted():
    data = make_zip({'a.py': HELLO, 'pkg/__init__.py': '',
                     'pkg/mod.py': HELLO})
    assert package.inspect(data, handler='pkg.mod').handler == 'pkg.mod'


def test_named_handler_must_exist_and_define_main():
    data = make_zip({'a.py': HELLO, 'b.py': 'def helper():\n    pass\n'})
    assert 'nope' in _refused(data, handler='nope')
    assert 'b.py does not define a top-level main' in _refused(
        data, handler='b')
    assert 'not a module name' in _refused(data, handler='../a')


def test_main_must_be_top_level_and_sync():
    nested = 'if True:\n    def main(payload=None):\n        pass\n'
    asynchronous = 'async def main(payload=None):\n    pass\n'
    method = 'class A:\n    def main(self, payload=None):\n        pass\n'
    for source in (nested, asynchronous, method, 'main = print\n'):
        message = _refused(make_zip({'handler.py': source}))
        assert message.startswith('no top-level module defines main')


def test_main_must_take_the_payload():
    message = _refused(make_zip({'h.py': 'def main():\n    pass\n'}))
    assert message.startswith('h.py:1: main() must accept the payload')
    two = 'x = 1\n\ndef main(payload, context):\n    pass\n'
    assert _refused(make_zip({'h.py': two})).startswith('h.py:3: ')
    for ok in ('def main(payload):\n pass\n', 'def main(*args):\n pass\n',
               'def main(event=None, *, flag=False):\n pass\n'):
        assert package.inspect(make_zip({'h.py': ok})).handler == 'h'


def test_modules_in_subdirectories_are_not_handlers():
    message = _refused(make_zip({'fn/handler.py': HELLO}))
    assert 'every file is under fn/' in message


def test_syntax_error_names_file_and_line():
    broken = 'def main(payload=None):\n    return (\n'
    message = _refused(make_zip({'handler.py': broken}))
    assert message.startswith('handler.py:2: syntax error')
    data = make_zip({'ok.py': HELLO, 'pkg/bad.py': 'def main(:\n'})
    assert _refused(data, handler='pkg.bad').startswith('pkg/bad.py:1: ')


def test_source_is_never_imported(tmp_path):
    marker = tmp_path / 'imported'
    source = (f'open({str(marker)!r}, "w").close()\n'
              'def main(payload=None):\n    pass\n')
    package.inspect(make_zip({'handler.py': source}))
    assert not marker.exists()


@pytest.mark.parametrize('data, expected', [
    (b'', 'not a zip file'),
    (b'PK\x03\x04 definitely not a zip', 'not a zip file'),
    (HELLO.encode(), 'not a zip file'),
])
def test_not_a_zip(data, expected):
    assert _refused(data).startswith(expected)


@pytest.mark.parametrize('name, expected', [
    ('../evil.py', '".." is not allowed'),
    ('lib/../../evil.py', '".." is not allowed'),
    ('/etc/cron.d/evil', 'absolute paths'),
    ('C:/evil.py', 'absolute paths'),
    ('lib\\..\\..\\evil.py', 'backslashes'),
    ('lib//evil.py', 'empty or "."'),
    ('./evil.py', 'empty or "."'),
    ('\\\\server\\share\\evil.py', 'backslashes'),
    ('c:evil.py', 'absolute paths'),
    ('D:\\evil.py', 'backslashes'),
    ('//etc/passwd', 'absolute paths'),
    ('lib/..', '".." is not allowed'),
])
def test_hostile_paths(name, expected):
    message = _refused(make_zip({'handler.py': HELLO, name: 'x'}))
    assert expected in message and name in message


def test_symlinks_are_refused():
    data = make_zip({'handler.py': HELLO,
                     'secrets': ('symlink', '/etc/shadow')})
    assert _refused(data) == 'secrets: symbolic links are not allowed'


def test_duplicate_entries_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        archive.writestr('handler.py', HELLO)
        with pytest.warns(UserWarning):
            archive.writestr('handler.py', 'def main(p):\n    evil()\n')
    assert 'appears twice' in _refused(buffer.getvalue())


def _zip_of(*names):
    """A zip of ``names`` in this order, duplicates kept; ``x/`` is a
    directory entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        archive.writestr('handler.py', HELLO)
        for name in names:
            archive.writestr(name, '' if name.endswith('/') else 'x')
    return buffer.getvalue()


@pytest.mark.parametrize('names, clash', [
    (('a', 'a/b'), 'a'),
    (('a/b', 'a'), 'a'),
    (('lib/x', 'lib/x/y/z.py'), 'lib/x'),
    (('lib/x/y/z.py', 'lib/x'), 'lib/x'),
    (('a', 'a/'), 'a'),
    (('a/', 'a'), 'a'),
    (('a', 'a/b/'), 'a'),
    (('handler.py/__init__.py',), 'handler.py'),
])
def test_a_name_cannot_be_a_file_and_a_directory(names, clash):
    assert _refused(_zip_of(*names)) == (
        f'{clash}: both a file and a directory in the zip')


def test_exact_duplicates_are_refused_whatever_their_kind():
    with pytest.warns(UserWarning):
        assert _refused(_zip_of('lib/a.txt', 'lib/a.txt')) == (
            'lib/a.txt: appears twice in the zip')
    with pytest.warns(UserWarning):
        assert _refused(_zip_of('lib/', 'lib/')) == (
            'lib: appears twice in the zip')


def test_directories_entries_and_files_beneath_them_are_fine():
    info = package.inspect(_zip_of('lib/', 'lib/a.py', 'lib/sub/',
                                   'lib/sub/b.py', 'other/c.txt'))
    assert info.files == ('handler.py', 'lib/a.py', 'lib/sub/b.py',
                          'other/c.txt')
    # Case differs: two names on Linux, where functions are unpacked.
    package.inspect(_zip_of('Data.txt', 'data.txt'))


@pytest.mark.parametrize('name, expected', [
    ('x' * 256, 'longer than 255 bytes'),
    ('lib/' + 'é' * 128 + '.py', 'longer than 255 bytes'),
    ('/'.join(['d' * 200] * 6), 'longer than 1024 bytes'),
])
def test_names_too_long_to_unpack_are_refused(name, expected):
    assert expected in _refused(make_zip({'handler.py': HELLO, name: 'x'}))


def test_the_longest_names_pass():
    package.inspect(make_zip({'handler.py': HELLO, 'x' * 255: 'x',
                              '/'.join(['d' * 200] * 5): 'x'}))


def test_encrypted_entries_are_refused():
    data = make_zip({'handler.py': HELLO, 'secret.bin': b'xx'})
    encrypted = patch_entry(data, 'secret.bin', 'flags', 0x1)
    assert _refused(encrypted) == ('secret.bin: encrypted entries are not '
                                   'supported')


def test_too_many_files():
    files = {f'f{i}.txt': '' for i in range(10)}
    files['handler.py'] = HELLO
    assert 'has 11 entries, more than the 10 allowed' in _refused(
        make_zip(files), max_files=10)
    assert package.inspect(make_zip(files), max_files=11).handler


def test_declared_size_over_the_limit():
    data = make_zip({'handler.py': HELLO, 'big.bin': b'\0' * (2 * MIB)})
    message = _refused(data, max_uncompressed=MIB)
    assert 'uncompresses to' in message and f'{MIB} allowed' in message


def test_default_limit_is_50_mib():
    data = make_zip({'handler.py': HELLO, 'big.bin': b'\0' * (51 * MIB)})
    assert 'more than the 52428800 allowed' in _refused(data)


def test_zip_bomb_lying_about_its_sizes():
    honest = make_zip({'handler.py': HELLO, 'bomb.bin': b'\0' * (8 * MIB)})
    bomb = patch_entry(honest, 'bomb.bin', 'file_size', 10)
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo('bomb.bin').file_size \
        == 10
    message = _refused(bomb, max_uncompressed=MIB)
    assert message.startswith('bomb.bin: corrupt')


def test_decompressed_bytes_are_counted(monkeypatch):
    # Whatever a zip library does with lying headers, the bytes it really
    # hands over are counted and reading stops past the limit.
    data = make_zip({'handler.py': HELLO, 'small.bin': b'x'})
    produced = []

    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            produced.append(len(buffer))
            buffer[:] = b'\0' * len(buffer)
            return len(buffer)

    monkeypatch.setattr(zipfile.ZipFile, 'open',
                        lambda self, entry: io.BufferedReader(Endless()))
    message = _refused(data, max_uncompressed=MIB)
    assert 'declared sizes are false' in message
    assert sum(produced) < 2 * MIB


def test_requirements_must_be_utf8():
    data = make_zip({'handler.py': HELLO, 'requirements.txt': b'\xff\xfe'})
    assert 'requirements.txt is not UTF-8' in _refused(data)


def test_stored_entries_are_read_too():
    data = make_zip({'handler.py': HELLO}, compression=zipfile.ZIP_STORED)
    assert package.inspect(data).handler == 'handler'


@pytest.mark.parametrize('kind, expected', [
    (('hardlink', '/etc/shadow'), 'hard and symbolic links are not allowed'),
    (('mode', stat.S_IFIFO | 0o644, ''), 'only plain files and directories'),
    (('mode', stat.S_IFCHR | 0o644, ''), 'only plain files and directories'),
    (('mode', stat.S_IFBLK | 0o644, ''), 'only plain files and directories'),
    (('mode', stat.S_IFSOCK | 0o644, ''), 'only plain files and directories'),
])
def test_links_and_special_files_are_refused(kind, expected):
    message = _refused(make_zip({'handler.py': HELLO, 'evil': kind}))
    assert message == f'evil: {expected}' or message.startswith(
        f'evil: {expected}')


def test_plain_unix_modes_pass():
    data = make_zip({'handler.py': ('mode', stat.S_IFREG | 0o755, HELLO)})
    assert package.inspect(data).handler == 'handler'


def test_names_not_marked_utf8_are_refused():
    data = raw_name_zip('évil.py'.encode('latin-1'), utf8_flag=False)
    message = _refused(data)
    assert 'not ASCII and not marked UTF-8' in message


def test_names_marked_utf8_must_be_utf8():
    data = raw_name_zip(b'\xff\xfeevil.py', utf8_flag=True)
    assert 'flagged UTF-8 but is not' in _refused(data)


def test_utf8_names_pass():
    data = make_zip({'handler.py': HELLO, 'données/é.txt': 'x'})
    assert 'données/é.txt' in package.inspect(data).files


def test_compression_ratio_over_the_limit():
    # 2 MiB of zeros deflates ~1000 to 1: declared sizes well under the
    # total limit, the ratio alone refuses it.
    data = make_zip({'handler.py': HELLO, 'bomb.bin': b'\0' * (2 * MIB)})
    message = _refused(data)
    assert message.startswith('bomb.bin: compressed ')
    assert 'more than the 100 to 1 allowed' in message
    assert package.inspect(data, max_ratio=2000).handler == 'handler'


def test_small_entries_are_never_refused_for_their_ratio():
    data = make_zip({'handler.py': HELLO, 'blank.txt': b' ' * MIB})
    assert package.inspect(data).handler == 'handler'


def test_a_bomb_lying_about_its_ratio_is_stopped_while_read():
    honest = make_zip({'handler.py': HELLO, 'bomb.bin': b'\0' * (4 * MIB)})
    liar = patch_entry(honest, 'bomb.bin', 'file_size', 1000)
    message = _refused(liar, max_ratio=2)
    assert message.startswith('bomb.bin:')


def test_requirements_are_checked_at_inspection():
    data = make_zip({'handler.py': HELLO, 'requirements.txt':
                     'six\n--extra-index-url http://evil.example/simple\n'})
    message = _refused(data)
    assert message.startswith('requirements.txt line 2: pip options')
    good = make_zip({'handler.py': HELLO, 'requirements.txt':
                     'six  # why\nPyYAML >= 6\n'})
    assert package.inspect(good).specifiers == ('six', 'PyYAML>=6')
