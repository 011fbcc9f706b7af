"""Tenancy: a subscription naming a project sees only events whose
normalized project_id is that project, whatever field of the
notification the id came from; ``subscriptions list`` says which are
operator-level."""

import itertools
import json

from pratai_bridge.events import decode
from pratai_bridge.events.normalize import Normalizers
from pratai_bridge.matcher import Matcher
from pratai_bridge.subscriptions import loader
from tests.unit.events import fixtures
from tests.unit.events.test_fuzz import _paths
from tests.unit.events.test_fuzz import _replace

A, B = 'aaaa0000aaaa0000aaaa0000aaaa0000', 'bbbb1111bbbb1111bbbb1111bbbb1111'
SUBSCRIPTIONS = """\
subscriptions:
  - name: of-a
    function: fn
    project: aaaa0000aaaa0000aaaa0000aaaa0000
  - name: of-a-too
    function: fn
    project: aaaa0000aaaa0000aaaa0000aaaa0000
    filters:
      - event_type: ['*']
  - name: everyone
    function: fn
"""
# Every field a project id is read from, in some source.
PROJECT_KEYS = {'_context_project_id', '_context_tenant', 'tenant_id',
                'project_id', 'tenant', 'project'}
SOURCES = [fixtures.NOVA_LEGACY, fixtures.NOVA_VERSIONED, fixtures.SWIFT,
           fixtures.AODH_TRANSITION, fixtures.AODH_UPDATE]


def _variants(doc):
    """``doc`` with A or B in each of its project fields, every way."""
    places = [path for path in _paths(doc)
              if path and path[-1] in PROJECT_KEYS]
    for choice in itertools.product((A, B), repeat=len(places)):
        variant = doc
        for path, project in zip(places, choice, strict=True):
            variant = _replace(variant, path, project)
        yield variant


def test_a_project_s_subscription_sees_only_its_project(tmp_path):
    path = tmp_path / '10-tenancy.yaml'
    path.write_text(SUBSCRIPTIONS)
    matcher = Matcher(loader.load_directory(str(tmp_path)))
    normalizers = Normalizers()
    seen = {A: 0, B: 0, None: 0}
    for doc in SOURCES:
        for variant in _variants(doc):
            event = normalizers.normalize(decode.from_document(variant))
            names = {s.name for s in matcher.match(event)}
            seen[event.project_id if event.project_id in (A, B) else None] \
                += 1
            if event.project_id == A:
                assert names == {'of-a', 'of-a-too', 'everyone'}
            else:
                assert names == {'everyone'}, json.dumps(variant)
    # Events of both projects went through, from every source but Aodh's
    # alarm.update, which names no project (an event without one is seen
    # by operator-level subscriptions only).
    assert seen[A] >= len(SOURCES) - 1 and seen[B] >= len(SOURCES) - 1, seen
    assert seen[None] > 0


def test_listing_says_which_subscriptions_are_operator_level(tmp_path):
    from pratai_bridge.manage import subscriptions as manage
    path = tmp_path / '10-tenancy.yaml'
    path.write_text(SUBSCRIPTIONS)
    rows = [(s.name, s.project or manage.OPERATOR_LEVEL)
            for s in loader.load_directory(str(tmp_path))]
    assert rows == [('of-a', A), ('of-a-too', A),
                    ('everyone', '(operator-level: every project)')]
