"""Find and read the notification samples (test data, in the repository).

The samples are copied into tests/fixtures/notification-samples, with
their README (where each file comes from) and NOTICE (Apache-2.0, the
OpenStack projects), so a fresh clone runs every test that reads them:
nothing here skips. A missing file is a broken checkout, and fails.

Paths are handled relative to the samples directory, as POSIX strings
(``aodh/alarm.update.threshold-ok.json``), which also make readable test
ids.
"""

import json
import pathlib
from typing import Any

ROOT = (pathlib.Path(__file__).resolve().parents[1] / 'fixtures' /
        'notification-samples')

# Files in the tree that are not notifications: the Aodh webhook bodies and
# headers (an HTTP POST, for the ingress), the routing table of wire/, and
# the fragments nova's samples $ref.
_NOT_NOTIFICATIONS = ('aodh/http-webhook.*', 'wire/routing.json',
                      'nova-versioned/common_payloads/*')
# Real notifications whose ids, dates and hosts are placeholders: good for
# the shape of the fields only.
_TEMPLATED = ('*/templated/*',)


def directory() -> pathlib.Path:
    """The samples directory (always there: see the module docstring)."""
    return ROOT


def require() -> pathlib.Path:
    """The samples directory. Kept for the tests written when the samples
    lived outside the repository and could be missing: it never skips."""
    return ROOT


def path(relative: str) -> pathlib.Path:
    """The absolute path of one sample; a missing one fails the test."""
    found = ROOT / relative
    assert found.exists(), f'no sample {relative} under {ROOT}'
    return found


def load_json(relative: str) -> Any:
    """One sample file's JSON, as written ($refs left alone)."""
    with open(path(relative), encoding='utf-8') as f:
        return json.load(f)


def all_files() -> list[str]:
    """Every ``*.json`` file of the samples, relative, sorted."""
    return sorted(p.relative_to(ROOT).as_posix()
                  for p in ROOT.rglob('*.json'))


def is_notification(relative: str) -> bool:
    """Whether the file is a notification (in any of its JSON forms)."""
    return not _matches(relative, _NOT_NOTIFICATIONS)


def is_templated(relative: str) -> bool:
    """Whether the file holds placeholders instead of real values."""
    return _matches(relative, _TEMPLATED)


def notification_files(folder: str | None = None,
                       templated: bool = True) -> list[str]:
    """The notification files, optionally of one top-level folder."""
    return [rel for rel in all_files()
            if is_notification(rel)
            and (folder is None or rel.startswith(folder.rstrip('/') + '/'))
            and (templated or not is_templated(rel))]


def _matches(relative: str, globs: tuple[str, ...]) -> bool:
    return any(pathlib.PurePosixPath(relative).match(glob) for glob in globs)
