"""The JSON schema (Draft 2020-12) of a subscription file.

::

    subscriptions:
      - name: on-instance-create      # unique across all files
        function: hello
        project: 6f70656e737461636b20697320    # optional
        filters:                      # optional; all must match
          - event_type: [compute.instance.create.end]
          - pattern: {payload: {state: [active]}}
        delivery: {max_attempts: 3, timeout: 30, concurrency: 4,
                   max_age: 86400, ordered: false}  # optional
        enrich: [server]              # optional: looked up before matching
        credential: autoscaler        # optional: [credential:autoscaler]

The schema checks the shape; what a filter's spec means is checked by the
filter plugin itself (see :mod:`pratai_bridge.filters`), and which filter
names exist by the loader, since plugins are found at run time.
"""

import re
import types
from collections.abc import Iterator
from typing import Any

import jsonschema

#: Subscription and function names: they appear in logs, metrics labels,
#: image tags and CLI arguments, so they are short and plain.
NAME_RULE = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'

# NAME_RULE as the schema writes it: jsonschema runs patterns with Python's
# re.search, where "$" also matches before a final newline; the lookahead
# anchors at the very end in both Python and ECMA-262 regexes.
_NAME_PATTERN = NAME_RULE[:-1] + '(?![\\s\\S])'

#: In words, for error messages.
NAME_HELP = ("1 to 128 letters, digits, '_', '.' or '-', starting with a "
             'letter or a digit')

#: Bounds of each delivery setting, inclusive.
DELIVERY_BOUNDS = types.MappingProxyType({
    'max_attempts': (1, 100),
    'timeout': (1, 3600),
    'concurrency': (1, 1000),
    'max_age': (1, 30 * 86400),
})
#: Delivery settings that are booleans.
DELIVERY_FLAGS = frozenset({'ordered'})


def _name() -> dict[str, Any]:
    return {'type': 'string', 'pattern': _NAME_PATTERN}


def _delivery() -> dict[str, Any]:
    return {
        'type': 'object',
        'additionalProperties': False,
        'properties': {
            **{key: {'type': 'integer', 'minimum': low, 'maximum': high}
               for key, (low, high) in DELIVERY_BOUNDS.items()},
            **{key: {'type': 'boolean'} for key in DELIVERY_FLAGS},
        },
    }


def schema() -> dict[str, Any]:
    """The schema, a new dict on every call (callers may not share it)."""
    return {
        '$schema': 'https://json-schema.org/draft/2020-12/schema',
        'title': 'pratai-bridge subscription file',
        'type': 'object',
        'required': ['subscriptions'],
        'additionalProperties': False,
        'properties': {
            'subscriptions': {
                'type': 'array',
                'items': {'$ref': '#/$defs/subscription'},
            },
        },
        '$defs': {
            'subscription': {
                'type': 'object',
                'required': ['name', 'function'],
                'additionalProperties': False,
                'properties': {
                    'name': _name(),
                    'function': _name(),
                    'project': {'type': 'string', 'minLength': 1,
                                'maxLength': 255},
                    'filters': {
                        'type': 'array',
                        'items': {'$ref': '#/$defs/filter'},
                    },
                    'delivery': _delivery(),
                    # Which names exist is the loader's check (its error
                    # lists them); the schema checks the shape.
                    'enrich': {'type': 'array', 'uniqueItems': True,
                               'items': {'type': 'string'}},
                    'credential': _name(),
                },
            },
            # One key, the plugin name; its value is the plugin's spec.
            'filter': {'type': 'object', 'minProperties': 1,
                       'maxProperties': 1},
        },
    }


def validator() -> jsonschema.protocols.Validator:
    """A Draft 2020-12 validator for :func:`schema`."""
    return jsonschema.Draft202012Validator(schema())


def _item_validator() -> jsonschema.protocols.Validator:
    """A validator for one item of ``subscriptions``."""
    whole = schema()
    return jsonschema.Draft202012Validator({
        '$schema': whole['$schema'], '$defs': whole['$defs'],
        '$ref': '#/$defs/subscription'})


_NAME = re.compile(NAME_RULE[1:-1])
_KEYS = frozenset(('name', 'function', 'project', 'filters', 'delivery',
                   'enrich', 'credential'))


def _conforms(item: Any) -> bool:
    """True only if ``item`` surely passes the subscription schema.

    jsonschema costs about 0.1 ms an item, most of a large file's load;
    this checks the same rules for the common, valid case in a few
    microseconds. False means "ask jsonschema", which then finds the
    errors and words them: a rule this check is stricter about (a float
    integer such as 3.0) only takes the slow path. A test checks, on
    random items, that this never says True where jsonschema finds an
    error.
    """
    if item.__class__ is not dict or not _KEYS.issuperset(item):
        return False
    for key in ('name', 'function'):
        value = item.get(key)
        if value.__class__ is not str or _NAME.fullmatch(value) is None:
            return False
    project = item.get('project', 'x')
    if project.__class__ is not str or not 1 <= len(project) <= 255:
        return False
    filters = item.get('filters', [])
    if filters.__class__ is not list:
        return False
    for spec in filters:
        if spec.__class__ is not dict or len(spec) != 1:
            return False
    enrich = item.get('enrich', [])
    if (enrich.__class__ is not list
            or any(name.__class__ is not str for name in enrich)
            or len(set(enrich)) != len(enrich)):
        return False
    credential = item.get('credential', 'x')
    if credential.__class__ is not str or _NAME.fullmatch(credential) is None:
        return False
    delivery = item.get('delivery', {})
    if delivery.__class__ is not dict:
        return False
    for key, value in delivery.items():
        if key in DELIVERY_FLAGS:
            if value.__class__ is not bool:
                return False
            continue
        bounds = DELIVERY_BOUNDS.get(key)
        if (bounds is None or value.__class__ is not int
                or not bounds[0] <= value <= bounds[1]):
            return False
    return True


def errors(data: Any) -> Iterator[tuple[list[Any], Any]]:
    """(path, jsonschema error) for every schema error of a file's data.

    Items that :func:`_conforms` vouches for are not given to jsonschema;
    the others are, one by one, with their paths made whole.
    """
    items = data.get('subscriptions') if data.__class__ is dict else None
    if items.__class__ is not list or len(data) != 1:
        for error in validator().iter_errors(data):
            yield list(error.absolute_path), error
        return
    checker = None
    for index, item in enumerate(items):
        if _conforms(item):
            continue
        checker = checker or _item_validator()
        for error in checker.iter_errors(item):
            yield ['subscriptions', index, *error.absolute_path], error
