"""Helpers both stores share: version file names, digests, timestamps,
and the checks of what they read back."""

import dataclasses
import datetime
import hashlib
import re
from typing import Any

from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.functions import names
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store.base import IntegrityError
from pratai_bridge.functions.store.base import InvalidStoredFunction

_SPEC_FIELDS = {f.name for f in dataclasses.fields(FunctionSpec)}
#: ``vN.zip`` inside a function's directory or object prefix
ZIP_NAME = re.compile(r'^v([1-9][0-9]*)\.zip$')


def zip_name(version: int) -> str:
    return f'v{version}.zip'


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC)."""
    moment = datetime.datetime.now(datetime.UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def verify(function: Function, data: bytes) -> bytes:
    """Return ``data`` if it is the zip ``function`` describes."""
    got = sha256(data)
    if got != function.sha256 or len(data) != function.size:
        raise IntegrityError(
            f'{function.ref}: fetched {len(data)} bytes with sha256 {got}, '
            f'expected {function.size} bytes with sha256 {function.sha256}')
    return data


def checked(function: Function, name: str, version: int) -> Function:
    """Return ``function``, read as version ``version`` of ``name``, if valid.

    Its settings pass the same check as an upload's (a memory of 0 from a
    hand-edited record must not become "no limit"), and it is the version
    it was read as. Raises InvalidStoredFunction.
    """
    ref = f'{name}:{version}'
    if function.name != name:
        raise InvalidStoredFunction(ref, 'name', f'{function.name!r} is '
                                    'not the name it is stored under')
    if function.version != version:
        raise InvalidStoredFunction(ref, 'version', f'{function.version!r} '
                                    'is not the version it is stored as')
    try:
        spec_mod.check_spec(function.spec)
    except names.InvalidName as exc:
        raise InvalidStoredFunction(ref, 'name', str(exc)) from exc
    except spec_mod.InvalidFunction as exc:
        raise InvalidStoredFunction(ref, exc.field, str(exc)) from exc
    return function


def to_record(function: Function) -> dict[str, Any]:
    """``function`` as JSON-ready data (the local store's records)."""
    return {'spec': dataclasses.asdict(function.spec),
            'version': function.version, 'sha256': function.sha256,
            'size': function.size, 'created_at': function.created_at}


def from_record(record: dict[str, Any]) -> Function:
    """The Function a :func:`to_record` record describes; settings it
    lacks (written before they existed) take their defaults, unknown ones
    are ignored. Raises KeyError, TypeError for a damaged record."""
    spec = {k: v for k, v in record['spec'].items() if k in _SPEC_FIELDS}
    return Function(spec=FunctionSpec(**spec), version=record['version'],
                    sha256=record['sha256'], size=record['size'],
                    created_at=record['created_at'])
