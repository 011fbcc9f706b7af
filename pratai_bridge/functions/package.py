"""Check a function zip before it is stored: safe to unpack, and runnable.

:func:`inspect` reads the zip in memory and never imports or runs any of
it. It refuses what could hurt the machine that later unpacks it (absolute
or ``..`` paths, drive letters, backslashes, symbolic and hard links and
any other entry that is not a plain file or directory, too many entries,
zip bombs), names that are not UTF-8 (the name a tool would write on disk
is then a guess), a requirements.txt that is more than requirement
specifiers (see :mod:`.requirements`),
what could not be unpacked (a name twice, a name both a file and a
directory as ``a`` beside ``a/b``, names too long for Linux) and what
could never run (no module with a top-level ``def main``), and names the
module to call. Names differing only by case are two files, as on Linux,
where functions are unpacked.

Zip bombs: the sizes a zip declares are checked first (cheap): their
total against ``max_uncompressed``, and each entry's compression ratio
against ``max_ratio`` (above :data:`RATIO_FLOOR` bytes, since small text
files of one repeated byte legitimately compress a hundredfold). Then every
entry is decompressed in chunks, counting the bytes really produced, and
reading stops as soon as the total passes the limit or an entry produces
more than its ratio allows. CPython's zipfile
already stops an entry at its declared size and then fails its CRC, so a
lying header ends as "corrupt"; the count keeps the bound true whatever
the zip library does. Reading every entry also proves each one's CRC.

The handler: a top-level module (``handler.py``) or package
(``handler/__init__.py``) whose source, parsed with :mod:`ast`, has a
top-level ``def main`` taking the payload. Exactly one such module is the
handler; several need the caller to name one; a named handler may be a
dotted module anywhere in the zip. Without a named handler, a top-level
module that does not parse is refused with its file and line: it might be
the handler, and the runtime could not import it anyway.
"""

import ast
import dataclasses
import hashlib
import io
import keyword
import lzma
import re
import stat
import zipfile
import zlib

from pratai_bridge.functions._errors import PackageError
from pratai_bridge.functions import requirements as requirements_mod

__all__ = ['PackageError', 'PackageInfo', 'check_module_name', 'inspect']

MAX_FILES = 1000
MAX_UNCOMPRESSED = 50 * 1024 * 1024
#: uncompressed bytes per compressed byte an entry may reach (deflate's
#: own limit is about 1032; source code and wheels stay well under 20)
MAX_RATIO = 100
#: entries up to this many uncompressed bytes are never refused for their
#: ratio: bounded by it, they cannot hurt
RATIO_FLOOR = 1024 * 1024
REQUIREMENTS = requirements_mod.REQUIREMENTS
#: bytes (UTF-8) of one path component, Linux's NAME_MAX
MAX_NAME_BYTES = 255
#: bytes (UTF-8) of an entry's whole name: room under PATH_MAX (4096) for
#: the directory it is unpacked in
MAX_PATH_BYTES = 1024

_CHUNK = 64 * 1024
_DRIVE = re.compile(r'^[A-Za-z]:')
# What a corrupt or unsupported entry raises while being read.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError,
                NotImplementedError, RuntimeError, ValueError)

# Zip's "general purpose" flag: the entry's name and comment are UTF-8.
_UTF8_FLAG = 0x800
# The Info-ZIP "ASi Unix" extra field: a mode and, for links, the target.
_ASI_UNIX = 0x756E
# The file types an entry may have: plain files and directories (0: a zip
# from a tool that writes no Unix mode).
_ALLOWED_TYPES = {0, stat.S_IFREG, stat.S_IFDIR}


@dataclasses.dataclass(frozen=True)
class PackageInfo:
    """What :func:`inspect` found in an acceptable zip.

    ``handler`` is the module (dotted for packages) defining ``main``;
    ``files`` the file entries, in zip order; ``uncompressed_size`` the
    bytes they hold; ``sha256`` and ``size`` describe the zip itself;
    ``requirements`` is the text of a top-level requirements.txt, if any,
    and ``specifiers`` its requirement specifiers, checked and normalized.
    """

    handler: str
    files: tuple[str, ...]
    uncompressed_size: int
    sha256: str
    size: int
    requirements: str | None
    specifiers: tuple[str, ...] = ()


def inspect(data: bytes, handler: str | None = None,
            max_files: int = MAX_FILES,
            max_uncompressed: int = MAX_UNCOMPRESSED,
            max_ratio: int = MAX_RATIO) -> PackageInfo:
    """Check the zip ``data``; return what it holds or raise PackageError.

    ``handler`` names the module defining ``main`` when the zip has
    several; when given it must exist and define ``main``. Nothing is
    written anywhere: every check runs on the bytes in memory.
    """
    if handler is not None:
        check_module_name(handler)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except UnicodeDecodeError as exc:
        # Python decodes names flagged UTF-8 strictly, while it opens.
        raise PackageError(f'an entry name is flagged UTF-8 but is not '
                           f'({exc.object[:60]!r})') from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError,
            ValueError) as exc:
        raise PackageError(f'not a zip file ({exc})') from exc
    with archive:
        entries = archive.infolist()
        _check_entries(entries, max_files, max_uncompressed, max_ratio)
        files = tuple(e.filename for e in entries if not e.is_dir())
        wanted = _sources_wanted(files, handler)
        sources, total = _read_all(archive, entries, wanted,
                                   max_uncompressed, max_ratio)
    chosen = _find_handler(sources, files, handler)
    text = _requirements(sources)
    return PackageInfo(handler=chosen, files=files, uncompressed_size=total,
                       sha256=hashlib.sha256(data).hexdigest(),
                       size=len(data), requirements=text,
                       specifiers=tuple(
                           requirements_mod.check_requirements(text or '')))


def _check_entries(entries: list[zipfile.ZipInfo], max_files: int,
                   max_uncompressed: int, max_ratio: int) -> None:
    if not entries:
        raise PackageError('the zip is empty')
    if len(entries) > max_files:
        raise PackageError(f'the zip has {len(entries)} entries, more than '
                           f'the {max_files} allowed')
    declared = sum(e.file_size for e in entries)
    if declared > max_uncompressed:
        raise PackageError(f'the zip uncompresses to {declared} bytes, more '
                           f'than the {max_uncompressed} allowed')
    for entry in entries:
        _check_name_encoding(entry)
        _check_path(entry.filename)
        _check_type(entry)
        if entry.flag_bits & 0x1:
            raise PackageError(f'{entry.filename}: encrypted entries are '
                               'not supported')
        if _over_ratio(entry.file_size, entry.compress_size, max_ratio):
            raise PackageError(
                f'{entry.filename}: compressed {_ratio(entry)} to 1, more '
                f'than the {max_ratio} to 1 allowed (a zip bomb?)')
    _check_layout(entries)


def _check_name_encoding(entry: zipfile.ZipInfo) -> None:
    """Refuse a non-ASCII name the zip does not flag UTF-8.

    Such a name is in some unnamed code page (zipfile reads cp437, other
    tools the local one): what lands on disk would be a guess, and the
    checks below would have checked another name.
    """
    if not entry.flag_bits & _UTF8_FLAG and not entry.filename.isascii():
        raise PackageError(f'{entry.filename!a}: the name is not ASCII and '
                           'not marked UTF-8 (zip it with a tool that '
                           'writes UTF-8 names)')


def _check_type(entry: zipfile.ZipInfo) -> None:
    """Refuse links, devices, fifos and sockets: plain files and
    directories only.

    Zip has no link entry of its own: tools write a symbolic link as a
    mode in the external attributes, and Info-ZIP's "ASi Unix" extra field
    carries a mode and a link target (hard or symbolic) too; both are read.
    """
    kind = stat.S_IFMT(entry.external_attr >> 16)
    if stat.S_ISLNK(kind):
        raise PackageError(f'{entry.filename}: symbolic links are not '
                           'allowed')
    asi = _asi_unix(entry.extra)
    if asi is not None:
        asi_kind, target = asi
        if target or stat.S_ISLNK(asi_kind):
            raise PackageError(f'{entry.filename}: hard and symbolic links '
                               'are not allowed')
        kind = kind or asi_kind
    if kind not in _ALLOWED_TYPES:
        raise PackageError(f'{entry.filename}: only plain files and '
                           'directories are allowed (a device, fifo or '
                           'socket)')


def _asi_unix(extra: bytes) -> tuple[int, bytes] | None:
    """(file type, link target) of an ASi Unix extra field, if any."""
    at = 0
    while at + 4 <= len(extra):
        header, size = int.from_bytes(extra[at:at + 2], 'little'), \
            int.from_bytes(extra[at + 2:at + 4], 'little')
        body = extra[at + 4:at + 4 + size]
        if header == _ASI_UNIX and len(body) >= 14:
            # crc(4) mode(2) sizdev(4) uid(2) gid(2) then the link target
            mode = int.from_bytes(body[4:6], 'little')
            return stat.S_IFMT(mode), body[14:]
        at += 4 + size
    return None


def _over_ratio(produced: int, compressed: int, max_ratio: int) -> bool:
    return produced > RATIO_FLOOR and produced > max_ratio * max(
        compressed, 1)


def _ratio(entry: zipfile.ZipInfo) -> int:
    return entry.file_size // max(entry.compress_size, 1)


def _check_layout(entries: list[zipfile.ZipInfo]) -> None:
    """Refuse names that cannot all be unpacked in one directory tree.

    A name twice, or a name both a file and a directory: ``a`` beside
    ``a/`` or ``a/b`` (whatever their order), where unpacking one would
    fail on the other, or overwrite it.
    """
    files: list[str] = []
    kinds: dict[str, bool] = {}  # name -> is a directory entry
    directories: set[str] = set()  # every parent of every entry
    for entry in entries:
        name = entry.filename.rstrip('/')
        if name in kinds:
            if kinds[name] == entry.is_dir():
                raise PackageError(f'{name}: appears twice in the zip')
            _raise_clash(name)
        kinds[name] = entry.is_dir()
        if not entry.is_dir():
            files.append(name)
        parts = name.split('/')
        directories.update('/'.join(parts[:i]) for i in range(1, len(parts)))
    for name in files:
        if name in directories:
            _raise_clash(name)


def _raise_clash(name: str) -> None:
    raise PackageError(f'{name}: both a file and a directory in the zip')


def _check_path(name: str) -> None:
    """Refuse any entry name that could land outside the unpack dir."""
    if not name or '\x00' in name:
        raise PackageError(f'{name!r}: invalid entry name')
    if '\\' in name:
        # Unpacked on Windows or by a lenient tool, a\..\..\x climbs out.
        raise PackageError(f'{name}: backslashes are not allowed in paths')
    if name.startswith('/') or _DRIVE.match(name):
        raise PackageError(f'{name}: absolute paths are not allowed')
    parts = name.rstrip('/').split('/')
    if '..' in parts:
        raise PackageError(f'{name}: ".." is not allowed in paths')
    if '' in parts or '.' in parts:
        raise PackageError(f'{name}: empty or "." path components are not '
                           'allowed')
    if len(_utf8(name)) > MAX_PATH_BYTES:
        raise PackageError(f'{name[:40]}...: a path longer than '
                           f'{MAX_PATH_BYTES} bytes')
    if any(len(_utf8(part)) > MAX_NAME_BYTES for part in parts):
        raise PackageError(f'{name}: a file or directory name longer than '
                           f'{MAX_NAME_BYTES} bytes')


def _utf8(text: str) -> bytes:
    return text.encode('utf-8', errors='surrogateescape')


def _sources_wanted(files: tuple[str, ...], handler: str | None) -> set[str]:
    """The entries to keep in memory: handler candidates, requirements."""
    if handler is not None:
        wanted = set(_module_paths(handler))
    else:
        wanted = {f for f in files if _top_level_module(f) is not None}
    wanted.add(REQUIREMENTS)
    return wanted & set(files)


def _read_all(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo],
              wanted: set[str], limit: int,
              max_ratio: int) -> tuple[dict[str, bytes], int]:
    """Decompress every entry within ``limit`` bytes in total, each within
    ``max_ratio`` times its compressed size."""
    sources: dict[str, bytes] = {}
    total = 0
    for entry in entries:
        if entry.is_dir():
            continue
        kept: list[bytes] | None = [] if entry.filename in wanted else None
        produced = 0
        try:
            with archive.open(entry) as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    produced += len(chunk)
                    if total > limit:
                        raise PackageError(
                            f'the zip uncompresses to more than the {limit} '
                            'bytes allowed (its declared sizes are false)')
                    if _over_ratio(produced, entry.compress_size,
                                   max_ratio):
                        raise PackageError(
                            f'{entry.filename}: uncompresses to more than '
                            f'{max_ratio} times its size (its declared '
                            'sizes are false)')
                    if kept is not None:
                        kept.append(chunk)
        except _READ_ERRORS as exc:
            raise PackageError(f'{entry.filename}: corrupt or unsupported '
                               f'entry ({exc})') from exc
        if kept is not None:
            sources[entry.filename] = b''.join(kept)
    return sources, total


def _find_handler(sources: dict[str, bytes], files: tuple[str, ...],
                  handler: str | None) -> str:
    if handler is not None:
        path = next((p for p in _module_paths(handler) if p in sources), None)
        if path is None:
            raise PackageError(
                f'handler module {handler!r} is not in the zip (looked for '
                f'{" or ".join(_module_paths(handler))})')
        _check_main(path, _main_of(path, sources[path]))
        return handler
    found = {}
    for path in sorted(sources):
        module = _top_level_module(path)
        if module is None:
            continue
        main = _main_of(path, sources[path])
        if main is not None:
            found[module] = (path, main)
    if not found:
        raise PackageError(_no_main_message(files))
    if len(found) > 1:
        raise PackageError(
            'several modules define main(): '
            f'{", ".join(sorted(found))}; choose one with --handler')
    [(module, (path, main))] = found.items()
    _check_main(path, main)
    return module


def _main_of(path: str, source: bytes) -> ast.FunctionDef | None:
    """The top-level ``def main`` of ``source`` (the last one), or None."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise PackageError(f'{path}:{exc.lineno}: syntax error: '
                           f'{exc.msg}') from exc
    except ValueError as exc:  # null bytes, undecodable source
        raise PackageError(f'{path}: cannot be parsed ({exc})') from exc
    mains = [node for node in tree.body
             if isinstance(node, ast.FunctionDef) and node.name == 'main']
    return mains[-1] if mains else None


def _check_main(path: str, main: ast.FunctionDef | None) -> None:
    if main is None:
        raise PackageError(f'{path} does not define a top-level '
                           'main(payload=None)')
    args = main.args
    positional = len(args.posonlyargs) + len(args.args)
    if positional == 0 and args.vararg is None:
        raise PackageError(f'{path}:{main.lineno}: main() must accept the '
                           'payload: def main(payload=None)')
    required_kwonly = [a.arg for a, d in zip(args.kwonlyargs,
                                             args.kw_defaults, strict=True)
                       if d is None]
    if positional - len(args.defaults) > 1 or required_kwonly:
        raise PackageError(f'{path}:{main.lineno}: main() is called with '
                           'the payload only: def main(payload=None)')


def _no_main_message(files: tuple[str, ...]) -> str:
    message = 'no top-level module defines main(payload=None)'
    tops = {f.split('/', 1)[0] for f in files}
    if len(tops) == 1 and all('/' in f for f in files):
        [top] = tops
        message += (f'; every file is under {top}/: zip the contents of '
                    'the directory, not the directory')
    return message


def _top_level_module(path: str) -> str | None:
    """``x.py`` -> ``x``, ``x/__init__.py`` -> ``x``, else None."""
    parts = path.split('/')
    if len(parts) == 1 and path.endswith('.py'):
        name = path[:-3]
    elif len(parts) == 2 and parts[1] == '__init__.py':
        name = parts[0]
    else:
        return None
    return name if _is_identifier(name) else None


def _module_paths(module: str) -> tuple[str, str]:
    base = module.replace('.', '/')
    return f'{base}.py', f'{base}/__init__.py'


def check_module_name(module: str) -> None:
    """Raise PackageError unless ``module`` is a (dotted) module name."""
    if not all(_is_identifier(part) for part in module.split('.')):
        raise PackageError(f'{module!r} is not a module name (handler '
                           'names look like "handler" or "pkg.module")')


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _requirements(sources: dict[str, bytes]) -> str | None:
    raw = sources.get(REQUIREMENTS)
    if raw is None:
        return None
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise PackageError(f'{REQUIREMENTS} is not UTF-8 ({exc})') from exc
