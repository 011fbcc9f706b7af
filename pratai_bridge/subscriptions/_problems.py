"""Schema errors as ``(line, message)`` problems that name what is wrong.

Each jsonschema error's path is walked back through the YAML nodes to the
line of the offending node, and its message rewritten for a person editing
the file ("subscription 'x': delivery.timeout: must be from 1 to 3600").
"""

import re
import types
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import jsonschema
import yaml

from pratai_bridge.subscriptions import _yaml
from pratai_bridge.subscriptions import schema

_TYPE_WORDS = types.MappingProxyType({
    'object': 'a mapping', 'array': 'a list', 'string': 'a string',
    'integer': 'an integer', 'number': 'a number',
    'boolean': 'true or false', 'null': 'null'})
_KINDS = ((bool, 'a boolean'), (int, 'an integer'), (float, 'a number'),
          (str, 'a string'), (list, 'a list'), (Mapping, 'a mapping'))


def schema_problems(data: Any, root: yaml.Node,
                     ) -> tuple[list[tuple[int, str]], set[int]]:
    """(line, message) per schema error, and the broken items' indexes."""
    found = []
    broken = set()
    required_done = set()
    for where, error in schema.errors(data):
        if len(where) >= 2:
            broken.add(where[1])
        if error.validator == 'required':
            # One error per missing key; one problem names them all.
            if tuple(where) in required_done:
                continue
            required_done.add(tuple(where))
        node = _yaml.node_at(root, where)
        label = label_of(data, where)
        if error.validator == 'additionalProperties':
            known = sorted(error.schema.get('properties', {}))
            for key in error.instance:
                if key not in known:
                    entry = _yaml.entry(node, key)
                    line = _yaml.line(entry[0] if entry else node)
                    found.append((line, _with(
                        label, f'unknown key {key!r}; known keys: '
                               + ', '.join(known))))
        else:
            found.append((_yaml.line(node),
                          _with(label, _explain(error, where))))
    return found, broken


def _with(label: str, message: str) -> str:
    return f'{label}: {message}' if label else message


def name_of(item: Any) -> str | None:
    """The item's name if it is a valid one."""
    name = item.get('name') if isinstance(item, Mapping) else None
    if isinstance(name, str) and re.fullmatch(schema.NAME_RULE, name):
        return name
    return None


def label_of(data: Any, where: Sequence[Any]) -> str:
    """Which subscription and which part of it an error is about."""
    if len(where) < 2:
        return '.'.join(map(str, where))
    name = name_of(data['subscriptions'][where[1]])
    if name is not None:
        label = f'subscription {name!r}'
    else:
        label = f'subscriptions[{where[1]}]'
    rest = ''.join(f'[{step}]' if isinstance(step, int) else f'.{step}'
                   for step in where[2:]).lstrip('.')
    return f'{label}: {rest}' if rest else label


def _kind(value: Any) -> str:
    """The YAML type of a value, in words."""
    for kinds, words in _KINDS:
        if isinstance(value, kinds):
            return words
    return 'null' if value is None else type(value).__name__


def _explain(error: jsonschema.ValidationError, where: list[Any]) -> str:
    value, rule = error.instance, error.validator_value
    if error.validator == 'type':
        message = f'must be {_TYPE_WORDS.get(rule, rule)}, got {_kind(value)}'
        if not where:
            message = ("a subscription file must be a mapping with a "
                       f"'subscriptions' list, got {_kind(value)}")
        if isinstance(value, bool):
            message += (' (YAML reads yes, no, on, off, true and false as '
                        'booleans: quote the value)')
        return message
    if error.validator == 'required':
        missing = [key for key in rule if key not in value]
        return 'missing required key ' + ', '.join(map(repr, missing))
    if error.validator == 'pattern':
        return f'invalid name {value!r}: use {schema.NAME_HELP}'
    if error.validator in ('minProperties', 'maxProperties'):
        keys = ', '.join(map(str, value)) or 'none'
        return ('a filter is a mapping with exactly one key, the filter '
                f'name; got {keys}')
    if error.validator in ('minimum', 'maximum'):
        return (f"must be from {error.schema['minimum']} to "
                f"{error.schema['maximum']}, got {value}")
    if error.validator == 'minLength':
        return 'must not be empty'
    return error.message
