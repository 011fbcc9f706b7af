"""The ``local`` store: function zips in a directory of this machine.

Layout, under ``[store] local_directory``::

    NAME/v1.zip   the zip as uploaded
    NAME/v1.json  {"spec": {...}, "version": 1, "sha256": ..., "size": ...,
                   "created_at": ...}

A version exists once its ``.json`` does. Each file is written to a
temporary name, synced, then renamed over (``os.replace``), the zip before
the record, so a reader never sees a half-written version. Uploads and
deletes hold an exclusive ``fcntl`` lock on ``.lock`` in the directory
while they pick the next version and write: two uploads, from threads or
processes, never share a version. Reads take no lock.

For one machine only: bridges on several machines need the swift store.
"""

import contextlib
import fcntl
import json
import os
import pathlib
import re
import shutil
import uuid
from collections.abc import Iterator

from oslo_config import cfg

from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.functions import names
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import _common
from pratai_bridge.functions.store import base

__all__ = ['LocalStore']

_RECORD = re.compile(r'^v([1-9][0-9]*)\.json$')


class LocalStore(base.Store):
    """Function zips and their settings in a local directory."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        self.root = pathlib.Path(conf.store.local_directory)

    def put(self, spec: FunctionSpec, package: bytes) -> Function:
        spec_mod.check_spec(spec)
        digest = _common.sha256(package)
        with _os_errors(f'cannot store {spec.name}'), self._locked():
            directory = self.root / spec.name
            directory.mkdir(exist_ok=True)
            version = max(self._versions(spec.name), default=0) + 1
            function = Function(spec=spec, version=version, sha256=digest,
                                size=len(package), created_at=_common.now())
            _write_atomic(directory / _common.zip_name(version), package)
            _write_atomic(directory / f'v{version}.json',
                          json.dumps(_common.to_record(function)).encode())
            _sync_directory(directory)
        return function

    def get(self, name: str, version: int | None = None) -> Function:
        if version is None:
            version = max(self._versions(name), default=None)
            if version is None:
                raise base.FunctionNotFound(f'no function {name!r}')
        return self._read(name, version)

    def fetch(self, function: Function) -> bytes:
        path = self._path(function.name, _common.zip_name(function.version))
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise base.FunctionNotFound(
                f'{function.ref}: no such function version') from exc
        except OSError as exc:
            raise base.StoreError(f'cannot read {path}: {exc}') from exc
        return _common.verify(function, data)

    def delete(self, name: str) -> list[Function]:
        with _os_errors(f'cannot delete {name}'), self._locked():
            deleted = [self._read(name, v)
                       for v in sorted(self._versions(name))]
            if not deleted:
                raise base.FunctionNotFound(f'no function {name!r}')
            directory = self.root / name
            # Records first: each version vanishes whole for readers.
            for function in deleted:
                (directory / f'v{function.version}.json').unlink()
            shutil.rmtree(directory)
        return deleted

    def _path(self, name: str, filename: str) -> pathlib.Path:
        if not names.NAME_PATTERN.fullmatch(name):
            raise base.FunctionNotFound(f'no function {name!r}')
        return self.root / name / filename

    def _versions(self, name: str) -> list[int]:
        try:
            files = os.listdir(self._path(name, ''))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise base.StoreError(f'cannot list {name}: {exc}') from exc
        return [int(m.group(1)) for m in map(_RECORD.match, files) if m]

    def _read(self, name: str, version: int) -> Function:
        path = self._path(name, f'v{version}.json')
        try:
            function = _common.from_record(json.loads(path.read_bytes()))
        except FileNotFoundError as exc:
            raise base.FunctionNotFound(
                f'no version {version} of function {name!r}') from exc
        except OSError as exc:
            raise base.StoreError(f'cannot read {path}: {exc}') from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise base.StoreError(f'{path}: corrupt record ({exc})') from exc
        return _common.checked(function, name, version)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / '.lock', 'a') as lock:
            # flock locks belong to the open file, so two threads of one
            # process, each opening the file, exclude each other too.
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # Last: below it, "list" in annotations would mean this method.
    def list(self) -> list[Function]:
        try:
            entries = sorted(p.name for p in self.root.iterdir()
                             if p.is_dir())
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise base.StoreError(f'cannot list {self.root}: {exc}') from exc
        found = []
        for name in entries:
            if not names.NAME_PATTERN.fullmatch(name):
                continue
            try:
                found.append(self.get(name))
            except base.FunctionNotFound:
                continue  # empty, or deleted while we listed
        return found


@contextlib.contextmanager
def _os_errors(what: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise base.StoreError(f'{what}: {exc}') from exc


def _write_atomic(path: pathlib.Path, data: bytes) -> None:
    temporary = path.with_name(f'.{path.name}.{uuid.uuid4().hex}.tmp')
    try:
        with open(temporary, 'wb') as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_directory(directory: pathlib.Path) -> None:
    """Make the renames durable (they live in the directory's inode)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

