"""Subscription data, as loaded and validated from the files."""

import dataclasses

from pratai_bridge.filters.base import Filter


@dataclasses.dataclass(frozen=True)
class Delivery:
    """How a subscription's function runs: attempts, timeout, parallelism.

    ``max_age``: seconds after its event came in past which an execution
    is not tried again (None: only ``max_attempts`` bounds it).
    ``ordered``: executions for the same resource run one at a time, in
    the order their events came in.
    """

    max_attempts: int = 3
    timeout: int = 30
    concurrency: int = 4
    max_age: int | None = None
    ordered: bool = False


@dataclasses.dataclass(frozen=True)
class Subscription:
    """One rule: events passing every filter and ``project`` run ``function``.

    ``origin`` is ``file:line`` of the rule, for messages and the CLI.
    ``enrich`` names what the bridge looks up before matching the event
    for it (``server``: see :mod:`pratai_bridge.enrich`); ``credential``
    names the ``[credential:NAME]`` whose project-scoped token each run
    of the function gets (see :mod:`pratai_bridge.credentials`).
    """

    name: str
    function: str
    filters: tuple[Filter, ...] = ()
    project: str | None = None
    delivery: Delivery = Delivery()
    origin: str = ''
    enrich: tuple[str, ...] = ()
    credential: str | None = None


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem in a subscription file, shown ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f'{self.file}:{self.line}: {self.message}'
