"""The leaf conditions of an event pattern, one small object each.

A condition answers one question about one *leaf value* of the event
document: a string, a number, a bool or None, never a list or a mapping
(:meth:`Condition.test`). Whether it also holds for a field that has no
leaf value at all (missing, an empty list, or an object, since conditions
only look at leaves) is :attr:`Condition.matches_absent`; only
``{"exists": false}`` says yes.

Conditions are frozen dataclasses that compare equal when their specs do,
so an index over many subscriptions can share and group them: every
:class:`Exact` on one field in one dict keyed by :attr:`Exact.key`, every
:class:`Prefix` in one trie, and so on. They hold no state and are safe to
use from any number of threads.

The semantics are AWS EventBridge's (aws/event-ruler):

* JSON types never mix: ``"5"`` is not ``5``, ``1`` is not ``true``, ``""``
  is not ``null``; numbers compare by value (``300`` is ``300.0``).
* String conditions (prefix, suffix, equals-ignore-case, wildcard, cidr)
  only match strings; numeric only matches numbers.
* anything-but matches every present leaf value its inner condition does
  not, of any type (``{"anything-but": {"prefix": "a"}}`` matches ``5``),
  and never a missing field.
"""

import abc
import dataclasses
import fnmatch
import ipaddress
import math
import re
from typing import Any

#: What :func:`value_key` returns for anything that is not a leaf value.
NOT_A_LEAF = ('', None)


def value_key(value: Any) -> tuple[str, Any]:
    """A hashable key that is equal for equal JSON leaf values.

    ``('number', 1)`` equals ``('number', 1.0)`` (and hashes the same), but
    bools, numbers, strings and null never share a key, which Python's own
    ``True == 1`` would not give us.
    """
    cls = value.__class__
    if cls is str:
        return ('string', value)
    if cls is int or cls is float:
        return ('number', value)
    if isinstance(value, str):
        return ('string', value)
    if isinstance(value, bool):
        return ('bool', value)
    if isinstance(value, (int, float)):
        return ('number', value)
    if value is None:
        return ('null', None)
    return NOT_A_LEAF


def is_number(value: Any) -> bool:
    """Whether ``value`` is a JSON number (a bool is not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Condition(abc.ABC):
    """One condition on the leaf values of one field."""

    __slots__ = ()

    #: Whether a field with no leaf value satisfies the condition.
    matches_absent = False

    @abc.abstractmethod
    def test(self, value: Any) -> bool:
        """Whether one present leaf value satisfies the condition."""


@dataclasses.dataclass(frozen=True, slots=True)
class Exact(Condition):
    """``"active"``, ``5``, ``true``, ``null``: the value itself."""

    #: :func:`value_key` of the value to match.
    key: tuple[str, Any]

    @classmethod
    def of(cls, value: Any) -> 'Exact':
        return cls(value_key(value))

    @property
    def value(self) -> Any:
        return self.key[1]

    def test(self, value: Any) -> bool:
        kind, wanted = self.key
        if kind == 'string':  # The common case, without building a key.
            return isinstance(value, str) and value == wanted
        return value_key(value) == self.key


@dataclasses.dataclass(frozen=True, slots=True)
class OneOf(Condition):
    """Any of a set of exact values; only used inside :class:`AnythingBut`."""

    #: :func:`value_key` of each value.
    keys: frozenset[tuple[str, Any]]

    def test(self, value: Any) -> bool:
        return value_key(value) in self.keys


@dataclasses.dataclass(frozen=True, slots=True)
class Prefix(Condition):
    """``{"prefix": "us-"}``; ignore_case: ``{equals-ignore-case: "us-"}``."""

    prefix: str
    ignore_case: bool = False

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return value.lower().startswith(self.prefix.lower())
        return value.startswith(self.prefix)


@dataclasses.dataclass(frozen=True, slots=True)
class Suffix(Condition):
    """``{"suffix": ".png"}``; ignore_case: ``{equals-ignore-case: ...}``."""

    suffix: str
    ignore_case: bool = False

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return value.lower().endswith(self.suffix.lower())
        return value.endswith(self.suffix)


@dataclasses.dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(Condition):
    """``{"equals-ignore-case": "Active"}``, or any of several values."""

    #: The values, lower-cased.
    values: frozenset[str]

    @classmethod
    def of(cls, *values: str) -> 'EqualsIgnoreCase':
        return cls(frozenset(v.lower() for v in values))

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and value.lower() in self.values


@dataclasses.dataclass(frozen=True, slots=True)
class Wildcard(Condition):
    """``{"wildcard": "*/lib/*"}``: ``*`` is any run of characters.

    ``\\*`` is a literal star and ``\\\\`` a literal backslash; any other
    backslash, and two ``*`` in a row, are errors (ValueError from
    :meth:`of`), as in EventBridge.
    """

    pattern: str
    regex: re.Pattern[str] = dataclasses.field(compare=False, repr=False)
    #: The literal text before the first and after the last ``*`` (the
    #: whole text when there is no ``*``), for an index to file it under.
    head: str = dataclasses.field(default='', compare=False, repr=False)
    tail: str = dataclasses.field(default='', compare=False, repr=False)

    @classmethod
    def of(cls, pattern: str) -> 'Wildcard':
        regex, literals = _wildcard_parts(pattern)
        return cls(pattern, re.compile(regex, re.DOTALL), literals[0],
                   literals[-1])

    def test(self, value: Any) -> bool:
        return (isinstance(value, str)
                and self.regex.fullmatch(value) is not None)


def _wildcard_regex(pattern: str) -> str:
    return _wildcard_parts(pattern)[0]


def _wildcard_parts(pattern: str) -> tuple[str, list[str]]:
    """(regex, the literal runs between the stars) of a wildcard."""
    if '\\' not in pattern:
        # Most wildcards: no escapes, so the runs are the text between
        # the stars (a large file has thousands; a loop per character
        # was most of their cost).
        literals = pattern.split('*')
        if '' in literals[1:-1]:
            raise ValueError("consecutive '*' are not allowed in a wildcard")
        return '.*'.join(map(re.escape, literals)), literals
    return _escaped_parts(pattern)


def _escaped_parts(pattern: str) -> tuple[str, list[str]]:
    """:func:`_wildcard_parts`, character by character (any wildcard)."""
    parts = []
    literals = ['']
    chars = iter(pattern)
    previous_star = False
    for char in chars:
        if char == '*':
            if previous_star:
                raise ValueError(
                    "consecutive '*' are not allowed in a wildcard")
            parts.append('.*')
            literals.append('')
            previous_star = True
            continue
        previous_star = False
        if char == '\\':
            char = next(chars, '')
            if char not in ('*', '\\'):
                raise ValueError(
                    "a backslash in a wildcard may only escape '*' or '\\'")
        parts.append(re.escape(char))
        literals[-1] += char
    return ''.join(parts), literals


@dataclasses.dataclass(frozen=True, slots=True)
class Numeric(Condition):
    """``{"numeric": [">", 0, "<=", 5]}``; a None bound is unbounded.

    ``{"numeric": ["=", 5]}`` is ``Numeric(5, False, 5, False)``.
    """

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    def test(self, value: Any) -> bool:
        # NaN and the infinities are numbers to Python, never to a pattern.
        if not is_number(value) or not math.isfinite(value):
            return False
        if self.low is not None and (
                value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (
                value >= self.high if self.high_open else value > self.high):
            return False
        return True


@dataclasses.dataclass(frozen=True, slots=True)
class Cidr(Condition):
    """``{"cidr": "10.0.0.0/24"}``: a string IP address in the network."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    @classmethod
    def of(cls, network: str) -> 'Cidr':
        return cls(ipaddress.ip_network(network, strict=False))

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address in self.network


@dataclasses.dataclass(frozen=True, slots=True)
class Exists(Condition):
    """``{"exists": true}`` (any leaf value, null included) or ``false``."""

    present: bool

    @property
    def matches_absent(self) -> bool:  # type: ignore[override]
        return not self.present

    def test(self, value: Any) -> bool:
        return self.present


@dataclasses.dataclass(frozen=True, slots=True)
class AnyOf(Condition):
    """Any of several conditions; the inside of ``{anything-but: {prefix:
    [a, b]}}`` and its suffix and wildcard forms."""

    conditions: tuple[Condition, ...]

    def test(self, value: Any) -> bool:
        for condition in self.conditions:
            if condition.test(value):
                return True
        return False


@dataclasses.dataclass(frozen=True, slots=True)
class Glob(Condition):
    """A shell-style glob on a string (the ``event_type`` filter's globs).

    ``literal`` is the glob's head before its first special character, so
    an index can file the glob under that prefix and test it only there.
    """

    glob: str
    regex: re.Pattern[str] = dataclasses.field(compare=False, repr=False)
    literal: str = dataclasses.field(compare=False, repr=False)

    @classmethod
    def of(cls, glob: str) -> 'Glob':
        head = re.split(r'[*?[]', glob, maxsplit=1)[0]
        return cls(glob, re.compile(fnmatch.translate(glob)), head)

    def test(self, value: Any) -> bool:
        return (isinstance(value, str)
                and self.regex.match(value) is not None)


@dataclasses.dataclass(frozen=True, slots=True)
class AnythingBut(Condition):
    """``{"anything-but": ...}``: every present value ``inner`` rejects.

    ``inner`` is a :class:`OneOf`, :class:`Prefix`, :class:`Suffix`,
    :class:`EqualsIgnoreCase`, :class:`Wildcard` or an :class:`AnyOf` of
    prefixes, suffixes or wildcards.
    """

    inner: Condition

    def test(self, value: Any) -> bool:
        return not self.inner.test(value)
