import pytest

from pratai_bridge.functions import names


@pytest.mark.parametrize('name', ['a', 'hello', 'Hello-World_2.0', '9lives',
                                  'x' * 128])
def test_valid(name):
    assert names.check_name(name) == name


@pytest.mark.parametrize('name', ['', '-a', '.a', '_a', 'a/b', 'a b', 'é',
                                  'x' * 129, 'a\n', None])
def test_invalid(name):
    with pytest.raises(names.InvalidName, match='invalid function name'):
        names.check_name(name)
