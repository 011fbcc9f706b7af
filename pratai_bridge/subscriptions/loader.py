"""Load subscription files into Subscriptions, or say exactly what is wrong.

Every problem is a :class:`Problem` ``file:line: message`` whose line is the
line of the offending YAML node: the file is composed into PyYAML nodes
(which keep their position) before it is constructed into data, and each
schema error's path is walked back through the nodes.

Checked, in order, for each file: it can be read and parsed as one YAML
document; no mapping repeats a key; it matches :mod:`.schema`; each filter
names a known plugin and the plugin accepts its spec. Across files:
subscription names are unique. A file with a problem contributes none of
its broken subscriptions; :func:`load_directory` refuses the whole set if
there is any problem, so a broken file is never silently dropped.
"""

import os
import re
import types
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import jsonschema
import stevedore
import yaml

from pratai_bridge.filters.base import Filter
from pratai_bridge.subscriptions import schema
from pratai_bridge.subscriptions.model import Delivery
from pratai_bridge.subscriptions.model import Problem
from pratai_bridge.subscriptions.model import Subscription

FILTER_NAMESPACE = 'pratai_bridge.filters'
SUFFIXES = ('.yaml', '.yml')

_MERGE_TAG = 'tag:yaml.org,2002:merge'
_PATH_STEP = re.compile(r'([^.\[\]]+)|\[(\d+)\]')
_TYPE_WORDS = types.MappingProxyType({
    'object': 'a mapping', 'array': 'a list', 'string': 'a string',
    'integer': 'an integer', 'number': 'a number',
    'boolean': 'true or false', 'null': 'null'})
_KINDS = ((bool, 'a boolean'), (int, 'an integer'), (float, 'a number'),
          (str, 'a string'), (list, 'a list'), (Mapping, 'a mapping'))


class SubscriptionError(Exception):
    """The subscription files have problems; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return '\n'.join(str(problem) for problem in self.problems)


def list_files(directory: str) -> list[str]:
    """The subscription files of a directory, in name order.

    ``*.yaml`` and ``*.yml``; hidden files (editor locks such as
    ``.#x.yaml``) are skipped. A missing directory has none.
    """
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    return [os.path.join(directory, name) for name in names
            if name.endswith(SUFFIXES) and not name.startswith('.')]


def load_directory(directory: str,
                   filters: stevedore.ExtensionManager | None = None,
                   ) -> list[Subscription]:
    """Load every subscription file of a directory; raise on any problem.

    A missing directory means no subscriptions. Raises SubscriptionError
    listing every problem of every file.
    """
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise SubscriptionError([Problem(directory, 1, 'not a directory')])
    subscriptions, problems = load_files(list_files(directory), filters)
    if problems:
        raise SubscriptionError(problems)
    return subscriptions


def load_files(paths: Sequence[str],
               filters: stevedore.ExtensionManager | None = None,
               ) -> tuple[list[Subscription], list[Problem]]:
    """Load the given files, in order: (valid subscriptions, problems).

    ``filters`` is the filter plugin manager; by default every plugin of
    the ``pratai_bridge.filters`` namespace (tests pass
    ``ExtensionManager.make_test_instance``).
    """
    if filters is None:
        filters = stevedore.ExtensionManager(FILTER_NAMESPACE,
                                             invoke_on_load=False)
    seen: dict[str, str] = {}
    subscriptions: list[Subscription] = []
    problems: list[Problem] = []
    for path in paths:
        loaded, found = _load_file(path, filters, seen)
        subscriptions.extend(loaded)
        problems.extend(found)
    return subscriptions, problems


def _load_file(path: str, filters: stevedore.ExtensionManager,
               seen: dict[str, str],
               ) -> tuple[list[Subscription], list[Problem]]:
    """One file's subscriptions and problems (sorted by line).

    ``seen`` maps the names of all earlier subscriptions to their origin;
    this file's are added to it.
    """
    parsed = _read(path)
    if isinstance(parsed, Problem):
        return [], [parsed]
    root, data = parsed
    if root is None:
        return [], []  # An empty file (or only comments) has no rules.
    found = _duplicate_keys(root)
    schema_found, broken = _schema_problems(data, root)
    found.extend(schema_found)
    items = data.get('subscriptions') if isinstance(data, Mapping) else None
    subscriptions = []
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, Mapping):
            continue  # The schema errors say so.
        node = _node_at(root, ['subscriptions', index])
        origin = f'{path}:{_line(node)}'
        label = _label(data, ['subscriptions', index])
        built, filter_problems = _filters(item, node, label, filters)
        found.extend(filter_problems)
        name = _name_of(item)
        if name in seen:
            found.append((_line(_node_at(node, ['name'])),
                          f'duplicate subscription name {name!r}; first '
                          f'defined at {seen[name]}'))
            continue
        if name is not None:
            seen[name] = origin
        if index not in broken and not filter_problems:
            subscriptions.append(_subscription(item, built, origin))
    found.sort(key=lambda line_message: line_message[0])
    return subscriptions, [Problem(path, line, msg) for line, msg in found]


def _read(path: str) -> tuple[yaml.Node | None, Any] | Problem:
    """(root node, data) of a file, or the problem reading it."""
    try:
        with open(path, encoding='utf-8') as stream:
            return _parse(stream.read())
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(path, 1, f'cannot read the file: {exc}')
    except yaml.MarkedYAMLError as exc:
        return _yaml_problem(path, exc)
    except yaml.YAMLError as exc:
        return Problem(path, 1, f'invalid YAML: {exc}')


def _yaml_problem(path: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Where the parser gave up, and what it was parsing (and where)."""
    mark = exc.problem_mark or exc.context_mark
    message = f'invalid YAML: {exc.problem}'
    if exc.context:
        where = (f' (line {exc.context_mark.line + 1})'
                 if exc.context_mark else '')
        message = f'invalid YAML: {exc.context}{where}: {exc.problem}'
    return Problem(path, mark.line + 1 if mark else 1, message)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose then construct one YAML document: (root node, data)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()
    return root, data


# Walking the YAML nodes ---------------------------------------------------

def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _entry(node: yaml.Node | None,
           key: Any) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of ``key`` in a mapping node (the last one)."""
    found = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if (isinstance(key_node, yaml.ScalarNode)
                    and key_node.value == str(key)):
                found = (key_node, value_node)
    return found


def _child(node: yaml.Node | None, step: Any) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode):
        if isinstance(step, int) and 0 <= step < len(node.value):
            return node.value[step]
        return None
    entry = _entry(node, step)
    return entry[1] if entry else None


def _node_at(node: yaml.Node, path: Sequence[Any]) -> yaml.Node:
    """The node at ``path``, or the deepest one on the way there."""
    for step in path:
        child = _child(node, step)
        if child is None:
            break
        node = child
    return node


def _mappings(node: yaml.Node) -> Iterator[yaml.MappingNode]:
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            yield node
            for key_node, value_node in node.value:
                stack.extend((key_node, value_node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _duplicate_keys(root: yaml.Node) -> list[tuple[int, str]]:
    """PyYAML keeps the last of repeated keys silently; we refuse them."""
    found = []
    for mapping in _mappings(root):
        first: dict[tuple[str, str], int] = {}
        for key_node, _value in mapping.value:
            if (not isinstance(key_node, yaml.ScalarNode)
                    or key_node.tag == _MERGE_TAG):
                continue
            key = (key_node.tag, key_node.value)
            if key in first:
                found.append((_line(key_node),
                              f'duplicate key {key_node.value!r}; first at '
                              f'line {first[key]}'))
            else:
                first[key] = _line(key_node)
    return found


# Schema errors -------------------------------------------------------------

def _schema_problems(data: Any, root: yaml.Node,
                     ) -> tuple[list[tuple[int, str]], set[int]]:
    """(line, message) per schema error, and the broken items' indexes."""
    found = []
    broken = set()
    required_done = set()
    for error in schema.validator().iter_errors(data):
        where = list(error.absolute_path)
        if len(where) >= 2:
            broken.add(where[1])
        if error.validator == 'required':
            # One error per missing key; one problem names them all.
            if tuple(where) in required_done:
                continue
            required_done.add(tuple(where))
        node = _node_at(root, where)
        label = _label(data, where)
        if error.validator == 'additionalProperties':
            known = sorted(error.schema.get('properties', {}))
            for key in error.instance:
                if key not in known:
                    entry = _entry(node, key)
                    line = _line(entry[0] if entry else node)
                    found.append((line, _with(
                        label, f'unknown key {key!r}; known keys: '
                               + ', '.join(known))))
        else:
            found.append((_line(node), _with(label, _explain(error, where))))
    return found, broken


def _with(label: str, message: str) -> str:
    return f'{label}: {message}' if label else message


def _name_of(item: Any) -> str | None:
    """The item's name if it is a valid one."""
    name = item.get('name') if isinstance(item, Mapping) else None
    if isinstance(name, str) and re.fullmatch(schema.NAME_RULE, name):
        return name
    return None


def _label(data: Any, where: Sequence[Any]) -> str:
    """Which subscription and which part of it an error is about."""
    if len(where) < 2:
        return '.'.join(map(str, where))
    name = _name_of(data['subscriptions'][where[1]])
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


# Building subscriptions ----------------------------------------------------

def _filters(item: Mapping[str, Any], node: yaml.Node, label: str,
             filters: stevedore.ExtensionManager,
             ) -> tuple[list[Filter], list[tuple[int, str]]]:
    """Instantiate an item's filters: (filters, (line, message) problems).

    Filter items that are not one-key mappings are skipped: the schema
    reports them.
    """
    built, found = [], []
    specs = item.get('filters')
    for index, spec in enumerate(specs if isinstance(specs, list) else ()):
        if not isinstance(spec, Mapping) or len(spec) != 1:
            continue
        ((name, argument),) = spec.items()
        key_node, value_node = _entry(
            _node_at(node, ['filters', index]), name) or (node, node)
        if name not in filters.names():
            found.append((_line(key_node), (
                f'{label}: unknown filter {str(name)!r}; known filters: '
                + ', '.join(sorted(filters.names())))))
            continue
        try:
            built.append(filters[name].plugin(argument))
        except (ValueError, TypeError) as exc:
            # FilterSpecError is a ValueError; a plugin may raise others.
            path = [int(index) if index else key for key, index
                    in _PATH_STEP.findall(getattr(exc, 'path', ''))]
            found.append((_line(_node_at(value_node, path)),
                          f'{label}: filter {name!r}: {exc}'))
    return built, found


def _subscription(item: Mapping[str, Any], built: Sequence[Filter],
                  origin: str) -> Subscription:
    """A schema-valid item with its filters as a Subscription."""
    delivery = Delivery(**{key: int(value) for key, value
                           in item.get('delivery', {}).items()})
    return Subscription(name=item['name'], function=item['function'],
                        filters=tuple(built), project=item.get('project'),
                        delivery=delivery, origin=origin)
