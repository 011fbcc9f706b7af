"""The Docker engine's errors, as the runner contract's."""

import contextlib
from collections.abc import Iterator

import requests
from docker import errors as docker_errors

from pratai_bridge.runners.base import RunnerError

__all__ = ['docker_errors_as_runner_errors']


@contextlib.contextmanager
def docker_errors_as_runner_errors(what: str) -> Iterator[None]:
    """Engine, HTTP and socket errors become RunnerError(what: ...)."""
    try:
        yield
    except (docker_errors.DockerException,
            requests.exceptions.RequestException, OSError) as exc:
        raise RunnerError(f'{what}: {exc}') from exc
