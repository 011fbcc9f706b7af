import os
import sys

import pytest

from tests.functional import bridge as bridge_mod
from tests.functional import rabbit
# The fixtures of the tests on the Docker engine (engine, runner...).
from tests.functional.docker_engine import engine  # noqa: F401
from tests.functional.docker_engine import no_leftover_containers  # noqa: F401
from tests.functional.docker_engine import runner  # noqa: F401

# The shared <topic>.<priority> queues the Notifier declares on first send;
# nothing consumes them on a test machine, so they are purged at the end.
SHARED_QUEUES = [f'{topic}.{priority}'
                 for topic in ('notifications', 'versioned_notifications',
                               'alarming')
                 for priority in ('info', 'error', 'sample', 'warn')]


@pytest.fixture(scope='session')
def publisher():
    rabbit.require_rabbitmq()
    pub = rabbit.make_publisher()
    yield pub
    pub.close()
    rabbit.purge_queues(SHARED_QUEUES)


@pytest.fixture
def make_bridge(tmp_path, publisher):
    """Build (not start) bridges with their own pool; cleaned up after."""
    made = []

    def make(extra_conf: str = '', name: str = 'bridge',
             transport_url: str = rabbit.URL, pool: str | None = None):
        made.append(bridge_mod.Bridge(tmp_path / name, extra_conf,
                                      transport_url, pool))
        return made[-1]

    yield make
    for each in made:
        each.cleanup()


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when a queue this session made is still there.

    A pooled queue nobody consumes gathers every notification sent
    forever; each test deletes the queues it declared, even when it
    fails, and this proves it. What is found is deleted too.
    """
    left = rabbit.leftover_queues()
    if left is None:
        message = ('cannot list the broker\'s queues (rabbitmqctl '
                   'missing or failing): leftover queues not checked')
        if os.environ.get('CI'):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f'\n{message}', file=sys.stderr)
        return
    if left:
        rabbit.delete_queues(left)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f'\nFAILED: the tests left {len(left)} queue(s) behind (now '
              f'deleted): {", ".join(left)}', file=sys.stderr)
