import pytest

from tests.unit.runners.helpers import make_conf


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)
