"""YAML files as data and as nodes: the data to load, the nodes for lines.

A file is parsed once with libyaml (PyYAML's C parser) into nodes, which
keep their position, and the data is built from those nodes. PyYAML's own
constructor is general (tags, anchors, merge keys, recursion) and slow;
:func:`parse` builds plain mappings, lists and strings itself and hands
only other scalars (numbers, booleans, null, timestamps) to it, and falls
back to it for the whole document when it meets an anchor used twice, a
merge key or a tag it does not know, so the data is always what
``yaml.safe_load`` gives. The cyclic garbage collector is paused
while a file is parsed (:mod:`pratai_bridge._gc`).
"""

import dataclasses
import functools
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

import yaml

from pratai_bridge import _gc
from pratai_bridge.subscriptions.model import Problem

_MERGE_TAG = 'tag:yaml.org,2002:merge'
_STR_TAG = 'tag:yaml.org,2002:str'
_MAP_TAG = 'tag:yaml.org,2002:map'
_SEQ_TAG = 'tag:yaml.org,2002:seq'
# libyaml when PyYAML was built with it (the wheels are); else pure Python.
_LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


class _Fallback(Exception):
    """The fast builder met something only PyYAML's constructor handles."""


@dataclasses.dataclass(frozen=True)
class Parsed:
    """A parsed file: its root node (None if empty) and its data."""

    root: yaml.Node | None
    data: Any
    #: The mapping nodes that may repeat a key, or None for "any may"
    #: (see :func:`duplicate_keys`).
    suspects: list[yaml.MappingNode] | None = None


def parse(text: str) -> Parsed:
    """Compose then construct one YAML document."""
    loader = _CachingLoader(text)
    try:
        with _gc.paused():
            root = loader.get_single_node()
            if root is None:
                return Parsed(None, None, [])
            suspects: list[yaml.MappingNode] = []
            try:
                return Parsed(root, _build(root, loader, set(), suspects),
                              suspects)
            except _Fallback:
                return Parsed(root, loader.construct_document(root))
    finally:
        loader.dispose()


def _build(node: yaml.Node, loader: Any, seen: set[int],
           suspects: list[yaml.MappingNode]) -> Any:
    """The data of a node, for the plain cases (see the module doc).

    Mappings whose dict came out shorter than their node (a key repeated,
    or keys equal as data such as 1 and 1.0) go in ``suspects``. Plain
    strings, most of a file, are taken without a call of their own.
    """
    if node.__class__ is yaml.ScalarNode:
        if node.tag == _STR_TAG:
            return node.value
        return loader.construct_object(node)
    if id(node) in seen:
        raise _Fallback()  # An alias: shared or recursive data.
    seen.add(id(node))
    if node.__class__ is yaml.SequenceNode and node.tag == _SEQ_TAG:
        items = []
        for child in node.value:
            if child.__class__ is yaml.ScalarNode and child.tag == _STR_TAG:
                items.append(child.value)
            else:
                items.append(_build(child, loader, seen, suspects))
        return items
    if node.__class__ is not yaml.MappingNode or node.tag != _MAP_TAG:
        raise _Fallback()
    mapping = {}
    for key_node, value_node in node.value:
        if key_node.__class__ is not yaml.ScalarNode:
            raise _Fallback()
        if key_node.tag == _STR_TAG:
            key = key_node.value
        elif key_node.tag == _MERGE_TAG:
            raise _Fallback()
        else:
            key = loader.construct_object(key_node)
        if (value_node.__class__ is yaml.ScalarNode
                and value_node.tag == _STR_TAG):
            mapping[key] = value_node.value
        else:
            mapping[key] = _build(value_node, loader, seen, suspects)
    if len(mapping) < len(node.value):
        suspects.append(node)
    return mapping


class _CachingLoader(_LOADER):  # type: ignore[valid-type,misc]
    """The safe loader, remembering each node's resolved tag.

    libyaml asks the Python resolver (a regex per candidate type) for every
    node; keys and common values repeat thousands of times in a large
    file. ``functools.lru_cache`` answers a repeat without running any
    Python code; the cache lives and dies with one loader (one file).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.resolve = functools.lru_cache(maxsize=None)(
            super().resolve)
        if not self.yaml_path_resolvers:
            # Without path resolvers (the safe loader has none) these are
            # no-ops that libyaml still calls twice a node: C no-ops instead
            # of Python ones.
            no_paths: dict[Any, Any] = {}
            self.descend_resolver = no_paths.get
            self.ascend_resolver = tuple


def read(path: str) -> Parsed | Problem:
    """A file parsed, or the problem reading it."""
    try:
        with open(path, 'rb') as stream:
            content = stream.read()
    except OSError as exc:
        return Problem(path, 1, f'cannot read the file: {exc}')
    return parse_file(path, content)


def parse_file(path: str, content: bytes) -> Parsed | Problem:
    """A file's bytes parsed (``path`` names it in problems)."""
    try:
        text = content.decode('utf-8')
    except UnicodeDecodeError as exc:
        return Problem(path, 1, f'cannot read the file: {exc}')
    try:
        return parse(text)
    except yaml.YAMLError:
        pass
    # libyaml words its errors tersely ("did not find expected node
    # content"); the pure-Python parser says what it expected and found,
    # and a broken file is worth the slower second parse.
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            return Parsed(root, None if root is None
                          else loader.construct_document(root))
        finally:
            loader.dispose()
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


# Walking the YAML nodes ---------------------------------------------------

def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def entry(node: yaml.Node | None,
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
    found = entry(node, step)
    return found[1] if found else None


def node_at(node: yaml.Node, path: Sequence[Any]) -> yaml.Node:
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


def duplicate_keys(parsed: Parsed) -> list[tuple[int, str]]:
    """PyYAML keeps the last of repeated keys silently; we refuse them.

    Only the parse's suspects are checked when it has them: a mapping whose
    dict kept every key cannot repeat one (a full walk of the nodes cost a
    third of the parse).
    """
    found: list[tuple[int, str]] = []
    if parsed.root is None:
        return found
    mappings = (_mappings(parsed.root) if parsed.suspects is None
                else parsed.suspects)
    for mapping in mappings:
        first: dict[tuple[str, str], int] = {}
        for key_node, _value in mapping.value:
            if (not isinstance(key_node, yaml.ScalarNode)
                    or key_node.tag == _MERGE_TAG):
                continue
            key = (key_node.tag, key_node.value)
            if key in first:
                found.append((line(key_node),
                              f'duplicate key {key_node.value!r}; first at '
                              f'line {first[key]}'))
            else:
                first[key] = line(key_node)
    return found
