import pytest

from pratai_bridge.filters.base import FilterSpecError
from pratai_bridge.filters.event_type import EventTypeFilter


def matches(spec, event_type):
    return EventTypeFilter(spec).match({'event_type': event_type})


class TestEventTypeFilter:
    def test_one_literal(self):
        assert matches('compute.instance.create.end',
                       'compute.instance.create.end')
        assert not matches('compute.instance.create.end',
                           'compute.instance.create.start')
        assert not matches('compute.instance.create.end',
                           'compute.instance.create.end.x')
        assert not matches('compute.instance.create.end',
                           'Compute.instance.create.end')

    def test_list_any_may_match(self):
        spec = ['compute.instance.create.end', 'instance.create.end']
        assert matches(spec, 'instance.create.end')
        assert matches(spec, 'compute.instance.create.end')
        assert not matches(spec, 'instance.delete.end')

    @pytest.mark.parametrize('glob, event_type, expected', [
        ('compute.instance.*', 'compute.instance.create.end', True),
        ('compute.instance.*', 'compute.instance', False),
        ('compute.*.end', 'compute.instance.create.end', True),
        ('*.end', 'instance.delete.end', True),
        ('*', 'anything', True),
        ('instance.?.end', 'instance.x.end', True),
        ('instance.?.end', 'instance.xy.end', False),
        ('alarm.[us]*', 'alarm.update', True),
        ('alarm.[us]*', 'alarm.creation', False),
        ('a.b', 'a.bc', False),
        ('a.b', 'aXb', False),  # "." is literal, not a regex dot
    ])
    def test_globs(self, glob, event_type, expected):
        assert matches(glob, event_type) is expected
        assert matches(['nothing.here', glob], event_type) is expected

    def test_missing_or_non_string_event_type(self):
        assert not EventTypeFilter('*').match({})
        assert not EventTypeFilter('*').match({'event_type': None})

    def test_event_types_are_the_globs(self):
        assert EventTypeFilter('a.*').event_types() == ('a.*',)
        assert EventTypeFilter(['a', 'b.*']).event_types() == ('a', 'b.*')

    @pytest.mark.parametrize('spec', [None, 5, [], [''], '', ['a', 3],
                                      {'a': 1}, [['a']]])
    def test_invalid_specs(self, spec):
        with pytest.raises(FilterSpecError) as caught:
            EventTypeFilter(spec)
        assert str(caught.value) == (
            'event_type needs a glob or a non-empty list of globs '
            f'(non-empty strings), got {spec!r}')
        assert caught.value.path == ''
