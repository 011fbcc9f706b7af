"""The host's cache of the store: no store round trip on the hot path.

:class:`CachedStore` wraps the configured store for the bridge. It keeps,
under ``[store] cache_directory``::

    zips/<sha256>.zip    each zip fetched, as fetched (checked on the way
                         in and on every read against its sha256)
    latest/<name>.json   the last version the store gave as the latest of
                         <name>, and when (seconds since the epoch)

``get(name)`` asks the store at most every ``[store] refresh_interval``
seconds per name; in between, the answer is the version seen last, from
memory. ``fetch`` reads a zip from the disk once it was fetched once. So
an execution of a version this host has seen touches neither the store
nor, its image being there, the builder; a new upload runs within the
refresh interval.

A store outage (StoreUnavailable) affects only versions this host has
never seen: ``get(name)`` then answers with the last version seen, from
memory or, after a restart, from ``latest/<name>.json``, logs that it
does, and asks the store again after the refresh interval; ``fetch``
serves the zips on disk. A function deleted from the store is forgotten
at the next refresh (FunctionNotFound), its zip with it unless another
function's latest version is the same zip.

Concurrency: one refresh of a name at a time; meanwhile other threads get
the version seen last instead of waiting for the store (they wait only
for a name never seen). Files are written to a temporary name, then
renamed, so every reader, in any process, sees whole files. A cache that
cannot be written (a full disk, a directory of another user) is logged
and served from memory; it never fails a call the store would answer.

Everything else (``put``, ``list``, ``delete``, ``get`` of a given
version) goes to the store; ``put`` and ``delete`` update the cache.
"""

import builtins
import contextlib
import json
import logging
import os
import pathlib
import threading
import time
import uuid

from oslo_config import cfg

from pratai_bridge.functions import names
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import _common
from pratai_bridge.functions.store import base

__all__ = ['CachedStore']

LOG = logging.getLogger(__name__)


class CachedStore(base.Store):
    """``store``, with each version's zip and each name's latest version
    kept on this host (see the module docstring); thread safe."""

    def __init__(self, conf: cfg.ConfigOpts, store: base.Store) -> None:
        super().__init__(conf)
        self.store = store
        self.root = pathlib.Path(conf.store.cache_directory)
        self._lock = threading.Lock()
        # Guarded by _lock: name -> (its latest version as last seen,
        # monotonic time the store was last asked), and the names being
        # refreshed now.
        self._latest: dict[str, tuple[Function, float]] = {}
        self._refreshing: set[str] = set()

    def get(self, name: str, version: int | None = None) -> Function:
        if version is not None:
            return self.store.get(name, version)
        now = time.monotonic()
        with self._lock:
            seen = self._latest.get(name)
            due = seen is None or (
                now - seen[1] >= self.conf.store.refresh_interval)
            if seen is not None and (not due or name in self._refreshing):
                return seen[0]
            self._refreshing.add(name)
        try:
            return self._refresh(name, seen[0] if seen else None, now)
        finally:
            with self._lock:
                self._refreshing.discard(name)

    def fetch(self, function: Function) -> bytes:
        path = self._zip(function.sha256)
        try:
            return _common.verify(function, path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, base.IntegrityError) as exc:
            LOG.warning('Function %s: the cached zip %s is unusable (%s); '
                        'fetching it again', function.ref, path, exc)
        data = self.store.fetch(function)
        self._write(path, data)
        return data

    def put(self, spec: FunctionSpec, package: bytes) -> Function:
        function = self.store.put(spec, package)
        self._write(self._zip(function.sha256), package)
        self._seen(function, time.monotonic())
        return function

    def delete(self, name: str) -> builtins.list[Function]:
        deleted = self.store.delete(name)
        self._forget(name)
        return deleted

    def _refresh(self, name: str, seen: Function | None,
                 now: float) -> Function:
        try:
            function = self.store.get(name)
        except base.StoreUnavailable as exc:
            fallback = seen or self._read_latest(name)
            if fallback is None:
                raise
            LOG.warning('Store unavailable (%s): function %s runs its last '
                        'version seen, %s; asking again in %g s', exc, name,
                        fallback.ref, self.conf.store.refresh_interval)
            with self._lock:
                self._latest[name] = (fallback, now)
            return fallback
        except base.FunctionNotFound:
            if seen is not None or self._read_latest(name) is not None:
                LOG.info('Function %s is no longer in the store; '
                         'forgotten', name)
                self._forget(name)
            raise
        if seen is None or seen != function:
            self._seen(function, now)
        else:
            with self._lock:
                self._latest[name] = (function, now)
        return function

    def _seen(self, function: Function, now: float) -> None:
        """Remember ``function`` as its name's latest, in memory and on
        disk; drop the zip of the one it replaces if nothing uses it."""
        with self._lock:
            before = self._latest.get(function.name)
            self._latest[function.name] = (function, now)
        self._write(self._latest_path(function.name), json.dumps(
            {'function': _common.to_record(function),
             'seen_at': time.time()}).encode())
        if before is not None and before[0].sha256 != function.sha256:
            self._drop_zip_unless_used(before[0].sha256)

    def _forget(self, name: str) -> None:
        with self._lock:
            before = self._latest.pop(name, None)
        old = before[0] if before else self._read_latest(name)
        try:
            self._latest_path(name).unlink(missing_ok=True)
        except OSError as exc:
            LOG.warning('Cannot forget function %s in the cache: %s', name,
                        exc)
        if old is not None:
            self._drop_zip_unless_used(old.sha256)

    def _read_latest(self, name: str) -> Function | None:
        path = self._latest_path(name)
        try:
            record = json.loads(path.read_bytes())
            function = _common.from_record(record['function'])
            return _common.checked(function, name, function.version)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError,
                base.StoreError) as exc:
            LOG.warning('Ignoring the cached record %s: %s', path, exc)
            return None

    def _drop_zip_unless_used(self, sha256: str) -> None:
        in_use = {f.sha256 for f, _ in self._latest_values()}
        try:
            for path in (self.root / 'latest').glob('*.json'):
                found = self._read_latest(path.stem)
                if found is not None:
                    in_use.add(found.sha256)
            if sha256 not in in_use:
                self._zip(sha256).unlink(missing_ok=True)
        except OSError as exc:
            LOG.warning('Cannot clean the function cache %s: %s', self.root,
                        exc)

    def _latest_values(self) -> builtins.list[tuple[Function, float]]:
        with self._lock:
            return builtins.list(self._latest.values())

    def _zip(self, sha256: str) -> pathlib.Path:
        return self.root / 'zips' / f'{sha256}.zip'

    def _latest_path(self, name: str) -> pathlib.Path:
        if not names.NAME_PATTERN.fullmatch(name):
            raise base.FunctionNotFound(f'no function {name!r}')
        return self.root / 'latest' / f'{name}.json'

    def _write(self, path: pathlib.Path, data: bytes) -> None:
        """Write ``data`` to ``path`` whole, or log why not."""
        temporary = path.with_name(f'.{path.name}.{uuid.uuid4().hex}.tmp')
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, 'wb') as out:
                out.write(data)
            os.replace(temporary, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            LOG.warning('Cannot write %s to the function cache (%s); the '
                        'bridge goes on without it', path, exc)

    # Last: below it, "list" in annotations would mean this method.
    def list(self) -> builtins.list[Function]:
        return self.store.list()

