"""A tenant in the real Keystone for the benchmarks (tools/services.py
start keystone swift-keystone), removed when the benchmark ends."""

import contextlib
import sys
from collections.abc import Iterator

from tests.functional import keystone


@contextlib.contextmanager
def tenant(roles: tuple[str, ...] = ('member',)) -> Iterator[tuple]:
    """(cloud, project, user); exits with a message without Keystone."""
    try:
        cloud = keystone.Cloud()
    except BaseException as exc:  # pytest's skip outside pytest
        sys.exit(f'no Keystone at {keystone.URL} ({exc}): '
                 'python3 tools/services.py start keystone')
    try:
        project = cloud.project('pratai-bench')
        yield cloud, project, cloud.user(project, roles=roles)
    finally:
        cloud.cleanup()
