import pytest

from pratai_bridge.filters.base import FilterSpecError
from pratai_bridge.filters.project import ProjectFilter


class TestProjectFilter:
    def test_one_project(self):
        project = ProjectFilter('p1')
        assert project.match({'project_id': 'p1'})
        assert not project.match({'project_id': 'p2'})
        assert not project.match({'project_id': None})
        assert not project.match({})

    def test_several_projects(self):
        project = ProjectFilter(['p1', 'p2'])
        assert project.match({'project_id': 'p2'})
        assert not project.match({'project_id': 'p3'})

    def test_no_event_type_restriction(self):
        assert ProjectFilter('p1').event_types() is None

    @pytest.mark.parametrize('spec', [None, 5, [], [''], '', ['a', None]])
    def test_invalid_specs(self, spec):
        with pytest.raises(FilterSpecError) as caught:
            ProjectFilter(spec)
        assert str(caught.value).startswith(
            'project needs a project id or a non-empty list of them')
