"""The journal: events, executions and rejected notifications, durably.

:class:`Journal` is the only way in; it hands out frozen dataclasses, never
ORM rows. SQLite suits one bridge; bridges sharing a journal need PostgreSQL.
The schema is created or upgraded by :meth:`Journal.start`
(:mod:`pratai_bridge.journal.migrations`).
"""

from pratai_bridge.journal.api import EXECUTION_STATUSES
from pratai_bridge.journal.api import Execution
from pratai_bridge.journal.api import FINAL_STATUSES
from pratai_bridge.journal.api import Journal
from pratai_bridge.journal.api import RecordRefused
from pratai_bridge.journal.api import RUN_STATUSES
from pratai_bridge.journal.api import StoredAttempt
from pratai_bridge.journal.api import StoredEvent
from pratai_bridge.journal.api import StoredRejected
from pratai_bridge.journal.migrations import SchemaVersionError

__all__ = ['EXECUTION_STATUSES', 'Execution', 'FINAL_STATUSES', 'Journal',
           'RecordRefused', 'RUN_STATUSES', 'SchemaVersionError',
           'StoredAttempt', 'StoredEvent', 'StoredRejected']
