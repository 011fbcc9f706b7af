"""The YAML reader: the data is always what yaml.safe_load gives."""

import yaml
from hypothesis import given
from hypothesis import strategies as st

from pratai_bridge.subscriptions import _yaml

SCALARS = (st.none() | st.booleans() | st.integers() | st.text(max_size=8)
           | st.floats(allow_nan=False))
DATA = st.recursive(SCALARS, lambda inner: (
    st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=4) | st.integers(), inner,
                      max_size=3)), max_leaves=10)


@given(DATA, st.sampled_from([None, True, False]))
def test_same_data_as_safe_load(data, flow):
    text = yaml.safe_dump(data, default_flow_style=flow)
    assert _yaml.parse(text).data == yaml.safe_load(text)


def test_anchors_merge_keys_and_tags_fall_back_to_pyyaml():
    text = '''
base: &base {a: 1, b: [x, y]}
one: {<<: *base, c: 2}
two: *base
when: 2026-01-01
set: !!set {a, b}
'''
    parsed = _yaml.parse(text)
    assert parsed.data == yaml.safe_load(text)
    assert parsed.suspects is None  # every mapping is checked for repeats


def test_repeated_keys_are_found_with_their_lines():
    parsed = _yaml.parse('a: 1\nb:\n  c: 1\n  c: 2\n')
    assert _yaml.duplicate_keys(parsed) == [
        (4, "duplicate key 'c'; first at line 3")]
    # 1 and 1.0 are one key as data but two in YAML: not a repeat.
    assert _yaml.duplicate_keys(_yaml.parse('1: a\n1.0: b\n')) == []


def test_empty_document():
    parsed = _yaml.parse('# nothing\n')
    assert parsed.root is None and parsed.data is None
