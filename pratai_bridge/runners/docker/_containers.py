"""Starting and removing function containers.

Every container that runs a function's code is made here, warm or not:

* sandboxed as :mod:`._sandbox` says (user, read-only root, no
  capabilities, limits, no network unless asked);
* with no environment from the bridge: only what the image sets (PATH,
  LANG, HOME=/tmp), and not even the docker client's proxy settings;
* running the runtime in serve mode (runtimes/python/pratai_runtime.py
  ``--serve``, see :mod:`._session`), under coreutils ``timeout
  --signal=KILL`` set a few seconds past its lifetime, so that it ends by
  itself even when its bridge was killed (the bridge, when alive, kills or
  retires it first);
* labelled: :data:`LABEL` (the function's name), ``pratai.version``,
  :data:`DEADLINE_LABEL` (epoch seconds: its creation, plus its lifetime,
  plus the time a live runner may take after it: past it, anyone may
  remove it), :data:`BRIDGE_LABEL` (the bridge running it) and, on a
  container that serves one execution only, :data:`EXECUTION_LABEL`. A
  warm container serves many executions and a running container's labels
  cannot change, so it has :data:`WARM_LABEL` instead, and the runner logs
  which execution each invocation is for.
"""

import logging
import math
import time
import uuid
from typing import Any

import requests
from docker import errors as docker_errors

from pratai_bridge.functions.model import Function
from pratai_bridge.runners import base
from pratai_bridge.runners.docker import _sandbox
from pratai_bridge.runners.docker._session import Session

__all__ = ['BRIDGE_LABEL', 'DEADLINE_LABEL', 'EXECUTION_LABEL', 'GRACE',
           'LABEL', 'SELF_KILL_GRACE', 'SWEEP_GRACE', 'WARM_LABEL',
           'remove', 'start']

LOG = logging.getLogger(__name__)

#: label on every container, its value the function's name
LABEL = 'pratai.function'
#: label on every container: when anyone may remove it (epoch seconds)
DEADLINE_LABEL = 'pratai.deadline'
#: labels of a run's container: the bridge and the execution it is for
BRIDGE_LABEL = 'pratai.bridge'
EXECUTION_LABEL = 'pratai.execution'
#: label of a container kept warm between executions
WARM_LABEL = 'pratai.warm'
#: seconds given to the engine to report a killed container's end
GRACE = 30
#: seconds past its lifetime (or an invocation past its timeout) before a
#: container kills itself: enough for a live bridge to kill it first and
#: say "timeout"
SELF_KILL_GRACE = 5
#: seconds past its lifetime before a container is anyone's to remove:
#: more than a live runner takes after its deadline (the kill, then up to
#: GRACE for the engine and GRACE for the streams), with room for a slow
#: start
SWEEP_GRACE = 4 * GRACE


def start(api: Any, image: str, entrypoint: list[str], function: Function,
          limits: base.Limits, context: base.RunContext, lifetime: float,
          key: Any, warm: bool, sandbox: _sandbox.Sandbox) -> Session:
    """Create and start a container of ``image``; its session.

    ``entrypoint`` is the image's; ``lifetime`` the seconds the container
    may serve for; ``sandbox`` the operator's settings (the function
    network must exist when ``limits.network``). Raises the engine's
    errors (ImageNotFound when the image is missing); a container made
    before a failure is removed.
    """
    labels = {LABEL: function.name, 'pratai.version': str(function.version),
              DEADLINE_LABEL: str(math.ceil(time.time() + lifetime
                                            + SWEEP_GRACE))}
    if context.bridge:
        labels[BRIDGE_LABEL] = context.bridge
    if warm:
        labels[WARM_LABEL] = '1'
    elif context.execution is not None:
        labels[EXECUTION_LABEL] = str(context.execution)
    created = time.monotonic()
    container = api.create_container(
        image,
        entrypoint=['timeout', '--signal=KILL',
                    str(math.ceil(lifetime) + SELF_KILL_GRACE), *entrypoint],
        command=['--handler', function.spec.handler, '--serve'],
        user=_sandbox.USER, stdin_open=True,
        host_config=_sandbox.host_config(api, limits, sandbox),
        labels=labels,
        name=(f'pratai-{function.name}-{function.version}-'
              f'{uuid.uuid4().hex[:8]}'),
        use_config_proxy=False)['Id']
    try:
        # Attached before the start, so no output is missed.
        sock = api.attach_socket(container, params={
            'stdin': 1, 'stdout': 1, 'stderr': 1, 'stream': 1})
        session = Session(api, container, sock, key, created + lifetime)
        api.start(container)
    except BaseException:
        remove(api, container, function.ref)
        raise
    session.begin()
    return session


def remove(api: Any, container: str, what: str) -> None:
    """Remove ``container`` (of ``what``, for the log), killing it first.

    Never raises: a container that cannot be removed is logged, and a
    sweep removes it later.
    """
    try:
        api.remove_container(container, force=True)
    except docker_errors.NotFound:
        pass
    except docker_errors.APIError as exc:
        if exc.status_code != 409:  # 409: a removal is in progress
            LOG.exception('%s: cannot remove container %s; a sweep will '
                          '(label %s)', what, container[:12], LABEL)
    except (docker_errors.DockerException,
            requests.exceptions.RequestException, OSError):
        LOG.exception('%s: cannot remove container %s; a sweep will (label '
                      '%s)', what, container[:12], LABEL)
