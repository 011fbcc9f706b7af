import pytest

from pratai_bridge.functions.store import _loader
from pratai_bridge.functions.store import base
from pratai_bridge.functions.store.local import LocalStore
from pratai_bridge.functions.store.swift import SwiftStore
from tests.unit.functions.conftest import make_conf


def test_local_is_the_default(conf):
    store = _loader.load_store(conf)
    assert isinstance(store, LocalStore) and store.conf is conf


def test_swift_is_built_without_connecting(tmp_path):
    conf = make_conf(tmp_path, '[store]\ndriver = swift\n[swift]\n'
                               'auth_type = tempauth\n'
                               'auth_url = http://127.0.0.1:1/auth/v1.0\n'
                               'user = a:b\nkey = c\n')
    assert isinstance(_loader.load_store(conf), SwiftStore)


def test_unknown_driver_lists_the_known_ones(tmp_path):
    conf = make_conf(tmp_path, '[store]\ndriver = ftp\n')
    with pytest.raises(_loader.UnknownStore) as info:
        _loader.load_store(conf)
    assert str(info.value) == ("unknown [store] driver 'ftp'; known "
                               'drivers: local, swift')
    assert _loader.known_drivers() == ['local', 'swift']


def test_a_misconfigured_driver_says_why(tmp_path):
    conf = make_conf(tmp_path, '[store]\ndriver = swift\n')
    with pytest.raises(base.StoreError, match=r'\[swift\] auth_type is not '
                                              'set'):
        _loader.load_store(conf)
