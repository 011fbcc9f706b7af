"""Build function zips in memory, good and hostile, for the tests."""

import io
import stat
import struct
import zipfile

HELLO = 'def main(payload=None):\n    return {"hello": payload}\n'


def make_zip(files: dict, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``{name: text or bytes or ZipInfo-tuple}``.

    A value ``('symlink', target)`` makes a symbolic link entry,
    ``('mode', mode, content)`` an entry of that Unix mode (a fifo, a
    device), ``('hardlink', target)`` a plain file whose Info-ZIP "ASi
    Unix" extra field names a link target, as Info-ZIP's zip writes links.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', compression) as archive:
        for name, content in files.items():
            if isinstance(content, tuple):
                archive.writestr(_special(name, content), content[-1])
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def _special(name: str, content: tuple) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: external_attr holds a mode
    kind = content[0]
    if kind == 'symlink':
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
    elif kind == 'mode':
        info.external_attr = content[1] << 16
    elif kind == 'hardlink':
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        target = content[1].encode()
        body = struct.pack('<IHIHH', 0, stat.S_IFREG | 0o644, 0, 0, 0)
        info.extra = struct.pack('<HH', 0x756E, len(body) + len(target)) \
            + body + target
    return info


def raw_name_zip(raw_name: bytes, utf8_flag: bool) -> bytes:
    """A zip holding handler.py and an entry named by the bytes
    ``raw_name``, the UTF-8 flag set or not (Python's zipfile would encode
    any name it is given, so the bytes are patched in)."""
    placeholder = 'X' * len(raw_name)
    data = make_zip({'handler.py': 'def main(payload=None):\n    pass\n',
                     placeholder: 'x'})
    data = data.replace(placeholder.encode(), raw_name)
    flags = 0x800 if utf8_flag else 0
    return patch_entry_raw(data, raw_name, 'flags', flags)


# (local header offset, central directory offset, struct format)
_FIELDS = {'flags': (6, 8, '<H'), 'file_size': (22, 24, '<I')}


def patch_entry(data: bytes, name: str, field: str, value: int) -> bytes:
    return patch_entry_raw(data, name.encode(), field, value)


def patch_entry_raw(data: bytes, wanted: bytes, field: str,
                    value: int) -> bytes:
    """``data`` with ``field`` of the entry named ``wanted`` (bytes) set
    to ``value``.

    Both the local header and the central directory are rewritten, as a
    hostile zip would do (a bomb lying about its size to pass a check of
    declared sizes, say).
    """
    local_at, central_at, fmt = _FIELDS[field]
    patched = bytearray(data)
    for signature, field_at, name_len_at, name_at in (
            (b'PK\x03\x04', local_at, 26, 30),
            (b'PK\x01\x02', central_at, 28, 46)):
        at = patched.find(signature)
        while at != -1:
            length = struct.unpack_from('<H', patched, at + name_len_at)[0]
            if bytes(patched[at + name_at:at + name_at + length]) == wanted:
                struct.pack_into(fmt, patched, at + field_at, value)
            at = patched.find(signature, at + 4)
    return bytes(patched)
