"""The ``swift`` store: function zips as objects in a Swift container.

Objects are ``NAME/vN.zip`` in ``[store] container`` (created on the first
upload), the settings as object metadata: ``X-Object-Meta-Handler``,
``-Runtime``, ``-Memory``, ``-Timeout``, ``-Network``, ``-Sha256``,
``-Created-At``, and those of the ``warm_*`` settings that are set
(``-Warm-Pool-Size``...). Authentication is a keystoneauth1 session built from
``[swift]`` (see :mod:`pratai_bridge.functions.store._swift_auth`).

Integrity: the upload sends the zip's MD5 as ``ETag``, which Swift checks
(422 on a mismatch) and echoes back, checked again here; a fetch checks the
sha256 the caller holds.

Versions: the next version is one more than the highest listed under
``NAME/``. Two uploads listing at once would pick the same number, so the
PUT carries ``If-None-Match: *`` and Swift refuses (412, or 409 when a
newer write landed) to overwrite: the loser tries the next number. Swift
checks that condition when a PUT begins, not when it commits, so two PUTs
in flight together both succeed and the later timestamp wins. Hence two
more guards: uploads through one store are serialized by a lock, and each
PUT is read back (HEAD): another upload's sha256 or created_at there means
this one lost, and it tries the next number. What remains is two bridges
uploading one function in the same instant, the loser reading back its
own write before the winner's commits: its upload is replaced, and the
Function it returned fails ``fetch`` with IntegrityError rather than run
other code. A PUT retried after a lost answer may also store one zip as
two versions: harmless.

Errors: connection failures, timeouts, 5xx and 429 answers (from Swift or
the identity service) raise StoreUnavailable, after ``[swift] retries``
quick retries; 404 is FunctionNotFound; anything else StoreError. The
caller decides when to retry; nothing here sleeps for long.

Threads: one swiftclient Connection per thread (a Connection keeps one
HTTP connection and is not thread-safe), all sharing one session (and so
one token).
"""

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from swiftclient import client as swift_client
from swiftclient import exceptions as swift_exc

from pratai_bridge import keystone
from pratai_bridge.conf import store as store_conf
from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.functions import names
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import WARM_SETTINGS
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import _common
from pratai_bridge.functions.store import _swift_auth
from pratai_bridge.functions.store import base

__all__ = ['SwiftStore']

LOG = logging.getLogger(__name__)

META = 'x-object-meta-'
# Uploads racing for a version number: more than this means something else
# is wrong (a listing that never shows new objects).
_PUT_ATTEMPTS = 10
_RETRYABLE_STATUS = (408, 429, 498, 499)


class SwiftStore(base.Store):
    """Function zips in a Swift container, one object per version."""

    #: load_store hands it the process's keystone.Sessions
    takes_sessions = True

    def __init__(self, conf: cfg.ConfigOpts,
                 sessions: keystone.Sessions | None = None) -> None:
        """``sessions``: the process's, so that [swift]'s token is the
        one every group sharing its auth section uses."""
        super().__init__(conf)
        self.container = conf.store.container
        try:
            # Builds the auth plugin and session; connects to nothing.
            self._session = (sessions.get(store_conf.SWIFT_GROUP)
                             if sessions is not None
                             else _swift_auth.load_session(conf))
        except (ks_exc.ClientException, cfg.Error) as exc:
            raise base.StoreError(f'[swift] configuration: {exc}') from exc
        #: per-thread swiftclient Connection (see the module docstring)
        self._local = threading.local()
        #: serializes this store's uploads (see the module docstring)
        self._put_lock = threading.Lock()

    def put(self, spec: FunctionSpec, package: bytes) -> Function:
        spec_mod.check_spec(spec)
        digest = _common.sha256(package)
        md5 = hashlib.md5(package, usedforsecurity=False).hexdigest()
        with _errors(f'cannot store function {spec.name!r}'), \
                self._put_lock:
            conn = self._conn()
            conn.put_container(self.container)
            version = max(self._versions(spec.name), default=0) + 1
            for _ in range(_PUT_ATTEMPTS):
                function = Function(spec=spec, version=version, sha256=digest,
                                    size=len(package),
                                    created_at=_common.now())
                if self._put_version(conn, function, package, md5):
                    return function
                LOG.debug('%s went to another upload; trying the next '
                          'version', function.ref)
                version += 1
        raise base.StoreError(f'cannot store function {spec.name!r}: no '
                              f'free version after {_PUT_ATTEMPTS} tries')

    def get(self, name: str, version: int | None = None) -> Function:
        if not names.NAME_PATTERN.fullmatch(name):
            raise base.FunctionNotFound(f'no function {name!r}')
        with _errors(f'cannot read function {name!r}'):
            if version is None:
                version = max(self._versions(name), default=None)
                if version is None:
                    raise base.FunctionNotFound(f'no function {name!r}')
            try:
                headers = self._conn().head_object(
                    self.container, _object(name, version))
            except swift_exc.ClientException as exc:
                if exc.http_status == 404:
                    raise base.FunctionNotFound(
                        f'no version {version} of function {name!r}'
                    ) from exc
                raise
        return _from_headers(name, version, headers)

    def fetch(self, function: Function) -> bytes:
        with _errors(f'cannot fetch {function.ref}'):
            try:
                _, data = self._conn().get_object(
                    self.container, _object(function.name, function.version))
            except swift_exc.ClientException as exc:
                if exc.http_status == 404:
                    raise base.FunctionNotFound(
                        f'{function.ref}: no such function version') from exc
                raise
        return _common.verify(function, data)

    def delete(self, name: str) -> list[Function]:
        deleted = [self.get(name, v) for v in sorted(self._versions(name))]
        if not deleted:
            raise base.FunctionNotFound(f'no function {name!r}')
        with _errors(f'cannot delete function {name!r}'):
            conn = self._conn()
            for function in deleted:
                try:
                    conn.delete_object(self.container,
                                       _object(name, function.version))
                except swift_exc.ClientException as exc:
                    if exc.http_status != 404:  # deleted meanwhile: fine
                        raise
        return deleted

    def _put_version(self, conn: swift_client.Connection, function: Function,
                     package: bytes, md5: str) -> bool:
        """PUT one version; False when that version exists already."""
        spec = function.spec
        headers = {'If-None-Match': '*',
                   'X-Object-Meta-Handler': spec.handler,
                   'X-Object-Meta-Runtime': spec.runtime,
                   'X-Object-Meta-Memory': str(spec.memory),
                   'X-Object-Meta-Timeout': str(spec.timeout),
                   'X-Object-Meta-Network': spec.network,
                   'X-Object-Meta-Sha256': function.sha256,
                   'X-Object-Meta-Created-At': function.created_at}
        for field in WARM_SETTINGS:
            if getattr(spec, field) is not None:
                headers[_warm_header(field)] = str(getattr(spec, field))
        if spec.project is not None:  # absent: the operator's
            headers['X-Object-Meta-Project'] = spec.project
        name = _object(spec.name, function.version)
        try:
            etag = conn.put_object(
                self.container, name, contents=package, etag=md5,
                content_type='application/zip', headers=headers)
        except swift_exc.ClientException as exc:
            if exc.http_status in (409, 412):
                return False
            if exc.http_status == 422:
                raise base.IntegrityError(
                    f'{function.ref}: Swift received bytes whose MD5 is not '
                    f'{md5}') from exc
            raise
        if etag != md5:
            raise base.IntegrityError(f'{function.ref}: Swift stored ETag '
                                      f'{etag}, expected {md5}')
        try:
            stored = conn.head_object(self.container, name)
        except swift_exc.ClientException as exc:
            if exc.http_status == 404:
                raise base.StoreUnavailable(
                    f'{function.ref}: written but not readable yet; try '
                    'again') from exc
            raise
        return (stored.get(META + 'sha256'), stored.get(META + 'created-at')
                ) == (function.sha256, function.created_at)

    def _versions(self, name: str) -> list[int]:
        if not names.NAME_PATTERN.fullmatch(name):
            return []
        with _errors(f'cannot list function {name!r}'):
            return [v for _, v in self._listing(f'{name}/')]

    def _listing(self, prefix: str) -> Iterator[tuple[str, int]]:
        """(name, version) of each ``NAME/vN.zip`` object under prefix."""
        try:
            _, objects = self._conn().get_container(
                self.container, prefix=prefix, full_listing=True)
        except swift_exc.ClientException as exc:
            if exc.http_status == 404:  # no container: no functions yet
                return
            raise
        for entry in objects:
            name, _, filename = entry.get('name', '').partition('/')
            match = _common.ZIP_NAME.match(filename)
            if match and names.NAME_PATTERN.fullmatch(name):
                yield name, int(match.group(1))

    def _conn(self) -> swift_client.Connection:
        conn = getattr(self._local, 'conn', None)
        if conn is None:
            conn = self._local.conn = _connection(self.conf, self._session)
        return conn

    # Last: below it, "list" in annotations would mean this method.
    def list(self) -> list[Function]:
        latest: dict[str, int] = {}
        with _errors('cannot list functions'):
            for name, version in self._listing(''):
                latest[name] = max(version, latest.get(name, 0))
        found = []
        for name in sorted(latest):
            try:
                found.append(self.get(name, latest[name]))
            except base.FunctionNotFound:
                continue  # deleted while we listed
        return found


def _connection(conf: cfg.ConfigOpts, session: Any
                ) -> swift_client.Connection:
    options = conf.swift
    return swift_client.Connection(
        session=session, retries=options.retries, starting_backoff=0.5,
        max_backoff=4, timeout=options.timeout or store_conf.DEFAULT_TIMEOUT,
        cacert=options.cafile, insecure=options.insecure,
        cert=options.certfile, cert_key=options.keyfile,
        os_options={'service_type': 'object-store',
                    'endpoint_type': options.interface,
                    'region_name': options.region_name,
                    'object_storage_url': options.endpoint_override})


def _object(name: str, version: int) -> str:
    return f'{name}/{_common.zip_name(version)}'


def _from_headers(name: str, version: int,
                  headers: dict[str, str]) -> Function:
    """The version an object's metadata describes, checked on the way."""
    try:
        spec = FunctionSpec(name=name, handler=headers[META + 'handler'],
                            runtime=headers[META + 'runtime'],
                            memory=_integer(name, version, headers, 'memory'),
                            timeout=_integer(name, version, headers,
                                             'timeout'),
                            network=headers[META + 'network'],
                            project=headers.get(META + 'project'),
                            **_warm_settings(name, version, headers))
        function = Function(spec=spec, version=version,
                            sha256=headers[META + 'sha256'],
                            size=int(headers['content-length']),
                            created_at=headers[META + 'created-at'])
    except (KeyError, ValueError) as exc:
        raise base.StoreError(
            f'{name}:{version}: the object lacks pratai-bridge metadata '
            f'({exc}); was it uploaded by something else?') from exc
    return _common.checked(function, name, version)


def _warm_header(field: str) -> str:
    return META + field.replace('_', '-')


def _warm_settings(name: str, version: int,
                   headers: dict[str, str]) -> dict[str, int]:
    """The warm settings the object's metadata sets (older uploads: none)."""
    return {field: _integer(name, version, headers, field,
                            _warm_header(field))
            for field in WARM_SETTINGS if _warm_header(field) in headers}


def _integer(name: str, version: int, headers: dict[str, str],
             field: str, header: str | None = None) -> int:
    text = headers[header or META + field]
    try:
        return int(text)
    except ValueError as exc:
        raise base.InvalidStoredFunction(
            f'{name}:{version}', field,
            f'{text!r} is not an integer') from exc


@contextlib.contextmanager
def _errors(what: str) -> Iterator[None]:
    """Turn swiftclient and keystoneauth1 errors into store errors."""
    try:
        yield
    except base.StoreError:
        raise
    except swift_exc.ClientException as exc:
        status = exc.http_status
        if status is None or status >= 500 or status in _RETRYABLE_STATUS:
            raise base.StoreUnavailable(f'{what}: {exc}') from exc
        if status == 404:
            raise base.FunctionNotFound(f'{what}: {exc}') from exc
        raise base.StoreError(f'{what}: {exc}') from exc
    except (ks_exc.ConnectionError, ks_exc.DiscoveryFailure) as exc:
        # DiscoveryFailure is also how a down Keystone shows.
        raise base.StoreUnavailable(f'{what}: identity service: '
                                    f'{exc}') from exc
    except ks_exc.HttpError as exc:
        status = exc.http_status or 0
        error = (base.StoreUnavailable
                 if status >= 500 or status in _RETRYABLE_STATUS
                 else base.StoreError)
        raise error(f'{what}: identity service: {exc}') from exc
    except ks_exc.ClientException as exc:
        raise base.StoreError(f'{what}: authentication: {exc}') from exc
    except OSError as exc:  # sockets, and requests' errors derive from it
        raise base.StoreUnavailable(f'{what}: {exc}') from exc
