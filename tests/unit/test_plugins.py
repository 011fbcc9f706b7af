"""The one driver loader the store and runner loaders share."""

import importlib.metadata

import pytest
import stevedore

from pratai_bridge import _plugins


class Base:
    def __init__(self, conf):
        self.conf = conf


class Good(Base):
    pass


class NotABase:
    def __init__(self, conf):
        pass


class Refuses(Base):
    def __init__(self, conf):
        raise Failure('set [thing] option')


class Breaks(Base):
    def __init__(self, conf):
        raise KeyError('oops')


class Unknown(Exception):
    pass


class Failure(Exception):
    pass


@pytest.fixture
def plugins(monkeypatch):
    """Entry points of a made-up namespace, as if installed."""
    namespace = 'pratai_bridge.tests'
    points = [importlib.metadata.EntryPoint(name, f'{__name__}:{cls}',
                                            namespace)
              for name, cls in (('good', 'Good'), ('stranger', 'NotABase'),
                                ('refuses', 'Refuses'),
                                ('breaks', 'Breaks'))]
    real = importlib.metadata.entry_points

    def entry_points(**params):
        if params.get('group') == namespace:
            return importlib.metadata.EntryPoints(points)
        return real(**params)

    monkeypatch.setattr(importlib.metadata, 'entry_points', entry_points)
    monkeypatch.setattr(
        stevedore.ExtensionManager, 'list_entry_points',
        lambda self, verify_requirements=False: points if (
            self.namespace == namespace) else [])
    return namespace


def _load(namespace, name):
    return _plugins.load_driver(namespace, name, 'CONF', Base, Unknown,
                                'thing', failure_class=Failure)


def test_loads_and_builds_with_conf(plugins):
    driver = _load(plugins, 'good')
    assert isinstance(driver, Good) and driver.conf == 'CONF'


def test_unknown_lists_the_known(plugins):
    with pytest.raises(Unknown, match=r"^unknown \[thing\] driver 'ftp'; "
                       'known drivers: breaks, good, refuses, '
                       'stranger$'):
        _load(plugins, 'ftp')
    assert _plugins.known_drivers(plugins) == ['breaks', 'good', 'refuses',
                                               'stranger']


def test_none_installed():
    with pytest.raises(Unknown, match='known drivers: none installed'):
        _load('pratai_bridge.nothing_here', 'x')


def test_the_plugin_own_error_passes_through(plugins):
    with pytest.raises(Failure, match=r'^set \[thing\] option$'):
        _load(plugins, 'refuses')


def test_other_failures_are_wrapped(plugins):
    with pytest.raises(Failure, match="cannot load thing driver 'breaks': "
                                      "'oops'"):
        _load(plugins, 'breaks')


def test_a_plugin_of_the_wrong_class(plugins):
    with pytest.raises(TypeError, match="thing driver 'stranger' is not a "
                       'tests.unit.test_plugins.Base'):
        _load(plugins, 'stranger')
