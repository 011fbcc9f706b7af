"""Compile an EventBridge event-pattern spec into a :mod:`._tree` Pattern.

The grammar (what a subscription file may write under ``pattern:``):

* a pattern is a non-empty mapping; each key is a document field whose
  value is either a nested pattern (a mapping) or a non-empty list of
  conditions; ``$or`` maps to a list of at least two patterns, any of
  which may match;
* a condition is a string, number, bool or null (that exact value), or a
  one-key mapping: ``prefix``, ``suffix`` (a string or
  ``{equals-ignore-case: string}``), ``equals-ignore-case``, ``wildcard``,
  ``exact``, ``cidr`` (strings), ``exists`` (a bool), ``numeric`` (``[op,
  number]`` or ``['>'|'>=', number, '<'|'<=', number]``, op one of ``=``
  ``<`` ``<=`` ``>`` ``>=``) or ``anything-but`` (a string, a number, a
  list of only strings or only numbers, or a mapping of ``prefix``,
  ``suffix``, ``wildcard`` or ``equals-ignore-case`` to a string or a list
  of strings).

Errors raise FilterSpecError whose message starts with the path of the
field at fault (``payload.state: numeric needs ...``); its ``path`` goes
down to the condition when one is at fault (``payload.state[1]``), so the
loader can point at its line.
"""

import json
import math
import types
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from pratai_bridge.filters import _conditions as c
from pratai_bridge.filters import _tree
from pratai_bridge.filters.base import FilterSpecError

OR = '$or'


class _Invalid(ValueError):
    """A condition is invalid; the caller adds the field's path."""


_Compiler = Callable[[Any], c.Condition]


def _show(value: Any) -> str:
    """The spec value as the user wrote it (JSON reads like YAML flow)."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + '...'


_NOT_MAPPINGS = frozenset({list, str, int, float, bool, type(None)})


def _is_mapping(value: Any) -> bool:
    # By class first: isinstance against the Mapping ABC costs ten times
    # more, and a large file compiles a hundred thousand specs.
    cls = value.__class__
    if cls is dict:
        return True
    return cls not in _NOT_MAPPINGS and isinstance(value, Mapping)


def _fail(path: str, message: str) -> FilterSpecError:
    return FilterSpecError(f'{path}: {message}' if path else message, path)


def _join(path: str, key: str) -> str:
    return f'{path}.{key}' if path else key


def compile_pattern(spec: Any, path: str = '') -> _tree.Pattern:
    """Compile one pattern mapping; raises FilterSpecError."""
    if not _is_mapping(spec):
        raise _fail(path, 'a pattern must be a mapping of field names to '
                          f'lists of conditions, got {_show(spec)}')
    if not spec:
        raise _fail(path, 'a pattern must not be empty')
    parts: list[_tree.Leaf | _tree.Branch | _tree.AnyOf] = []
    for key, value in spec.items():
        if not isinstance(key, str):
            raise _fail(path, f'field names must be strings, got {key!r}')
        if key == OR:
            parts.append(_compile_or(value, _join(path, key)))
            continue
        here = _join(path, key)
        if _is_mapping(value):
            parts.append(_tree.Branch(key, compile_pattern(value, here)))
        elif isinstance(value, list):
            parts.append(_tree.Leaf(key, _compile_leaf(value, here), value))
        else:
            raise _fail(here, 'must be a list of conditions or a nested '
                              f'pattern, got {_show(value)}')
    return _tree.Pattern(tuple(parts))


def _compile_or(value: Any, path: str) -> _tree.AnyOf:
    if not isinstance(value, list) or len(value) < 2:
        raise _fail(path, 'needs a list of at least two patterns, got '
                          + _show(value))
    return _tree.AnyOf(tuple(compile_pattern(alt, f'{path}[{i}]')
                             for i, alt in enumerate(value)))


def _compile_leaf(values: list[Any], path: str) -> tuple[c.Condition, ...]:
    if not values:
        raise _fail(path, 'needs at least one condition')
    conditions = []
    for index, value in enumerate(values):
        try:
            conditions.append(compile_condition(value))
        except _Invalid as exc:
            # The message names the field, the path the condition in it.
            raise FilterSpecError(f'{path}: {exc}',
                                  f'{path}[{index}]') from None
    return tuple(conditions)


def compile_condition(value: Any) -> c.Condition:
    """One condition from its spec; raises ValueError (no path)."""
    if _is_mapping(value):
        if len(value) != 1:
            raise _Invalid('a condition mapping needs exactly one operator, '
                           f'got {_show(value)}')
        ((operator, argument),) = value.items()
        compiler = _OPERATORS.get(operator)
        if compiler is None:
            raise _Invalid(f'unknown operator {operator!r}; known operators: '
                           + ', '.join(sorted(_OPERATORS)))
        return compiler(argument)
    if isinstance(value, list):
        raise _Invalid('a condition cannot be a list; list the values in '
                       f'the field\'s own list, got {_show(value)}')
    _check_scalar(value, 'a condition')
    return c.Exact.of(value)


def _check_scalar(value: Any, what: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(f'{what} must be a finite number, got {value}')
    if c.value_key(value) is c.NOT_A_LEAF:
        raise _Invalid(f'{what} must be a string, number, true, false, null '
                       f'or an operator mapping, got {_show(value)}')


def _string(operator: str, argument: Any, *, empty: bool = True) -> str:
    if not isinstance(argument, str) or (not empty and not argument):
        kind = 'a string' if empty else 'a non-empty string'
        raise _Invalid(f'{operator} needs {kind}, got {_show(argument)}')
    return argument


def _affix(operator: str, argument: Any, *,
           empty: bool = True) -> tuple[str, bool]:
    """The argument of prefix/suffix: a string, or an ignore-case mapping."""
    if isinstance(argument, Mapping) and list(argument) == [
            'equals-ignore-case']:
        return _string(operator, argument['equals-ignore-case'],
                       empty=empty), True
    if not isinstance(argument, str):
        raise _Invalid(f'{operator} needs a string or {{equals-ignore-case: '
                       f'string}}, got {_show(argument)}')
    return _string(operator, argument, empty=empty), False


def _prefix(argument: Any) -> c.Condition:
    return c.Prefix(*_affix('prefix', argument))


def _suffix(argument: Any) -> c.Condition:
    return c.Suffix(*_affix('suffix', argument))


def _equals_ignore_case(argument: Any) -> c.Condition:
    return c.EqualsIgnoreCase.of(_string('equals-ignore-case', argument))


def _exact(argument: Any) -> c.Condition:
    return c.Exact.of(_string('exact', argument))


def _wildcard(argument: Any) -> c.Condition:
    text = _string('wildcard', argument)
    try:
        return c.Wildcard.of(text)
    except ValueError as exc:
        raise _Invalid(f'wildcard {_show(text)}: {exc}') from None


def _cidr(argument: Any) -> c.Condition:
    text = _string('cidr', argument)
    try:
        return c.Cidr.of(text)
    except ValueError:
        raise _Invalid('cidr needs an IP network such as 10.0.0.0/24, '
                       f'got {_show(text)}') from None


def _exists(argument: Any) -> c.Condition:
    if not isinstance(argument, bool):
        raise _Invalid(f'exists needs true or false, got {_show(argument)}')
    return c.Exists(argument)


_LOWER = {'>': True, '>=': False}
_UPPER = {'<': True, '<=': False}
_NUMERIC_FORMS = ("['=', n], ['<'|'<='|'>'|'>=', n] or "
                  "['>'|'>=', n, '<'|'<=', m]")


def _numeric(argument: Any) -> c.Condition:
    bad = _Invalid(f'numeric needs {_NUMERIC_FORMS}, got {_show(argument)}')
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        raise bad
    ops, numbers = argument[0::2], argument[1::2]
    for op in ops:
        if op not in ('=', *_LOWER, *_UPPER):
            raise _Invalid(f'numeric: unknown operator {_show(op)}; use one '
                           "of '=', '<', '<=', '>', '>='")
    for number in numbers:
        if not c.is_number(number) or not math.isfinite(number):
            raise _Invalid(f'numeric: {_show(number)} is not a number')
    if len(argument) == 2:
        op, number = argument
        if op == '=':
            return c.Numeric(number, False, number, False)
        if op in _LOWER:
            return c.Numeric(low=number, low_open=_LOWER[op])
        return c.Numeric(high=number, high_open=_UPPER[op])
    low_op, low, high_op, high = argument
    if low_op not in _LOWER or high_op not in _UPPER:
        raise bad
    if not low < high:
        raise _Invalid(f'numeric: the lower bound {low} must be less than '
                       f'the upper bound {high}')
    return c.Numeric(low, _LOWER[low_op], high, _UPPER[high_op])


def _anything_but(argument: Any) -> c.Condition:
    if isinstance(argument, Mapping):
        return c.AnythingBut(_anything_but_mapping(argument))
    values = argument if isinstance(argument, list) else [argument]
    strings = all(isinstance(v, str) for v in values)
    numbers = all(c.is_number(v) for v in values)
    if not values or not (strings or numbers):
        raise _Invalid('anything-but needs a string, a number, a list of '
                       'only strings or only numbers, or a mapping of '
                       'prefix, suffix, wildcard or equals-ignore-case; '
                       f'got {_show(argument)}')
    for value in values:
        _check_scalar(value, 'anything-but')
    return c.AnythingBut(c.OneOf(frozenset(c.value_key(v) for v in values)))


def _anything_but_mapping(argument: Mapping[str, Any]) -> c.Condition:
    if len(argument) != 1:
        raise _Invalid('anything-but needs exactly one of prefix, suffix, '
                       f'wildcard, equals-ignore-case; got {_show(argument)}')
    ((operator, value),) = argument.items()
    if operator not in _ANYTHING_BUT_OF:
        raise _Invalid(f'anything-but does not take {operator!r}; use prefix, '
                       'suffix, wildcard or equals-ignore-case')
    what = f'anything-but {operator}'
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise _Invalid(f'{what} needs a string or a non-empty list of '
                       f'strings, got {_show(value)}')
    if operator == 'equals-ignore-case':
        return c.EqualsIgnoreCase.of(*values)
    inner = [_ANYTHING_BUT_OF[operator](v) for v in values]
    return inner[0] if len(inner) == 1 else c.AnyOf(tuple(inner))


def _non_empty_prefix(value: str) -> c.Condition:
    # An empty prefix or suffix would exclude every string (event-ruler
    # refuses it too).
    return c.Prefix(_string('anything-but prefix', value, empty=False))


def _non_empty_suffix(value: str) -> c.Condition:
    return c.Suffix(_string('anything-but suffix', value, empty=False))


_ANYTHING_BUT_OF: Mapping[str, _Compiler] = types.MappingProxyType({
    'prefix': _non_empty_prefix,
    'suffix': _non_empty_suffix,
    'wildcard': _wildcard,
    'equals-ignore-case': c.EqualsIgnoreCase.of,
})
_OPERATORS: Mapping[str, _Compiler] = types.MappingProxyType({
    'anything-but': _anything_but,
    'cidr': _cidr,
    'equals-ignore-case': _equals_ignore_case,
    'exact': _exact,
    'exists': _exists,
    'numeric': _numeric,
    'prefix': _prefix,
    'suffix': _suffix,
    'wildcard': _wildcard,
})
