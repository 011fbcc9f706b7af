"""Schema versions: create, upgrade step by step, refuse newer."""

import sqlite3

import pytest
import sqlalchemy as sa

from pratai_bridge.journal import Journal
from pratai_bridge.journal import migrations
from pratai_bridge.journal import SchemaVersionError


def _sql(url, statement):
    with sqlite3.connect(url[len('sqlite:///'):]) as conn:
        return conn.execute(statement).fetchall()


def _tables(url):
    return {name for (name,) in _sql(
        url, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def _add_extra_table(connection):
    connection.execute(sa.text('CREATE TABLE extra (id INTEGER)'))


def _add_note_column(connection):
    connection.execute(sa.text('ALTER TABLE executions ADD COLUMN note TEXT'))


def _broken(connection):
    connection.execute(sa.text('CREATE TABLE half_done (id INTEGER)'))
    raise RuntimeError('step failed')


def _beyond(*upgrades):
    """The shipped steps, then ``upgrades`` as the versions after them."""
    latest = migrations.latest()
    return migrations.STEPS + tuple(
        (latest + n, upgrade) for n, upgrade in enumerate(upgrades, 1))


def test_latest_is_baseline_without_steps():
    assert migrations.latest(()) == migrations.BASELINE == 1
    assert migrations.latest(((2, _add_extra_table),)) == 2
    assert migrations.latest() == migrations.latest(migrations.STEPS)


def test_shipped_steps_are_well_numbered():
    versions = [version for version, _ in migrations.STEPS]
    assert versions == list(range(2, 2 + len(versions)))


def test_fresh_database_gets_latest_version(journal_url, journal):
    assert _sql(journal_url, 'SELECT version FROM schema_version') == [
        (migrations.latest(),)]
    assert _tables(journal_url) >= {'schema_version', 'events', 'rejected',
                                    'executions'}


def test_start_again_changes_nothing(journal_url, journal):
    journal.stop()
    journal.start()
    assert _sql(journal_url, 'SELECT version FROM schema_version') == [
        (migrations.latest(),)]


def test_older_database_is_migrated(journal_url, journal, monkeypatch,
                                    make_event):
    journal.record([make_event(1)], [], [])
    journal.stop()
    latest = migrations.latest()
    monkeypatch.setattr(migrations, 'STEPS',
                        _beyond(_add_extra_table, _add_note_column))

    upgraded = Journal(journal_url)
    upgraded.start()
    assert _sql(journal_url, 'SELECT version FROM schema_version') == [
        (latest + 2,)]
    assert 'extra' in _tables(journal_url)
    assert 'note' in {row[1] for row in _sql(
        journal_url, 'PRAGMA table_info(executions)')}
    assert upgraded.get_event('msg-0001') is not None
    upgraded.stop()


def test_only_missing_steps_run(journal_url, journal, monkeypatch):
    journal.stop()
    latest = migrations.latest()
    _sql(journal_url, 'CREATE TABLE extra (id INTEGER)')
    _sql(journal_url, f'UPDATE schema_version SET version = {latest + 1}')
    # That step would fail if run again (the table exists): it must be
    # skipped, and so must the shipped ones.
    monkeypatch.setattr(migrations, 'STEPS',
                        _beyond(_add_extra_table, _add_note_column))
    Journal(journal_url).start()
    assert _sql(journal_url, 'SELECT version FROM schema_version') == [
        (latest + 2,)]


def test_failed_step_rolls_back(journal_url, journal, monkeypatch):
    journal.stop()
    latest = migrations.latest()
    monkeypatch.setattr(migrations, 'STEPS',
                        _beyond(_add_extra_table, _broken))
    with pytest.raises(RuntimeError, match='step failed'):
        Journal(journal_url).start()
    assert _sql(journal_url, 'SELECT version FROM schema_version') == [
        (latest,)]
    assert not _tables(journal_url) & {'extra', 'half_done'}


def test_newer_database_is_refused(journal_url, journal):
    journal.stop()
    _sql(journal_url, 'UPDATE schema_version SET version = 99')
    with pytest.raises(SchemaVersionError, match='99.*newer'):
        Journal(journal_url).start()
    assert _sql(journal_url, 'SELECT version FROM schema_version') == [(99,)]


def test_unversioned_journal_tables_are_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'j.sqlite'}"
    _sql(url, 'CREATE TABLE events (message_id TEXT)')
    with pytest.raises(SchemaVersionError, match='events'):
        Journal(url).start()


def test_schema_version_must_hold_one_row(journal_url, journal):
    journal.stop()
    # A second row, other than the one there.
    _sql(journal_url, 'INSERT INTO schema_version VALUES '
         f'({migrations.latest() + 1})')
    with pytest.raises(SchemaVersionError, match='2'):
        Journal(journal_url).start()


def test_badly_numbered_steps_are_a_bug():
    engine = sa.create_engine('sqlite://')
    with engine.begin() as conn:
        for steps in (((3, _add_extra_table),),
                      ((2, _add_extra_table), (2, _add_note_column))):
            with pytest.raises(ValueError, match='numbered'):
                migrations.upgrade(conn, steps)
        assert migrations.current(conn) is None


def test_upgrade_reports_versions():
    engine = sa.create_engine('sqlite://')
    with engine.begin() as conn:
        assert migrations.upgrade(conn, ()) == (None, 1)
        assert migrations.current(conn) == 1
        assert migrations.upgrade(conn, ((2, _add_extra_table),)) == (1, 2)
        assert migrations.upgrade(conn, ((2, _add_extra_table),)) == (2, 2)
