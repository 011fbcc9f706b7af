"""The ``project`` filter: only events of these projects (Keystone ids).

::

    filters:
      - project: [6f70656e737461636b20697320, 8f0c0f4f5bd64ad2b4a5f3f6dbe6f0b2]

A subscription's own ``project:`` key does the same for one project; this
filter allows several.
"""

from collections.abc import Mapping
from typing import Any

from pratai_bridge.filters import _conditions
from pratai_bridge.filters import _index
from pratai_bridge.filters import base


def project_index(projects: list[str] | frozenset[str]) -> _index.Index:
    """``project_id`` is one of ``projects``."""
    if len(projects) == 1:
        # A subscription's own project: 49 rules in 50 in a large cloud.
        (only,) = projects
        term: _index.Term = (('project_id',), (_conditions.Exact.of(only),))
    else:
        term = (('project_id',), tuple(
            _conditions.Exact.of(p) for p in sorted(projects)))
    return _index.Index(((term,),))


class ProjectFilter(base.Filter):
    """Match the event's project id against one or more project ids."""

    name = 'project'

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        ids = spec if isinstance(spec, list) else [spec]
        if not ids or not all(isinstance(i, str) and i for i in ids):
            raise base.FilterSpecError(
                'project needs a project id or a non-empty list of them '
                f'(non-empty strings), got {spec!r}')
        # The accepted project ids.
        self.projects = frozenset(ids)

    def match(self, document: Mapping[str, Any]) -> bool:
        return document.get('project_id') in self.projects

    def index(self) -> _index.Index:
        return project_index(self.projects)

    def explain(self, document: Mapping[str, Any]
                ) -> tuple[base.Mismatch, ...]:
        if self.match(document):
            return ()
        found = document.get('project_id')
        return (base.Mismatch('project_id', base.ABSENT if found is None
                              else base.show(found),
                              'one of ' + base.show(sorted(self.projects))),)
