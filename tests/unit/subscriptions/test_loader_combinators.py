"""any / all / not in subscription files: built, nested, and their errors."""

from pratai_bridge.filters import combinators
from tests.unit.subscriptions.test_loader import load
from tests.unit.subscriptions.test_loader import problems


def test_nested_combinators_are_built_with_their_names(tmp_path):
    (subscription,), found = load(tmp_path, '''
        subscriptions:
          - name: s
            function: f
            filters:
              - any:
                  - event_type: compute.instance.create.end
                  - all:
                      - event_type: "instance.*"
                      - pattern: {details: {state: [active]}}
              - not: {project: [p1, p2]}
        ''')
    assert found == []
    first, second = subscription.filters
    assert isinstance(first, combinators.AnyFilter) and first.name == 'any'
    assert [c.name for c in first.children] == ['event_type', 'all']
    assert [c.name for c in first.children[1].children] == [
        'event_type', 'pattern']
    assert isinstance(second, combinators.NotFilter)
    assert second.children[0].name == 'project'
    document = {'event_type': 'instance.create.end', 'project_id': 'p3',
                'details': {'state': 'active'}}
    assert first.match(document) and second.match(document)
    assert not second.match(dict(document, project_id='p1'))


def test_errors_inside_combinators_point_at_their_line(tmp_path):
    assert problems(tmp_path, '''
        subscriptions:
          - name: s
            function: f
            filters:
              - any:
                  - event_type: a
                  - all:
                      - pattern: {details: {n: [{numeric: ['>', x]}]}}
                      - evnt: b
        ''') == [
        "s.yaml:8: subscription 's': filter 'pattern': details.n: "
        "numeric: \"x\" is not a number",
        "s.yaml:9: subscription 's': unknown filter 'evnt'; known filters: "
        'event_type, pattern, project; combinators: all, any, not',
    ]


def test_combinators_need_filters(tmp_path):
    assert problems(tmp_path, '''
        subscriptions:
          - name: s
            function: f
            filters:
              - any: []
              - all: {event_type: a}
              - not: [{event_type: a}]
              - any: [{event_type: a, project: b}]
        ''') == [
        "s.yaml:5: subscription 's': filter 'any' needs a non-empty list "
        'of filters, each a mapping with one key, the filter name; got []',
        "s.yaml:6: subscription 's': filter 'all' needs a non-empty list "
        'of filters, each a mapping with one key, the filter name; got '
        '{"event_type": "a"}',
        "s.yaml:7: subscription 's': filter 'not' needs one filter (a "
        'mapping with one key, the filter name); got [{"event_type": "a"}]',
        "s.yaml:8: subscription 's': filter 'any' needs a non-empty list "
        'of filters, each a mapping with one key, the filter name; got '
        '[{"event_type": "a", "project": "b"}]',
    ]
