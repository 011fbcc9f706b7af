"""The ``docker`` runner and its machinery: images are its business.

:mod:`.runner` runs executions in containers, :mod:`.builder` makes the
images they run (from a build context laid out by :mod:`._context`, a
Dockerfile from :mod:`._dockerfile` and wheels from :mod:`._wheels`).
"""

from pratai_bridge.runners.docker.runner import BRIDGE_LABEL
from pratai_bridge.runners.docker.runner import DEADLINE_LABEL
from pratai_bridge.runners.docker.runner import DockerRunner
from pratai_bridge.runners.docker.runner import EXECUTION_LABEL
from pratai_bridge.runners.docker.runner import LABEL

__all__ = ['BRIDGE_LABEL', 'DEADLINE_LABEL', 'DockerRunner', 'EXECUTION_LABEL',
           'LABEL']
