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

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import stevedore
import yaml

from pratai_bridge import _gc
from pratai_bridge.events.model import ENRICHMENT_KEYS
from pratai_bridge.filters import combinators
from pratai_bridge.filters.base import Filter
from pratai_bridge.filters.base import show
from pratai_bridge.subscriptions import _problems
from pratai_bridge.subscriptions import _yaml
from pratai_bridge.subscriptions.model import Delivery
from pratai_bridge.subscriptions.model import Problem
from pratai_bridge.subscriptions.model import Subscription

FILTER_NAMESPACE = 'pratai_bridge.filters'
SUFFIXES = ('.yaml', '.yml')

_PATH_STEP = re.compile(r'([^.\[\]]+)|\[(\d+)\]')
# (line, message) of one problem in the file being loaded.
_Found = list[tuple[int, str]]


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
                   cache: 'FileCache | None' = None) -> list[Subscription]:
    """Load every subscription file of a directory; raise on any problem.

    A missing directory means no subscriptions. Raises SubscriptionError
    listing every problem of every file.
    """
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise SubscriptionError([Problem(directory, 1, 'not a directory')])
    subscriptions, problems = load_files(list_files(directory), filters,
                                         cache)
    if problems:
        raise SubscriptionError(problems)
    return subscriptions


@dataclasses.dataclass(frozen=True)
class _Item:
    """One item of a file, before names are checked across files."""

    #: Its name if valid (a broken subscription still claims its name).
    name: str | None
    #: The line of its ``name`` key, and ``file:line`` of the item.
    name_line: int
    origin: str
    #: The subscription, if the item has no problem of its own.
    subscription: Subscription | None


@dataclasses.dataclass(frozen=True)
class _FileResult:
    """What one file holds: its items and its own (line, message)s."""

    items: tuple[_Item, ...] = ()
    found: tuple[tuple[int, str], ...] = ()


class FileCache:
    """Each file as last read, kept by its content, for reloads.

    A reload after one file of ten changed parses one file: a file whose
    bytes are the same (sha256) is not parsed or checked again, and its
    (immutable) subscriptions are reused. Names are still checked across
    all files on every load. Owned by one loader user (the service), which
    serializes its loads; not safe for concurrent loads.
    """

    def __init__(self) -> None:
        # path -> (sha256 of the content, what it held)
        self._files: dict[str, tuple[str, _FileResult]] = {}

    def result(self, path: str, content: bytes,
               parse: Callable[[bytes], _FileResult]) -> _FileResult:
        digest = hashlib.sha256(content).hexdigest()
        cached = self._files.get(path)
        if cached is not None and cached[0] == digest:
            return cached[1]
        result = parse(content)
        self._files[path] = (digest, result)
        return result

    def keep_only(self, paths: Sequence[str]) -> None:
        """Forget files that are no longer loaded."""
        for path in set(self._files) - set(paths):
            del self._files[path]


def load_files(paths: Sequence[str],
               filters: stevedore.ExtensionManager | None = None,
               cache: FileCache | None = None,
               ) -> tuple[list[Subscription], list[Problem]]:
    """Load the given files, in order: (valid subscriptions, problems).

    ``filters`` is the filter plugin manager; by default every plugin of
    the ``pratai_bridge.filters`` namespace (tests pass
    ``ExtensionManager.make_test_instance``). ``cache`` skips files that
    did not change since it last saw them.
    """
    if filters is None:
        filters = stevedore.ExtensionManager(FILTER_NAMESPACE,
                                             invoke_on_load=False)
    seen: dict[str, str] = {}
    subscriptions: list[Subscription] = []
    problems: list[Problem] = []
    with _gc.paused():
        for path in paths:
            result = _file_result(path, filters, cache)
            found = list(result.found)
            for item in result.items:
                if item.name is not None and item.name in seen:
                    found.append((item.name_line, (
                        f'duplicate subscription name {item.name!r}; '
                        f'first defined at {seen[item.name]}')))
                    continue
                if item.name is not None:
                    seen[item.name] = item.origin
                if item.subscription is not None:
                    subscriptions.append(item.subscription)
            found.sort(key=lambda line_message: line_message[0])
            problems.extend(Problem(path, line, msg) for line, msg in found)
    if cache is not None:
        cache.keep_only(paths)
    return subscriptions, problems


def _file_result(path: str, filters: stevedore.ExtensionManager,
                 cache: FileCache | None) -> _FileResult:
    try:
        with open(path, 'rb') as stream:
            content = stream.read()
    except OSError as exc:
        return _FileResult(found=((1, f'cannot read the file: {exc}'),))

    def parse(content: bytes) -> _FileResult:
        return _parse_file(path, content, filters)

    return parse(content) if cache is None else cache.result(path, content,
                                                            parse)


def _parse_file(path: str, content: bytes,
                filters: stevedore.ExtensionManager) -> _FileResult:
    """One file's items and problems, names not yet checked across files."""
    parsed = _yaml.parse_file(path, content)
    if isinstance(parsed, Problem):
        return _FileResult(found=((parsed.line, parsed.message),))
    root, data = parsed.root, parsed.data
    if root is None:
        return _FileResult()  # An empty file (or only comments).
    found = _yaml.duplicate_keys(parsed)
    schema_found, broken = _problems.schema_problems(data, root)
    found.extend(schema_found)
    items = data.get('subscriptions') if isinstance(data, Mapping) else None
    kept = []
    # The items' nodes, looked up once rather than from the root each time.
    sequence = _yaml.node_at(root, ['subscriptions'])
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, Mapping):
            continue  # The schema errors say so.
        node = _yaml.node_at(sequence, [index])
        origin = f'{path}:{_yaml.line(node)}'
        label = _Label(data, index)
        built, filter_problems = _filters(item, node, label, filters)
        if 'enrich' in item:
            filter_problems.extend(_enrich_problems(item, node, label))
        found.extend(filter_problems)
        valid = index not in broken and not filter_problems
        kept.append(_Item(
            _problems.name_of(item),
            _yaml.line(_yaml.node_at(node, ['name'])), origin,
            _subscription(item, built, origin) if valid else None))
    return _FileResult(tuple(kept), tuple(found))


# Building subscriptions ----------------------------------------------------

class _Label:
    """Which subscription a problem is about, worded only when one is found
    (most items have none, and a large file has many items)."""

    __slots__ = ('data', 'index')

    def __init__(self, data: Any, index: int) -> None:
        self.data = data
        self.index = index

    def __str__(self) -> str:
        return _problems.label_of(self.data, ['subscriptions', self.index])


# The YAML node of a filter, looked up only when a problem needs its line:
# walking the nodes for every filter of a large file cost a tenth of a load.
_Where = Callable[[], yaml.Node]


def _filters(item: Mapping[str, Any], node: yaml.Node, label: _Label,
             filters: stevedore.ExtensionManager,
             ) -> tuple[list[Filter], _Found]:
    """Instantiate an item's filters: (filters, (line, message) problems).

    Filter items that are not one-key mappings are skipped: the schema
    reports them.
    """
    built: list[Filter] = []
    found: _Found = []
    known = frozenset(filters.names())
    specs = item.get('filters')
    for index, spec in enumerate(specs if isinstance(specs, list) else ()):
        if not isinstance(spec, Mapping) or len(spec) != 1:
            continue
        one = _filter(spec, _child_of(lambda: node, 'filters', index),
                      label, (filters, known), found)
        if one is not None:
            built.append(one)
    return built, found


def _child_of(where: _Where, *path: Any) -> _Where:
    return lambda: _yaml.node_at(where(), path)


_Plugins = tuple[stevedore.ExtensionManager, frozenset[str]]


def _filter(spec: Mapping[str, Any], where: _Where, label: _Label,
            plugins: _Plugins, found: _Found) -> Filter | None:
    """One filter from its one-key mapping; None (and a problem) if bad."""
    ((name, argument),) = spec.items()

    def key_node() -> yaml.Node:
        node = where()
        return (_yaml.entry(node, name) or (node, node))[0]

    def value_node() -> yaml.Node:
        node = where()
        return (_yaml.entry(node, name) or (node, node))[1]

    if name in combinators.NAMES:
        return _combinator(name, argument, value_node, label, plugins,
                           found)
    manager, known = plugins
    if name not in known:
        found.append((_yaml.line(key_node()), (
            f'{label}: unknown filter {str(name)!r}; known filters: '
            + ', '.join(sorted(known)) + '; combinators: '
            + ', '.join(sorted(combinators.NAMES)))))
        return None
    try:
        built: Filter = manager[name].plugin(argument)
    except (ValueError, TypeError) as exc:
        # FilterSpecError is a ValueError; a plugin may raise others.
        path = [int(index) if index else key for key, index
                in _PATH_STEP.findall(getattr(exc, 'path', ''))]
        found.append((_yaml.line(_yaml.node_at(value_node(), path)),
                      f'{label}: filter {name!r}: {exc}'))
        return None
    built.name = name
    return built


def _combinator(name: str, argument: Any, where: _Where, label: _Label,
                plugins: _Plugins, found: _Found) -> Filter | None:
    """``any``/``all`` (a list of filters) or ``not`` (one filter)."""
    def one_key(value: Any) -> bool:
        return isinstance(value, Mapping) and len(value) == 1

    if name == 'not':
        valid = one_key(argument)
        wanted = 'one filter (a mapping with one key, the filter name)'
        children = [(argument, where)] if valid else []
    else:
        valid = (isinstance(argument, list) and bool(argument)
                 and all(one_key(child) for child in argument))
        wanted = ('a non-empty list of filters, each a mapping with one '
                  'key, the filter name')
        children = [(child, _child_of(where, index)) for index, child
                    in enumerate(argument)] if valid else []
    if not valid:
        found.append((_yaml.line(where()), f'{label}: filter {name!r} needs '
                                           f'{wanted}; got {show(argument)}'))
        return None
    built = [_filter(child, child_where, label, plugins, found)
             for child, child_where in children]
    if any(child is None for child in built):
        return None
    return combinators.BY_NAME[name](
        argument, [child for child in built if child is not None])


def _enrich_problems(item: Mapping[str, Any], node: yaml.Node,
                     label: _Label) -> _Found:
    """A problem for each name in ``enrich`` that no enricher has (the
    schema reports a list that is not one of strings)."""
    names = item.get('enrich')
    found: _Found = []
    for index, name in enumerate(names if isinstance(names, list) else ()):
        if isinstance(name, str) and name not in ENRICHMENT_KEYS:
            found.append((_yaml.line(_yaml.node_at(node, ['enrich', index])),
                          f'{label}: unknown enricher {name!r}; known '
                          f'enrichers: {", ".join(sorted(ENRICHMENT_KEYS))}'))
    return found


def _subscription(item: Mapping[str, Any], built: Sequence[Filter],
                  origin: str) -> Subscription:
    """A schema-valid item with its filters as a Subscription."""
    settings: dict[str, Any] = {
        key: value if value.__class__ is bool else int(value)
        for key, value in item.get('delivery', {}).items()}
    delivery = Delivery(**settings)
    return Subscription(name=item['name'], function=item['function'],
                        filters=tuple(built), project=item.get('project'),
                        delivery=delivery, origin=origin,
                        enrich=tuple(item.get('enrich', ())),
                        credential=item.get('credential'))
