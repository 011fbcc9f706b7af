"""Journal.start(upgrade=False): read-only callers change nothing."""

import pytest
import sqlalchemy as sa

from pratai_bridge.journal import Journal
from pratai_bridge.journal import SchemaVersionError
from pratai_bridge.journal import api
from pratai_bridge.journal import migrations


def test_a_missing_file_is_not_created(tmp_path):
    path = tmp_path / 'state' / 'journal.sqlite'
    journal = Journal(f'sqlite:///{path}')
    with pytest.raises(api.SchemaNotReady, match='pratai-bridge creates'):
        journal.start(upgrade=False)
    assert not path.parent.exists()


def test_an_empty_database_has_no_schema_and_gets_none(tmp_path):
    path = tmp_path / 'journal.sqlite'
    sa.create_engine(f'sqlite:///{path}').connect().close()
    journal = Journal(f'sqlite:///{path}')
    with pytest.raises(api.SchemaNotReady, match='no schema yet'):
        journal.start(upgrade=False)
    journal.stop()
    with sa.create_engine(f'sqlite:///{path}').connect() as conn:
        assert sa.inspect(conn).get_table_names() == []


def _at_version(path, version):
    journal = Journal(f'sqlite:///{path}')
    journal.start()
    journal.stop()
    engine = sa.create_engine(f'sqlite:///{path}')
    with engine.begin() as conn:
        conn.execute(sa.text('UPDATE schema_version SET version = :v'),
                     {'v': version})
    engine.dispose()


def test_an_older_schema_is_refused_not_upgraded(tmp_path):
    path = tmp_path / 'journal.sqlite'
    _at_version(path, migrations.latest() - 1)
    journal = Journal(f'sqlite:///{path}')
    with pytest.raises(api.SchemaNotReady,
                       match='start pratai-bridge once, which upgrades'):
        journal.start(upgrade=False)
    journal.stop()
    with sa.create_engine(f'sqlite:///{path}').connect() as conn:
        assert conn.execute(sa.text('SELECT version FROM schema_version')
                            ).scalar() == migrations.latest() - 1


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / 'journal.sqlite'
    _at_version(path, migrations.latest() + 1)
    journal = Journal(f'sqlite:///{path}')
    with pytest.raises(SchemaVersionError) as raised:
        journal.start(upgrade=False)
    assert not isinstance(raised.value, api.SchemaNotReady)
    assert 'upgrade pratai-bridge' in str(raised.value)


def test_the_current_schema_reads(tmp_path):
    path = tmp_path / 'journal.sqlite'
    _at_version(path, migrations.latest())
    journal = Journal(f'sqlite:///{path}')
    journal.start(upgrade=False)
    assert journal.list_executions() == []
    journal.stop()
