"""What ``pip install pratai-bridge[...]`` brings, read from the installed
distribution's metadata (what pip resolves extras from)."""

import importlib.metadata

from packaging.requirements import Requirement


def _extra(name: str) -> set[str]:
    metadata = importlib.metadata.metadata('pratai-bridge')
    assert name in metadata.get_all('Provides-Extra')
    found = set()
    for line in metadata.get_all('Requires-Dist'):
        requirement = Requirement(line)
        if requirement.marker and requirement.marker.evaluate(
                {'extra': name}):
            found.add(requirement.name)
    return found


def test_the_postgresql_extra_brings_the_journals_driver():
    assert 'psycopg2-binary' in _extra('postgresql')
    # ...and the driver it brings is the one the journal's URL names.
    import psycopg2  # noqa: F401
