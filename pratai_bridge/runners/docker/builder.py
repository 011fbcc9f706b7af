"""Function images: a zip becomes a Docker image, cached by its sha256.

Three images, each built from the one before, with the docker SDK:

``[builder] base_image`` (``pratai/python-base:bookworm``)
    A Python 3.11. No registry is needed: when it is missing, a name under
    ``pratai/`` is made here from Debian's packages, as
    runtimes/python/build-base.sh does (``mmdebstrap --variant=essential``,
    then an import into the engine), reporting each step to ``progress``.
    Any other name (``python:3.11-slim``) is pulled from its registry.
``[builder] runtime_image`` (``pratai/python-runtime:latest``)
    The base plus the runtime (runtimes/python/Dockerfile), built when
    missing; ``pratai-bridge-manage runtime build`` makes both ahead of
    time. It is labelled with the digest of the runtime's files
    (:data:`RUNTIME_LABEL`), which every image built from it inherits: an
    image holding another runtime (the bridge was upgraded) is built
    again before it runs.
``pratai/function:<sha256 of the zip>``
    The runtime plus the unpacked zip and its requirements, installed from
    wheels the host downloaded (see :mod:`._context`); the build
    runs with no network at all.

Function images are a cache keyed by the zip's bytes: uploading the same
zip twice, under any name, builds once. :meth:`Builder.build` is safe to
call from many threads: one build per sha256 at a time (a per-sha256
lock), and the second caller finds the image the first one made. Removing
an image another function still uses is never an error, only a rebuild at
that function's next run.
"""

import collections
import contextlib
import logging
import pathlib
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import docker
from docker import errors as docker_errors
from oslo_config import cfg

from pratai_bridge import _locks
from pratai_bridge.functions.model import Function
from pratai_bridge.runners._runtime import runtime_digest
from pratai_bridge.runners._runtime import runtime_directory
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import RunnerError
from pratai_bridge.runners.docker import _base
from pratai_bridge.runners.docker import _connect
from pratai_bridge.runners.docker._engine import docker_errors_as_runner_errors
from pratai_bridge.runners.docker import _context
from pratai_bridge.runners.docker._dockerfile import DEPS_LABEL

__all__ = ['REPOSITORY', 'Builder', 'Progress', 'image_tag']

LOG = logging.getLogger(__name__)

#: a callable told each step of a long build, one line at a time
Progress = Callable[[str], None]
#: the repository of function images; the tag is the zip's sha256
REPOSITORY = 'pratai/function'
#: label of the runtime image, and so of every image built from it: the
#: digest of the runtime files it holds
RUNTIME_LABEL = 'pratai.runtime'
#: base images under this prefix are made here, never pulled
LOCAL_PREFIX = 'pratai/'
# Lines of build output a failure quotes.
_LOG_LINES = 40


def image_tag(sha256: str) -> str:
    """The image of the zip whose sha256 is ``sha256``."""
    return f'{REPOSITORY}:{sha256}'


class Builder:
    """Builds and removes images on one Docker engine; thread safe.

    Nothing connects before the first call that needs the engine; raises
    RunnerError for every failure, with the end of the build's output.
    """

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        _connect.check(conf)  # a misset engine stops the start
        self._client: docker.DockerClient | None = None
        self._client_lock = threading.Lock()
        # Guards _digest; _build_lock: one runtime image build at a time.
        self._runtime_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._digest: str | None = None
        self._locks = _locks.KeyedLocks()

    @property
    def api(self) -> docker.APIClient:
        """The engine's low-level API; connects on first use."""
        with self._client_lock:
            if self._client is None:
                with docker_errors_as_runner_errors(
                        'cannot reach the Docker engine'):
                    self._client = _connect.client(self.conf)
            return self._client.api

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def image_exists(self, name: str) -> bool:
        return self._inspect(name) is not None

    def current_image(self, name: str) -> dict[str, Any] | None:
        """The engine's description of image ``name`` if it holds the
        runtime of this bridge (its :data:`RUNTIME_LABEL`), else None.

        An image built from another runtime (before an upgrade of the
        bridge) is not current: it is rebuilt before it runs again.
        """
        found = self._inspect(name)
        if found is None:
            return None
        labels = (found.get('Config') or {}).get('Labels') or {}
        if labels.get(RUNTIME_LABEL) != self.runtime_digest():
            return None
        return found

    def runtime_digest(self) -> str:
        """The digest of the runtime files (see runners/_runtime.py)."""
        with self._runtime_lock:
            if self._digest is None:
                self._digest = runtime_digest(runtime_directory(self.conf))
            return self._digest

    def _inspect(self, name: str) -> dict[str, Any] | None:
        with docker_errors_as_runner_errors(f'cannot look for {name}'):
            try:
                return self.api.inspect_image(name)
            except docker_errors.ImageNotFound:
                return None

    def ensure_base_image(self, progress: Progress | None = None,
                          base_image: str | None = None) -> str:
        """Make or pull the base image when missing; return its name.

        When it cannot, the error says how to get one.
        """
        name = base_image or self.conf.builder.base_image
        if self.image_exists(name):
            return name
        say = progress or _log_progress
        try:
            if name.startswith(LOCAL_PREFIX):
                _base.make_debian(self.api, name,
                                  self.conf.builder.debian_mirror, say)
            else:
                _base.pull(self.api, name, say)
        except RunnerError as exc:
            raise type(exc)(f'{exc}\n{_base.how_to_get(name)}') from exc
        if not self.image_exists(name):
            raise RunnerError(f'{name} was made but is not there')
        return name

    def ensure_runtime_image(self, progress: Progress | None = None,
                             base_image: str | None = None,
                             rebuild: bool = False) -> str:
        """Build the runtime image when missing, when it holds another
        runtime than this bridge's, or when told to ``rebuild``."""
        name = self.conf.builder.runtime_image
        digest = self.runtime_digest()
        with self._build_lock:
            if not rebuild and self.current_image(name) is not None:
                return name
            say = progress or _log_progress
            base = self.ensure_base_image(say, base_image)
            directory = runtime_directory(self.conf)
            say(f'building {name} from {base} and {directory}')
            self._build(say, path=str(directory), tag=name,
                        buildargs={'BASE_IMAGE': base},
                        labels={RUNTIME_LABEL: digest})
        return name

    def build(self, function: Function, package: bytes,
              progress: Progress | None = None) -> str:
        """The image of ``function`` (zip ``package``), built if missing.

        ``progress`` hears each step: a base or runtime image being made
        first, then the function's own build (which goes to the debug log
        otherwise). The function's build, its wheels' download included,
        is given ``[builder] build_timeout`` seconds: past it, BuildFailed.
        """
        tag = image_tag(function.sha256)
        with self._locks.hold(function.sha256):
            stale = self._inspect(tag)
            if stale is not None and self.current_image(tag) is not None:
                return tag
            runtime = self.ensure_runtime_image(progress)
            started = time.monotonic()
            deadline = started + self.conf.builder.build_timeout
            say = progress or (lambda line: LOG.debug(
                'Building %s: %s', function.ref, line))
            with tempfile.TemporaryDirectory(prefix='pratai-build-') as tmp:
                context = pathlib.Path(tmp)
                say(f'building {tag} for {function.ref}')
                _context.write(self.conf, function, package, context,
                               runtime, deadline)
                self._build(say, deadline=deadline, path=tmp, tag=tag)
            if stale is not None:  # of an older runtime: now untagged
                self._remove_stale(stale['Id'], function)
        LOG.info('Built image %s for function %s in %.1f s', tag,
                 function.ref, time.monotonic() - started)
        return tag

    def _remove_stale(self, image: str, function: Function) -> None:
        try:
            with docker_errors_as_runner_errors(f'cannot remove {image}'):
                self._remove_image(image, function)
        except RunnerError as exc:
            LOG.warning('The image %s of %s, built for an older runtime, '
                        'stays: %s', image, function.ref, exc)

    def remove(self, function: Function) -> bool:
        """Remove the image of ``function``; False if there was none.

        The untagged image of its build's first stage (requirements) goes
        too. An image a container still uses (an execution running now)
        stays, with a warning.
        """
        tag = image_tag(function.sha256)
        with self._locks.hold(function.sha256), \
                docker_errors_as_runner_errors(f'cannot remove {tag}'):
            removed = self._remove_image(tag, function)
            stages = self.api.images(quiet=True, filters={
                'dangling': True,
                'label': f'{DEPS_LABEL}={function.sha256}'})
            for stage in stages:
                self._remove_image(stage, function)
        if removed:
            LOG.info('Removed image %s of function %s', tag, function.ref)
        return removed

    def _remove_image(self, image: str, function: Function) -> bool:
        try:
            self.api.remove_image(image)
        except docker_errors.ImageNotFound:
            return False
        except docker_errors.APIError as exc:
            if exc.status_code != 409:
                raise
            LOG.warning('Image %s of %s is in use and stays: %s', image,
                        function.ref, exc.explanation)
            return False
        return True

    def _build(self, progress: Progress, deadline: float | None = None,
               **kwargs: Any) -> None:
        """Build with the engine, offline; RunnerError with the log.

        Past ``deadline`` (monotonic), BuildFailed: the time is checked at
        each line of output, so a step silent for long overruns it by up
        to ``[builder] docker_timeout``; closing the stream cancels the
        build in the engine.
        """
        tag = kwargs['tag']
        lines: collections.deque[str] = collections.deque(maxlen=_LOG_LINES)
        with docker_errors_as_runner_errors(f'cannot build {tag}'), \
                contextlib.closing(self.api.build(
                    rm=True, forcerm=True, pull=False, network_mode='none',
                    decode=True, **kwargs)) as chunks:
            for chunk in chunks:
                for line in str(chunk.get('stream', '')).splitlines():
                    if line.strip():
                        lines.append(line)
                        progress(line)
                if 'error' in chunk:
                    raise BuildFailed(
                        f'building {tag} failed: {chunk["error"].strip()}\n'
                        + '\n'.join(lines))
                if deadline is not None and time.monotonic() > deadline:
                    raise BuildFailed(
                        f'building {tag} took longer than [builder] '
                        f'build_timeout ({self.conf.builder.build_timeout} '
                        's); stopped\n' + '\n'.join(lines))


def _log_progress(line: str) -> None:
    LOG.info('Runtime image: %s', line)
