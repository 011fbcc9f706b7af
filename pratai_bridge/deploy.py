"""Creating and deleting functions: the store's steps and the runner's.

The admin CLI (and any later API) calls these, never ``store.put`` or
``store.delete`` directly, so the steps that belong to a function's life
(checking the zip, building its image before it is stored, removing a
deleted function's images) have one home. It sits above both the
functions package (model, checks, stores) and the runners, which know
nothing of each other.
"""

import logging

from oslo_config import cfg

from pratai_bridge.functions import package as package_mod
from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.store.base import Store
from pratai_bridge.functions.store.base import StoreError
from pratai_bridge.runners.base import Progress
from pratai_bridge.runners.base import Runner
from pratai_bridge.runners.base import RunnerError

__all__ = ['create_function', 'delete_function']

LOG = logging.getLogger(__name__)

_MIB = 1024 * 1024


def create_function(conf: cfg.ConfigOpts, store: Store, name: str,
                    data: bytes, handler: str | None = None,
                    memory: int = 128, timeout: int = 30,
                    network: str = 'none', runner: Runner | None = None,
                    progress: Progress | None = None,
                    project: str | None = None,
                    **warm: int | None) -> Function:
    """Check the zip ``data`` and the settings, build it, store it.

    With ``runner``, the function is made runnable (its image built,
    ``progress`` hearing each step) before anything is stored, so a zip
    that cannot be built is refused; without one it is only stored.
    ``warm`` holds the function's ``warm_*`` settings; ``project`` owns
    the function (None: the operator). Raises ValueError
    subclasses (InvalidName, InvalidFunction, PackageError) for what the
    caller got wrong, BuildFailed or RunnerError when it cannot be built,
    and the store's errors.
    """
    # The settings first: cheaper than reading the zip.
    spec_mod.check_settings(name, memory, timeout, network, 'python3')
    spec_mod.check_warm(warm)
    spec_mod.check_project(project)
    info = package_mod.inspect(
        data, handler, max_files=conf.store.max_files,
        max_uncompressed=conf.store.max_uncompressed_mb * _MIB)
    spec = spec_mod.make_spec(name, info.handler, memory, timeout, network,
                              warm=warm, project=project)
    if runner is not None:
        # Images are keyed by the zip's bytes, not by the version, which
        # the store picks: the version about to be stored is 0 until then.
        upload = Function(spec=spec, version=0, sha256=info.sha256,
                          size=len(data), created_at='')
        runner.prepare(upload, data, progress)
    return store.put(spec, data)


def delete_function(conf: cfg.ConfigOpts, store: Store, name: str,
                    runner: Runner | None = None) -> list[Function]:
    """Delete every version of ``name``; return what was deleted.

    With ``runner``, what it prepared for the deleted versions (images,
    virtualenvs) goes too, except for a zip that another function's latest
    version is made of: images are a cache keyed by the zip's bytes, so
    one removed while another function uses it would only be built again.
    Failing to remove them is logged, never an error: the function is
    deleted. Raises FunctionNotFound when there is no such function.
    """
    deleted = store.delete(name)
    if runner is not None:
        _forget(store, runner, deleted)
    return deleted


def _forget(store: Store, runner: Runner, deleted: list[Function]) -> None:
    try:
        in_use = {function.sha256 for function in store.list()}
    except StoreError as exc:
        LOG.warning('Images of the deleted function %s are kept: cannot '
                    'tell which other functions use them (%s)',
                    deleted[0].name, exc)
        return
    for sha256, function in {f.sha256: f for f in deleted}.items():
        if sha256 in in_use:
            continue
        try:
            runner.forget(function)
        except RunnerError as exc:
            LOG.warning('Cannot remove what was prepared for the deleted '
                        'function %s (sha256 %s): %s', function.ref, sha256,
                        exc)
