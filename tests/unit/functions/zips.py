"""Build function zips in memory, good and hostile, for the tests."""

import io
import stat
import struct
import zipfile

HELLO = 'def main(payload=None):\n    return {"hello": payload}\n'


def make_zip(files: dict, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``{name: text or bytes or ZipInfo-tuple}``.

    A value ``('symlink', target)`` makes a symbolic link entry.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', compression) as archive:
        for name, content in files.items():
            if isinstance(content, tuple) and content[0] == 'symlink':
                info = zipfile.ZipInfo(name)
                info.create_system = 3  # Unix: external_attr holds a mode
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, content[1])
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


# (local header offset, central directory offset, struct format)
_FIELDS = {'flags': (6, 8, '<H'), 'file_size': (22, 24, '<I')}


def patch_entry(data: bytes, name: str, field: str, value: int) -> bytes:
    """``data`` with ``field`` of entry ``name`` set to ``value``.

    Both the local header and the central directory are rewritten, as a
    hostile zip would do (a bomb lying about its size to pass a check of
    declared sizes, say).
    """
    local_at, central_at, fmt = _FIELDS[field]
    patched = bytearray(data)
    wanted = name.encode()
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
