"""Pack a function's source directory into the zip that is stored.

``function create NAME --zip DIR`` packs DIR as if its files had been
zipped from inside it: ``DIR/hello.py`` becomes ``hello.py``, ``DIR/lib/
x.py`` becomes ``lib/x.py``. Left out: hidden files and directories (``.git``,
``.env``...), ``__pycache__`` and compiled ``*.pyc``/``*.pyo``: none is
source, and hidden files are where secrets tend to sit.

The zip is deterministic: entries in name order, one fixed timestamp, mode
0644 (0755 for executables), so packing the same files twice gives the
same bytes, the same sha256 and so the same image, which is reused rather
than built again. A symlink is refused (the stored zip would be refused
for it anyway, and following it could pack files from outside DIR), and
packing stops as soon as the files pass the size or count the store
accepts, before anything big is read into memory.
"""

import io
import os
import stat
import zipfile

from pratai_bridge.functions import package

__all__ = ['PackError', 'pack']

_SKIPPED_DIRS = ('__pycache__',)
_SKIPPED_SUFFIXES = ('.pyc', '.pyo')
#: zip's earliest date: any fixed one makes the bytes reproducible
_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class PackError(package.PackageError):
    """The directory cannot be packed; the message names the path."""


def pack(directory: str, max_files: int = package.MAX_FILES,
         max_bytes: int = package.MAX_UNCOMPRESSED) -> bytes:
    """The zip of ``directory``'s files; raises PackError."""
    if not os.path.isdir(directory):
        raise PackError(f'{directory}: not a directory')
    files = _files(directory, max_files)
    if not files:
        raise PackError(f'{directory}: no files to pack')
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, path, mode in files:
            total += os.path.getsize(path)
            if total > max_bytes:
                raise PackError(f'{directory}: the files hold more than '
                                f'the {max_bytes // (1024 * 1024)} MiB a '
                                'function may')
            entry = zipfile.ZipInfo(name, _TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = (stat.S_IFREG | mode) << 16
            with open(path, 'rb') as source:
                archive.writestr(entry, source.read())
    return buffer.getvalue()


def _files(directory: str, max_files: int) -> list[tuple[str, str, int]]:
    """(name in the zip, path, mode) of each file to pack, sorted."""
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not _skipped(d, is_dir=True))
        names = sorted(n for n in names if not _skipped(n, is_dir=False))
        for entry in [*dirs, *names]:
            path = os.path.join(root, entry)
            if os.path.islink(path):
                raise PackError(f'{path}: a symlink; a function zip holds '
                                'plain files only')
        for name in names:
            path = os.path.join(root, name)
            if not os.path.isfile(path):
                raise PackError(f'{path}: not a plain file')
            executable = os.stat(path).st_mode & stat.S_IXUSR
            relative = os.path.relpath(path, directory).replace(os.sep, '/')
            found.append((relative, path, 0o755 if executable else 0o644))
            if len(found) > max_files:
                raise PackError(f'{directory}: more than {max_files} files, '
                                'the most a function may hold')
    return sorted(found)


def _skipped(name: str, is_dir: bool) -> bool:
    if name.startswith('.'):
        return True
    if is_dir:
        return name in _SKIPPED_DIRS
    return name.endswith(_SKIPPED_SUFFIXES)
