import jsonschema
import pytest

from pratai_bridge.subscriptions import schema


def valid(document):
    return not list(schema.validator().iter_errors(document))


def one(**fields):
    return {'subscriptions': [dict({'name': 's', 'function': 'f'},
                                   **fields)]}


class TestSchema:
    def test_is_a_valid_draft_2020_12_schema(self):
        jsonschema.Draft202012Validator.check_schema(schema.schema())
        assert schema.schema()['$schema'].endswith('/draft/2020-12/schema')

    def test_minimal_and_full(self):
        assert valid({'subscriptions': []})
        assert valid(one())
        assert valid(one(project='p', filters=[{'event_type': 'a'},
                                               {'pattern': {}}],
                         delivery={'max_attempts': 1, 'timeout': 3600,
                                   'concurrency': 1000}))

    @pytest.mark.parametrize('name, ok', [
        ('a', True), ('A1_b.c-d', True), ('9', True), ('a' * 128, True),
        ('a' * 129, False), ('', False), ('-a', False), ('.a', False),
        ('_a', False), ('a b', False), ('a/b', False), ('a\n', False),
        ('é', False), (5, False),
    ])
    def test_names(self, name, ok):
        assert valid(one(name=name)) is ok
        assert valid(one(function=name)) is ok

    @pytest.mark.parametrize('key, low, high', [
        ('max_attempts', 1, 100), ('timeout', 1, 3600),
        ('concurrency', 1, 1000)])
    def test_delivery_bounds(self, key, low, high):
        assert valid(one(delivery={key: low}))
        assert valid(one(delivery={key: high}))
        assert not valid(one(delivery={key: low - 1}))
        assert not valid(one(delivery={key: high + 1}))
        assert not valid(one(delivery={key: 1.5}))
        assert not valid(one(delivery={key: True}))
        assert not valid(one(delivery={key: '3'}))

    @pytest.mark.parametrize('document', [
        {},
        [],
        {'subscriptions': {}},
        {'subscriptions': [], 'extra': 1},
        {'subscriptions': ['s']},
        {'subscriptions': [{'name': 's'}]},
        {'subscriptions': [{'function': 'f'}]},
        one(extra=1),
        one(delivery={'retries': 3}),
        one(filters={'event_type': 'a'}),
        one(filters=[{}]),
        one(filters=[{'event_type': 'a', 'pattern': {}}]),
        one(filters=['event_type']),
        one(project=''),
        one(project=5),
    ])
    def test_invalid(self, document):
        assert not valid(document)

    def test_schema_is_a_fresh_copy(self):
        first = schema.schema()
        first['properties'].clear()
        assert schema.schema()['properties']


# The fast path: errors() gives what the validator gives, faster. --------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SCALARS = (st.none() | st.booleans() | st.integers(-5, 5000)
           | st.floats(allow_nan=False) | st.text(max_size=6)
           | st.sampled_from(['a', 'ok-name', 'x' * 129, 'a\n', '-a']))
ITEMS = st.dictionaries(
    st.sampled_from(['name', 'function', 'project', 'filters', 'delivery',
                     'other']),
    SCALARS
    | st.lists(st.dictionaries(st.sampled_from(['pattern', 'event_type']),
                               SCALARS, max_size=2), max_size=2)
    | st.dictionaries(st.sampled_from(['max_attempts', 'timeout',
                                       'concurrency', 'bogus']),
                      SCALARS | st.integers(0, 4000), max_size=3),
    max_size=6)
DOCUMENTS = st.fixed_dictionaries({'subscriptions': st.lists(
    ITEMS | st.builds(lambda extra: dict({'name': 'n', 'function': 'f'},
                                         **extra),
                      st.dictionaries(st.sampled_from(['project',
                                                       'delivery']),
                                      SCALARS, max_size=1)),
    max_size=4)}) | st.dictionaries(st.text(max_size=3), SCALARS, max_size=2)


def _signature(errors):
    return sorted((tuple(map(str, path)), e.validator, e.message)
                  for path, e in errors)


@given(ITEMS)
def test_conforms_never_vouches_for_an_invalid_item(item):
    if schema._conforms(item):
        assert valid({'subscriptions': [item]})


@given(DOCUMENTS)
def test_errors_are_the_validators_errors(document):
    slow = [(list(e.absolute_path), e)
            for e in schema.validator().iter_errors(document)]
    assert _signature(schema.errors(document)) == _signature(slow)
