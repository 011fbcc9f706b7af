"""Lay out the Docker build context of a function image: files only.

:func:`write` fills an empty directory::

    Dockerfile
    function/            the unpacked zip (checked again on the way)
    requirements.txt     the zip's requirements, checked (only if any)
    wheels/              every wheel they need, downloaded by the HOST
"""

import pathlib
import time

from oslo_config import cfg

from pratai_bridge.functions import unpack as unpack_mod
from pratai_bridge.functions.model import Function
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.docker import _dockerfile
from pratai_bridge.runners.docker import _wheels

__all__ = ['write']


def write(conf: cfg.ConfigOpts, function: Function, package: bytes,
          context: pathlib.Path, runtime_image: str,
          deadline: float) -> bool:
    """Lay out the build context of ``function`` in ``context``.

    Returns whether the image installs requirements. Raises BuildFailed
    when the zip or its requirements are refused, a wheel is missing or
    downloading them lasts past ``deadline`` (monotonic seconds).
    """
    try:
        wanted = unpack_mod.unpack(function, package, context / 'function',
                                   conf.store.max_files,
                                   conf.store.max_uncompressed_mb
                                   ).requirements
    except unpack_mod.UnpackError as exc:
        raise BuildFailed(str(exc)) from exc
    if wanted:
        (context / 'requirements.txt').write_text('\n'.join(wanted) + '\n')
        _wheels.download_wheels(conf, context / 'requirements.txt',
                                context / 'wheels',
                                deadline - time.monotonic())
    (context / 'Dockerfile').write_text(_dockerfile.dockerfile(
        runtime_image, function.spec.handler, function.sha256, bool(wanted)))
    return bool(wanted)
