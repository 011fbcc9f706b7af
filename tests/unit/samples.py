"""Find and read the shared notification samples (test data, not copied).

The samples live outside the repository, in ../shared/notification-samples
relative to the repository root; ``PRATAI_SAMPLES_DIR`` points elsewhere.
When they are absent, tests that need them skip (:func:`require`) and
parametrized lists are empty, so the hand-written fixtures still run.

Paths are handled relative to the samples directory, as POSIX strings
(``aodh/alarm.update.threshold-ok.json``), which also make readable test
ids.
"""

import json
import os
import pathlib
from typing import Any

import pytest

ENV_VAR = 'PRATAI_SAMPLES_DIR'
_REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
_DEFAULT = _REPO_ROOT.parent / 'shared' / 'notification-samples'

# Files in the tree that are not notifications: the Aodh webhook bodies and
# headers (an HTTP POST, for the ingress), the routing table of wire/, and
# the fragments nova's samples $ref.
_NOT_NOTIFICATIONS = ('aodh/http-webhook.*', 'wire/routing.json',
                      'nova-versioned/common_payloads/*')
# Real notifications whose ids, dates and hosts are placeholders: good for
# the shape of the fields only.
_TEMPLATED = ('*/templated/*',)


def directory() -> pathlib.Path | None:
    """The samples directory, or None when it is not there."""
    path = pathlib.Path(os.environ.get(ENV_VAR) or _DEFAULT)
    return path if path.is_dir() else None


def require() -> pathlib.Path:
    """The samples directory; skips the calling test when it is absent."""
    path = directory()
    if path is None:
        pytest.skip(f'notification samples not found (set {ENV_VAR})')
    return path


def path(relative: str) -> pathlib.Path:
    """The absolute path of one sample; skips when samples are absent."""
    return require() / relative


def load_json(relative: str) -> Any:
    """One sample file's JSON, as written ($refs left alone)."""
    with open(path(relative), encoding='utf-8') as f:
        return json.load(f)


def all_files() -> list[str]:
    """Every ``*.json`` file of the samples, relative, sorted."""
    root = directory()
    if root is None:
        return []
    return sorted(p.relative_to(root).as_posix()
                  for p in root.rglob('*.json'))


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
