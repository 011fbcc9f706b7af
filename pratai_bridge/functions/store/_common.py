"""Helpers both stores share: version file names, digests, timestamps."""

import datetime
import hashlib
import re

from pratai_bridge.functions.model import Function
from pratai_bridge.functions.store.base import IntegrityError

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
