"""Secrets out of what is stored: the one scrubbing function.

Notifications carry credentials: older senders put the request's token
in ``_context_auth_token``, contexts hold ``auth_token``, payloads may
hold an ``admin_password``. Nothing of that is kept: before an event's
document or a rejected notification's raw message is written to the
journal (and so before a function receives it, from there), every value
under a key that looks like a token, password or secret becomes
:data:`MASK`, at any depth; inside a string (a wire body that could not be
decoded, say), a JSON-looking ``"key": "value"`` pair with such a key has
its value masked too.

Keys masked (case-insensitive, ``-`` as ``_``): any with ``token``,
``password``/``passwd``, ``secret``, ``passcode`` in it; ``credential``
or ``credentials``; ``authorization``; ``x_auth_*``; ``*_key`` for
``api``, ``access``, ``private``, ``secret`` and ``signing`` keys.

Documents nested deeper than :data:`MAX_DEPTH` are cut there (the deeper
value becomes a note saying so): a hostile document must not exhaust the
stack of the thread storing it.
"""

import functools
import re
from collections.abc import Mapping
from typing import Any

__all__ = ['MASK', 'MAX_DEPTH', 'is_secret_key', 'scrub']

#: what a secret value becomes
MASK = '***'
#: levels of nesting kept; deeper values are replaced by a note
MAX_DEPTH = 400

_SECRET_KEY = re.compile(
    r'token|passw(?:or)?d|secret|passcode|^credentials?$|^authorization$'
    r'|^x_auth_|(?:^|_)(?:api|access|private|secret|signing)_?key$',
    re.IGNORECASE)
# A quoted key, a colon and a quoted value, as in JSON text.
_PAIR = re.compile(r'"([^"\\]{1,128})"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
_TOO_DEEP = f'(nested deeper than {MAX_DEPTH} levels: not kept)'


# Notifications repeat the same few hundred keys, so the answer is cached:
# scrubbing was half of Journal.record()'s time, mostly this regex. The
# bound keeps a sender of ever-new keys from growing it without end.
@functools.lru_cache(maxsize=16384)
def is_secret_key(key: str) -> bool:
    """Whether a value under ``key`` is masked."""
    return _SECRET_KEY.search(key.replace('-', '_')) is not None


# Leaves that are neither text nor containers come back as they are; their
# exact types are checked first, cheaper than the Mapping ABC's check.
_PLAIN = frozenset((int, float, bool, type(None)))


def scrub(value: Any) -> Any:
    """A copy of ``value`` (decoded JSON) with its secrets masked.

    Values that hold none come back as they were (equal, and unchanged
    when they are not containers).
    """
    return _scrub(value, 0)


def _scrub(value: Any, depth: int) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return _TOO_DEEP
        return {key: (MASK if isinstance(key, str) and is_secret_key(key)
                      and item is not None else _scrub(item, depth + 1))
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            return _TOO_DEEP
        return [_scrub(item, depth + 1) for item in value]
    return value


def _scrub_text(text: str) -> str:
    if '"' not in text or _SECRET_KEY.search(text.replace('-', '_')) is None:
        return text
    return _PAIR.sub(_mask_pair, text)


def _mask_pair(match: re.Match[str]) -> str:
    if not is_secret_key(match[1]):
        return match[0]
    return f'"{match[1]}"{match[2]}"{MASK}"'
