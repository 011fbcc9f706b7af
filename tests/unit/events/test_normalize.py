import dataclasses
import logging

import pytest
from stevedore import extension

from pratai_bridge.events import aodh
from pratai_bridge.events import decode
from pratai_bridge.events import normalize
from pratai_bridge.events import nova_legacy
from pratai_bridge.events import nova_versioned
from pratai_bridge.events import swift
from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.base import Normalizer
from pratai_bridge.events.generic import GenericNormalizer
from tests.unit.events import fixtures

PLUGINS = {
    'nova_legacy': nova_legacy.NovaLegacyNormalizer,
    'nova_versioned': nova_versioned.NovaVersionedNormalizer,
    'swift': swift.SwiftNormalizer,
    'aodh': aodh.AodhNormalizer,
}


def _manager(plugins):
    return extension.ExtensionManager.make_test_instance([
        extension.Extension(name, None, cls, cls())
        for name, cls in plugins.items()])


@pytest.fixture
def normalizers():
    return normalize.Normalizers(_manager(PLUGINS))


def _n(doc, exchange=None):
    return decode.from_document(fixtures.fresh(doc), exchange)


class TestSelect:

    @pytest.mark.parametrize('doc, plugin', [
        (fixtures.NOVA_LEGACY, nova_legacy.NovaLegacyNormalizer),
        (fixtures.NOVA_VERSIONED, nova_versioned.NovaVersionedNormalizer),
        (fixtures.SWIFT, swift.SwiftNormalizer),
        (fixtures.AODH_TRANSITION, aodh.AodhNormalizer),
        (fixtures.AODH_UPDATE, aodh.AodhNormalizer),
    ])
    @pytest.mark.parametrize('exchange', ['inferred', None, 'openstack'])
    def test_by_exchange_and_event_type(self, normalizers, doc, plugin,
                                        exchange):
        n = _n(doc)
        if exchange != 'inferred':
            # unknown and unserved exchanges: the event type decides
            n = dataclasses.replace(n, exchange=exchange)
        assert type(normalizers.select(n)) is plugin

    def test_same_event_type_split_by_payload_shape(self, normalizers):
        legacy = _n(fixtures.NOVA_LEGACY)
        versioned = _n(dict(fixtures.NOVA_LEGACY,
                            payload=fixtures.NOVA_VERSIONED['payload']))
        assert legacy.event_type == versioned.event_type
        assert type(normalizers.select(legacy)) is \
            nova_legacy.NovaLegacyNormalizer
        assert type(normalizers.select(versioned)) is \
            nova_versioned.NovaVersionedNormalizer

    def test_exchange_limits_the_candidates(self, normalizers):
        # a Swift event type sent on the nova exchange is not Swift's
        n = _n(fixtures.SWIFT, 'nova')
        assert type(normalizers.select(n)) is GenericNormalizer
        assert normalizers.normalize(n).source == 'nova'

    def test_unknown_notification_is_generic(self, normalizers):
        n = _n({'event_type': 'image.update', 'publisher_id': 'image.h',
                'payload': {'id': 'i'}, 'message_id': 'm'})
        assert type(normalizers.select(n)) is GenericNormalizer
        event = normalizers.normalize(n)
        assert (event.source, event.message_id) == ('unknown', 'm')
        assert (event.project_id, event.resource_id) == (None, None)

    def test_manager_order_breaks_ties(self):
        class First(swift.SwiftNormalizer):
            pass

        class Second(swift.SwiftNormalizer):
            pass

        norms = normalize.Normalizers(_manager({'a': First, 'b': Second}))
        assert type(norms.select(_n(fixtures.SWIFT))) is First
        assert norms.names == ('a', 'b')

    def test_accepts_is_consulted(self):
        class Picky(swift.SwiftNormalizer):
            def accepts(self, notification):
                return notification.payload.get('outcome') == 'failure'

        norms = normalize.Normalizers(_manager({'picky': Picky}))
        assert type(norms.select(_n(fixtures.SWIFT))) is GenericNormalizer
        failed = fixtures.fresh(fixtures.SWIFT)
        failed['payload']['outcome'] = 'failure'
        assert type(norms.select(_n(failed))) is Picky

    def test_memo_is_bounded(self, normalizers, monkeypatch):
        monkeypatch.setattr(normalize, '_MEMO_LIMIT', 10)
        for i in range(50):
            n = _n({'event_type': f'compute.x{i}', 'payload': {}})
            assert type(normalizers.select(n)) is \
                nova_legacy.NovaLegacyNormalizer
        assert len(normalizers._memo) == 10

    def test_memo_gives_the_same_answer(self, normalizers):
        n = _n(fixtures.NOVA_VERSIONED)
        assert normalizers.select(n) is normalizers.select(n)

    def test_notification_not_from_decode(self, normalizers):
        n = dataclasses.replace(_n(fixtures.SWIFT),
                                event_type=['not', 'hashable'])
        with pytest.raises(NormalizationError, match='no event_type'):
            normalizers.normalize(n)


class TestNormalize:

    def test_plugin_bug_becomes_normalization_error(self, caplog):
        class Buggy(swift.SwiftNormalizer):
            def normalize(self, notification):
                return {}['boom']

        norms = normalize.Normalizers(_manager({'buggy': Buggy}))
        with caplog.at_level(logging.ERROR):
            with pytest.raises(NormalizationError,
                               match="normalizer buggy failed: KeyError"):
                norms.normalize(_n(fixtures.SWIFT))
        assert fixtures.SWIFT['message_id'] in caplog.text

    def test_accepts_bug_becomes_normalization_error(self):
        class Buggy(swift.SwiftNormalizer):
            def accepts(self, notification):
                raise TypeError('nope')

        norms = normalize.Normalizers(_manager({'buggy': Buggy}))
        with pytest.raises(NormalizationError, match='TypeError'):
            norms.normalize(_n(fixtures.SWIFT))

    def test_plugin_must_return_an_event(self):
        class Wrong(swift.SwiftNormalizer):
            def normalize(self, notification):
                return {'not': 'an event'}

        norms = normalize.Normalizers(_manager({'wrong': Wrong}))
        with pytest.raises(NormalizationError, match='returned dict'):
            norms.normalize(_n(fixtures.SWIFT))

    def test_normalization_error_passes_through(self, normalizers):
        doc = fixtures.fresh(fixtures.SWIFT)
        doc['payload'] = 'not a dict'
        with pytest.raises(NormalizationError,
                           match='payload must be a JSON object'):
            normalizers.normalize(_n(doc))

    def test_plugins_must_be_normalizers(self):
        class NotOne:
            exchanges = ('x',)
            event_types = ('*',)

        with pytest.raises(TypeError, match='bad is not'):
            normalize.Normalizers(_manager({'bad': NotOne}))

    def test_plugin_without_exchange_is_found_by_event_type(self):
        class Anywhere(Normalizer):
            source = 'any'
            exchanges = ()
            event_types = ('thing.*',)

            def normalize(self, notification):
                return GenericNormalizer().normalize(notification)

        norms = normalize.Normalizers(_manager({'any': Anywhere}))
        n = _n({'event_type': 'thing.happened', 'payload': {}})
        assert type(norms.select(n)) is Anywhere


def test_default_manager_loads_the_entry_points():
    norms = normalize.Normalizers()
    assert sorted(norms.names) == sorted(PLUGINS)
    for doc in (fixtures.NOVA_LEGACY, fixtures.NOVA_VERSIONED,
                fixtures.SWIFT, fixtures.AODH_UPDATE):
        assert type(norms.select(_n(doc))).__name__ == \
            type(normalize.Normalizers(_manager(PLUGINS)).select(
                _n(doc))).__name__
