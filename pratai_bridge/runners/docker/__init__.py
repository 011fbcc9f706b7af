"""The ``docker`` runner and its machinery: images are its business.

:mod:`.runner` runs executions in containers, which :mod:`._containers`
starts (sandboxed by :mod:`._sandbox`), :mod:`._session` talks to (the
runtime's serve protocol) and :mod:`._pool` keeps warm between them;
:mod:`._sweep` removes what dead bridges left. :mod:`.builder` makes the
images they run (from a build context laid out by :mod:`._context`, a
Dockerfile from :mod:`._dockerfile` and wheels from :mod:`._wheels`).
"""

from pratai_bridge.runners.docker.runner import BRIDGE_LABEL
from pratai_bridge.runners.docker.runner import DEADLINE_LABEL
from pratai_bridge.runners.docker.runner import DockerRunner
from pratai_bridge.runners.docker.runner import EXECUTION_LABEL
from pratai_bridge.runners.docker.runner import LABEL
from pratai_bridge.runners.docker.runner import WARM_LABEL

__all__ = ['BRIDGE_LABEL', 'DEADLINE_LABEL', 'DockerRunner', 'EXECUTION_LABEL',
           'LABEL', 'WARM_LABEL']
