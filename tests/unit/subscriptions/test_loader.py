"""Loading subscription files: the subscriptions, or file:line problems."""

import importlib.metadata
import pathlib
import textwrap

import pytest
from stevedore import extension

from pratai_bridge.filters.base import Filter
from pratai_bridge.filters.base import FilterSpecError
from pratai_bridge.filters.event_type import EventTypeFilter
from pratai_bridge.filters.pattern import PatternFilter
from pratai_bridge.filters.project import ProjectFilter
from pratai_bridge.subscriptions import loader
from pratai_bridge.subscriptions.model import Delivery
from pratai_bridge.subscriptions.model import Problem

REPO = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = REPO / 'etc' / 'subscriptions.d'
PLUGINS = {'event_type': EventTypeFilter, 'pattern': PatternFilter,
           'project': ProjectFilter}


def manager(plugins=None):
    return extension.ExtensionManager.make_test_instance([
        extension.Extension(name, None, cls, None)
        for name, cls in (plugins or PLUGINS).items()])


def write(directory, name, text):
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip('\n'), encoding='utf-8')
    return str(path)


def load(tmp_path, text, plugins=None):
    """Load one file; problems as strings with the file name relative."""
    path = write(tmp_path, 's.yaml', text)
    subscriptions, problems = loader.load_files([path], manager(plugins))
    return subscriptions, [str(p).replace(f'{tmp_path}/', '')
                           for p in problems]


def problems(tmp_path, text, plugins=None):
    return load(tmp_path, text, plugins)[1]


class TestValidFiles:
    def test_full_subscription(self, tmp_path):
        subscriptions, found = load(tmp_path, '''
            # A comment first.
            subscriptions:
              - name: on-instance-create
                function: hello
                project: 6f70656e737461636b20697320
                filters:
                  - event_type: [compute.instance.create.end,
                                 instance.create.end]
                  - pattern: {payload: {state: [active]}}
                delivery: {max_attempts: 5, timeout: 60, concurrency: 2}
              - name: second
                function: f
            ''')
        assert found == []
        first, second = subscriptions
        assert first.name == 'on-instance-create'
        assert first.function == 'hello'
        assert first.project == '6f70656e737461636b20697320'
        assert first.delivery == Delivery(max_attempts=5, timeout=60,
                                          concurrency=2)
        assert first.origin == f'{tmp_path}/s.yaml:3'
        event_type, pattern = first.filters
        assert isinstance(event_type, EventTypeFilter)
        assert event_type.event_types() == ('compute.instance.create.end',
                                            'instance.create.end')
        assert isinstance(pattern, PatternFilter)
        assert pattern.match({'payload': {'state': 'active'}})
        assert second.filters == ()
        assert second.project is None
        assert second.delivery == Delivery()
        assert second.origin == f'{tmp_path}/s.yaml:11'

    def test_partial_delivery_keeps_defaults_and_makes_ints(self, tmp_path):
        (subscription,), found = load(tmp_path, '''
            subscriptions:
              - {name: a, function: f, delivery: {timeout: 120.0}}
            ''')
        assert found == []
        assert subscription.delivery == Delivery(timeout=120)
        assert type(subscription.delivery.timeout) is int

    @pytest.mark.parametrize('text', ['', '# only a comment\n',
                                      'subscriptions: []\n'])
    def test_empty_files(self, tmp_path, text):
        assert load(tmp_path, text) == ([], [])

    def test_plugins_get_their_spec(self, tmp_path):
        class Recorder(Filter):
            def match(self, document):
                return True

        (subscription,), found = load(tmp_path, '''
            subscriptions:
              - name: a
                function: f
                filters:
                  - record: {any: [shape, 1]}
            ''', {'record': Recorder})
        assert found == []
        assert subscription.filters[0].spec == {'any': ['shape', 1]}

    def test_default_manager_uses_the_entry_points(self, tmp_path):
        group = importlib.metadata.entry_points(group='pratai_bridge.filters')
        if not {'event_type', 'pattern', 'project'} <= set(group.names):
            pytest.skip('pratai-bridge is not installed (pip install -e .)')
        path = write(tmp_path, 's.yaml', '''
            subscriptions:
              - name: a
                function: f
                filters: [{event_type: a.b}, {evnt: x}]
            ''')
        subscriptions, found = loader.load_files([path])
        assert [p.message for p in found] == [
            "subscription 'a': unknown filter 'evnt'; known filters: "
            'event_type, pattern, project; combinators: all, any, not']


class TestSchemaProblems:
    def test_each_at_its_line(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: ok
                function: hello
              - name: bad name
                function: hello
              - name: typo
                function: on
                fliters: []
                delivery:
                  timeout: 0
                  retries: 2
              - function: f
              - just a string
              - name: two-keys
                function: f
                filters:
                  - event_type: x
                    pattern: {}
                  - {}
                  - event_type
            ''') == [
            "s.yaml:4: subscriptions[1]: name: invalid name 'bad name': use "
            "1 to 128 letters, digits, '_', '.' or '-', starting with a "
            'letter or a digit',
            "s.yaml:7: subscription 'typo': function: must be a string, got "
            'a boolean (YAML reads yes, no, on, off, true and false as '
            'booleans: quote the value)',
            "s.yaml:8: subscription 'typo': unknown key 'fliters'; known "
            'keys: credential, delivery, enrich, filters, function, name, '
            'project',
            "s.yaml:10: subscription 'typo': delivery.timeout: must be from "
            '1 to 3600, got 0',
            "s.yaml:11: subscription 'typo': delivery: unknown key "
            "'retries'; known keys: concurrency, max_age, max_attempts, "
            'ordered, timeout',
            "s.yaml:12: subscriptions[3]: missing required key 'name'",
            's.yaml:13: subscriptions[4]: must be a mapping, got a string',
            "s.yaml:17: subscription 'two-keys': filters[0]: a filter is a "
            'mapping with exactly one key, the filter name; got event_type, '
            'pattern',
            "s.yaml:19: subscription 'two-keys': filters[1]: a filter is a "
            'mapping with exactly one key, the filter name; got none',
            "s.yaml:20: subscription 'two-keys': filters[2]: must be a "
            'mapping, got a string',
        ]

    def test_only_valid_subscriptions_are_returned(self, tmp_path):
        subscriptions, found = load(tmp_path, '''
            subscriptions:
              - {name: good, function: f}
              - {name: bad, function: f, delivery: {concurrency: 0}}
              - {name: also-good, function: f}
            ''')
        assert [s.name for s in subscriptions] == ['good', 'also-good']
        assert found == ["s.yaml:3: subscription 'bad': "
                         'delivery.concurrency: must be from 1 to 1000, '
                         'got 0']

    @pytest.mark.parametrize('text, expected', [
        ('- a\n- b\n',
         "s.yaml:1: a subscription file must be a mapping with a "
         "'subscriptions' list, got a list"),
        ('just text\n',
         "s.yaml:1: a subscription file must be a mapping with a "
         "'subscriptions' list, got a string"),
        ('subscriptions: {a: 1}\n',
         's.yaml:1: subscriptions: must be a list, got a mapping'),
        ('subscriptions:\n',
         's.yaml:1: subscriptions: must be a list, got null'),
        ('subscriptions:\n  - name: a\n    function: f\n'
         '    project: ""\n',
         "s.yaml:4: subscription 'a': project: must not be empty"),
        ('subscriptions:\n  - name: a\n    function: f\n'
         '    delivery: {max_attempts: 2.5}\n',
         "s.yaml:4: subscription 'a': delivery.max_attempts: must be an "
         'integer, got a number'),
        ('subscriptions:\n  - name: a\n    function: 2024-01-01\n',
         "s.yaml:3: subscription 'a': function: must be a string, got "
         'date'),
        ('subscriptions:\n  - name: a\n    function: f\n'
         '    filters: {event_type: x}\n',
         "s.yaml:4: subscription 'a': filters: must be a list, got a "
         'mapping'),
    ])
    def test_shapes(self, tmp_path, text, expected):
        assert problems(tmp_path, text) == [expected]

    def test_unknown_and_missing_top_level_keys(self, tmp_path):
        assert problems(tmp_path, 'subscription: []\n') == [
            "s.yaml:1: missing required key 'subscriptions'",
            "s.yaml:1: unknown key 'subscription'; known keys: "
            'subscriptions',
        ]

    def test_several_missing_keys_in_one_problem(self, tmp_path):
        assert problems(tmp_path, 'subscriptions:\n  - {project: p}\n') == [
            "s.yaml:2: subscriptions[0]: missing required key 'name', "
            "'function'"]

    def test_unknown_top_level_key_does_not_hide_the_rest(self, tmp_path):
        subscriptions, found = load(tmp_path, '''
            version: 2
            subscriptions:
              - {name: a, function: f}
            ''')
        assert [s.name for s in subscriptions] == ['a']
        assert found == ["s.yaml:1: unknown key 'version'; known keys: "
                         'subscriptions']


class TestFilterProblems:
    def test_unknown_filter_lists_the_known_ones(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: a
                function: f
                filters:
                  - event_type: x
                  - evnt_type: x
            ''') == [
            "s.yaml:6: subscription 'a': unknown filter 'evnt_type'; "
            'known filters: event_type, pattern, project; combinators: all, '
            'any, not']

    def test_spec_error_at_the_offending_condition(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: a
                function: f
                filters:
                  - pattern:
                      payload:
                        state:
                          - active
                          - numeric: [">"]
            ''') == [
            "s.yaml:9: subscription 'a': filter 'pattern': payload.state: "
            "numeric needs ['=', n], ['<'|'<='|'>'|'>=', n] or "
            "['>'|'>=', n, '<'|'<=', m], got [\">\"]"]

    def test_spec_error_in_flow_style_and_nested_field(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: a
                function: f
                filters:
                  - event_type: x
                  - pattern: {payload: {state: active}}
            ''') == [
            "s.yaml:6: subscription 'a': filter 'pattern': payload.state: "
            'must be a list of conditions or a nested pattern, got '
            '"active"']

    def test_spec_error_of_a_whole_spec(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: a
                function: f
                filters:
                  - pattern:
                      []
                  - event_type: 5
            ''') == [
            "s.yaml:6: subscription 'a': filter 'pattern': a pattern must "
            'be a mapping of field names to lists of conditions, got []',
            "s.yaml:7: subscription 'a': filter 'event_type': event_type "
            'needs a glob or a non-empty list of globs (non-empty '
            'strings), got 5',
        ]

    def test_error_inside_or(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: a
                function: f
                filters:
                  - pattern:
                      $or:
                        - {a: [x]}
                        - b:
                            c: [{exists: maybe}]
            ''') == [
            "s.yaml:9: subscription 'a': filter 'pattern': $or[1].b.c: "
            'exists needs true or false, got "maybe"']

    def test_other_plugin_errors_are_problems_too(self, tmp_path):
        class Picky(Filter):
            def __init__(self, spec):
                super().__init__(spec)
                int(spec)

            def match(self, document):
                return True

        assert problems(tmp_path, '''
            subscriptions:
              - name: a
                function: f
                filters:
                  - picky: [1]
            ''', {'picky': Picky}) == [
            "s.yaml:5: subscription 'a': filter 'picky': int() argument "
            "must be a string, a bytes-like object or a real number, not "
            "'list'"]

    def test_filters_are_checked_even_when_the_item_has_other_errors(
            self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: a
                function: bad function
                filters: [{evnt: x}]
            ''') == [
            "s.yaml:3: subscription 'a': function: invalid name 'bad "
            "function': use 1 to 128 letters, digits, '_', '.' or '-', "
            'starting with a letter or a digit',
            "s.yaml:4: subscription 'a': unknown filter 'evnt'; known "
            'filters: event_type, pattern, project; combinators: all, any, '
            'not',
        ]

    def test_spec_errors_keep_their_path(self):
        with pytest.raises(FilterSpecError) as caught:
            PatternFilter({'a': {'b': [{'exists': 1}]}})
        assert caught.value.path == 'a.b[0]'


class TestYamlProblems:
    @pytest.mark.parametrize('text, expected', [
        ('subscriptions:\n  - name: x\n    function: [a\n  - b\n',
         "s.yaml:5: invalid YAML: while parsing a flow sequence (line 3): "
         "expected ',' or ']', but got '<stream end>'"),
        ('a: 1\n---\nb: 2\n',
         's.yaml:2: invalid YAML: expected a single document in the stream '
         '(line 1): but found another document'),
        ('subscriptions:\n  - name: x\n\tfunction: f\n',
         's.yaml:3: invalid YAML: while scanning for the next token: found '
         "character '\\t' that cannot start any token"),
        ('subscriptions:\n  - name: x\n   function: f\n',
         's.yaml:3: invalid YAML: while parsing a block collection (line '
         "2): expected <block end>, but found '<block mapping start>'"),
        ('a: !!python/object:os.system {}\n',
         's.yaml:1: invalid YAML: could not determine a constructor for '
         "the tag 'tag:yaml.org,2002:python/object:os.system'"),
    ])
    def test_syntax_errors_report_their_line(self, tmp_path, text, expected):
        assert problems(tmp_path, text) == [expected]

    def test_duplicate_keys(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - name: x
                function: f
                name: y
                filters:
                  - pattern: {a: [1], a: [2]}
            ''') == [
            "s.yaml:4: duplicate key 'name'; first at line 2",
            "s.yaml:6: duplicate key 'a'; first at line 6",
        ]

    def test_merge_keys_are_not_duplicates(self, tmp_path):
        subscriptions, found = load(tmp_path, '''
            base: &base {function: f, delivery: {timeout: 5}}
            subscriptions:
              - {<<: *base, name: a}
              - {<<: *base, name: b}
            ''')
        assert "unknown key 'base'" in found[0]
        assert len(found) == 1

    def test_unreadable_files(self, tmp_path):
        (tmp_path / 'latin1.yaml').write_bytes(b'subscriptions: [\xe9]\n')
        subscriptions, found = loader.load_files(
            [str(tmp_path / 'latin1.yaml'), str(tmp_path / 'missing.yaml')],
            manager())
        assert subscriptions == []
        assert [(p.line, p.message.split(':')[0]) for p in found] == [
            (1, 'cannot read the file'), (1, 'cannot read the file')]
        assert 'missing.yaml' in found[1].message


class TestDuplicateNames:
    def test_across_files_naming_both_places(self, tmp_path):
        first = write(tmp_path, 'a.yaml', '''
            subscriptions:
              - {name: one, function: f}
              - {name: two, function: f}
            ''')
        second = write(tmp_path, 'b.yaml', '''
            subscriptions:
              - name: three
                function: f
              - name: two
                function: g
            ''')
        subscriptions, found = loader.load_files([first, second], manager())
        assert [s.name for s in subscriptions] == ['one', 'two', 'three']
        assert found == [Problem(
            second, 4, "duplicate subscription name 'two'; first defined "
                       f'at {first}:3')]

    def test_within_a_file(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - {name: one, function: f}
              - {name: one, function: g}
            ''') == ["s.yaml:3: duplicate subscription name 'one'; first "
                     'defined at s.yaml:2']

    def test_a_broken_subscription_still_claims_its_name(self, tmp_path):
        assert problems(tmp_path, '''
            subscriptions:
              - {name: one, function: f, filters: [{bad: 1}]}
              - {name: one, function: g}
            ''') == [
            "s.yaml:2: subscription 'one': unknown filter 'bad'; known "
            'filters: event_type, pattern, project; combinators: all, any, '
            'not',
            "s.yaml:3: duplicate subscription name 'one'; first defined "
            'at s.yaml:2',
        ]


class TestLoadDirectory:
    def test_missing_directory_has_no_subscriptions(self, tmp_path):
        assert loader.load_directory(str(tmp_path / 'nope'),
                                     manager()) == []

    def test_not_a_directory(self, tmp_path):
        path = write(tmp_path, 'file', 'x')
        with pytest.raises(loader.SubscriptionError) as caught:
            loader.load_directory(path, manager())
        assert str(caught.value) == f'{path}:1: not a directory'

    def test_reads_yaml_and_yml_in_name_order(self, tmp_path):
        write(tmp_path, 'b.yml', 'subscriptions: [{name: b, function: f}]')
        write(tmp_path, 'a.yaml', 'subscriptions: [{name: a, function: f}]')
        write(tmp_path, 'c.yaml', 'subscriptions: [{name: c, function: f}]')
        write(tmp_path, 'd.json', 'not yaml at all: [')
        write(tmp_path, 'e.yaml.bak', 'not yaml at all: [')
        write(tmp_path, '.#a.yaml', 'not yaml at all: [')
        (tmp_path / 'sub').mkdir()
        write(tmp_path / 'sub', 'z.yaml', 'not yaml at all: [')
        names = [s.name for s in loader.load_directory(str(tmp_path),
                                                       manager())]
        assert names == ['a', 'b', 'c']
        assert loader.list_files(str(tmp_path)) == [
            str(tmp_path / n) for n in ('a.yaml', 'b.yml', 'c.yaml')]

    def test_any_problem_in_any_file_refuses_everything(self, tmp_path):
        write(tmp_path, 'a.yaml', 'subscriptions: [{name: a, function: f}]')
        bad = write(tmp_path, 'b.yaml', '''
            subscriptions:
              - {name: b, function: f}
              - {name: c, function: f, delivery: {timeout: 0}}
            ''')
        broken = write(tmp_path, 'c.yaml', 'subscriptions: [\n')
        with pytest.raises(loader.SubscriptionError) as caught:
            loader.load_directory(str(tmp_path), manager())
        assert [str(p) for p in caught.value.problems] == str(
            caught.value).splitlines()
        assert str(caught.value).splitlines() == [
            f"{bad}:3: subscription 'c': delivery.timeout: must be from 1 "
            'to 3600, got 0',
            f'{broken}:2: invalid YAML: while parsing a flow node (line 2): '
            "expected the node content, but found '<stream end>'",
        ]


class TestExampleFiles:
    def test_examples_load_cleanly(self):
        subscriptions = loader.load_directory(str(EXAMPLES), manager())
        assert [s.name for s in subscriptions] == [
            'on-instance-create', 'on-instance-create-error',
            'on-backup-uploaded', 'on-image-uploaded', 'on-alarm-fired',
            'on-cpu-above-80']
        # Every example is indexed by event type: none slows the
        # could_match pre-check down for Swift GETs.
        for subscription in subscriptions:
            assert any(f.event_types() for f in subscription.filters)

    def test_examples_cover_three_sources(self):
        names = sorted(p.name for p in EXAMPLES.glob('*.yaml'))
        assert names == ['10-instance-created.yaml',
                         '20-object-uploaded.yaml', '30-alarm-fired.yaml']


class TestFileCache:
    def test_unchanged_files_are_not_parsed_again(self, tmp_path):
        cache = loader.FileCache()
        one = write(tmp_path, '1.yaml', '''
            subscriptions: [{name: a, function: f}]
            ''')
        two = write(tmp_path, '2.yaml', '''
            subscriptions: [{name: b, function: f}]
            ''')
        first, found = loader.load_files([one, two], manager(), cache)
        assert found == []
        write(tmp_path, '2.yaml', '''
            subscriptions: [{name: b, function: g}]
            ''')
        second, found = loader.load_files([one, two], manager(), cache)
        assert found == []
        assert second[0] is first[0]
        assert second[1] is not first[1] and second[1].function == 'g'

    def test_names_are_still_checked_across_files(self, tmp_path):
        cache = loader.FileCache()
        one = write(tmp_path, '1.yaml', 'subscriptions: [{name: a, '
                                        'function: f}]\n')
        two = write(tmp_path, '2.yaml', 'subscriptions: [{name: b, '
                                        'function: f}]\n')
        assert loader.load_files([one, two], manager(), cache)[1] == []
        write(tmp_path, '1.yaml', 'subscriptions: [{name: b, function: f}]\n')
        subscriptions, found = loader.load_files([one, two], manager(),
                                                 cache)
        assert [s.name for s in subscriptions] == ['b']
        assert [str(p) for p in found] == [
            f"{two}:1: duplicate subscription name 'b'; first defined at "
            f'{one}:1']

    def test_problems_come_back_from_the_cache_too(self, tmp_path):
        cache = loader.FileCache()
        bad = write(tmp_path, 'bad.yaml', 'subscriptions: [{name: a}]\n')
        for _ in range(2):
            subscriptions, found = loader.load_files([bad], manager(), cache)
            assert subscriptions == [] and len(found) == 1
            assert "missing required key 'function'" in found[0].message

    def test_files_no_longer_loaded_are_forgotten(self, tmp_path):
        cache = loader.FileCache()
        one = write(tmp_path, '1.yaml', 'subscriptions: []\n')
        loader.load_files([one], manager(), cache)
        loader.load_files([], manager(), cache)
        assert cache._files == {}


class TestEnrichAndCredential:
    def test_read(self, tmp_path):
        subscriptions, found = load(tmp_path, """
            subscriptions:
              - name: a
                function: hello
                enrich: [server]
                credential: autoscaler
              - name: b
                function: hello
            """)
        assert found == []
        assert [(s.enrich, s.credential) for s in subscriptions] == [
            (('server',), 'autoscaler'), ((), None)]

    def test_problems_at_their_lines(self, tmp_path):
        found = problems(tmp_path, """
            subscriptions:
              - name: a
                function: hello
                enrich:
                  - server
                  - flavour
              - name: b
                function: hello
                enrich: server
              - name: c
                function: hello
                credential: "no spaces"
            """)
        assert found[0] == ("s.yaml:6: subscription 'a': unknown enricher "
                            "'flavour'; known enrichers: server")
        assert found[1].startswith("s.yaml:9: subscription 'b': enrich: ")
        assert found[2].startswith("s.yaml:12: subscription 'c': "
                                   'credential: ')
        assert len(found) == 3
