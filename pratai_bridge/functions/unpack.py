"""Unpack a stored function zip on the host, checking it once more.

Both runners unpack a zip before they build from it (an image, a
virtualenv). The store checked it at upload; checking it again here costs
little and means a zip that reached the store some other way never lands
outside its destination.
"""

import dataclasses
import io
import pathlib
import zipfile

from pratai_bridge.functions import package as package_mod
from pratai_bridge.functions.model import Function

__all__ = ['UnpackError', 'Unpacked', 'unpack']

_MIB = 1024 * 1024


class UnpackError(Exception):
    """The zip is refused, or the filesystem failed; the message says which
    and names the function."""


@dataclasses.dataclass(frozen=True)
class Unpacked:
    """What was unpacked: the zip's description and its requirement
    specifiers, checked and normalized (empty when it has none)."""

    info: package_mod.PackageInfo
    requirements: tuple[str, ...]


def unpack(function: Function, package: bytes, destination: pathlib.Path,
           max_files: int, max_uncompressed_mb: int) -> Unpacked:
    """Check ``package`` (the zip of ``function``) and its requirements,
    and unpack it in ``destination``, which must not exist yet.

    Raises UnpackError.
    """
    try:
        info = package_mod.inspect(
            package, function.spec.handler, max_files=max_files,
            max_uncompressed=max_uncompressed_mb * _MIB)
    except package_mod.PackageError as exc:
        raise UnpackError(f'{function.ref}: {exc}') from exc
    if info.sha256 != function.sha256:
        raise UnpackError(f'{function.ref}: the zip is not the one stored '
                          f'(sha256 {info.sha256}, not {function.sha256})')
    try:
        _extract(package, info.files, destination)
    except OSError as exc:  # a full disk, a directory we may not write
        raise UnpackError(f'{function.ref}: cannot unpack its zip in '
                          f'{destination}: {exc}') from exc
    return Unpacked(info, info.specifiers)


def _extract(package: bytes, files: tuple[str, ...],
             destination: pathlib.Path) -> None:
    destination.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in files:
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
            # Readable by the unprivileged user functions run as, whatever
            # the umask of the bridge.
            target.chmod(0o644)
