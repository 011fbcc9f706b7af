"""What is checked before the bridge starts, and by ``config check``.

Each check returns :class:`~pratai_bridge.conf.check.Problem` s (``file:
line: message``, errors or warnings), and the service checks also notes
on what answered:

* :func:`configuration`: the files (:mod:`pratai_bridge.conf.check`, with
  keystoneauth1's plugin options for the groups that authenticate), and
  ``[store]`` and ``[runner] driver`` naming installed plugins;
* :func:`subscriptions`: the subscription directory exists and its files
  load;
* :func:`functions`: every function a subscription names is in the store;
* :func:`services`: the transport, the journal and the runner answer.

The daemon runs the first three (:func:`before_start`) and refuses to
start on any error; a function missing from the store is a warning there
(its executions are recorded as dead when they come), and an error for
``subscriptions validate``, whose job is to say whether the files will
work.
"""

import contextlib
import dataclasses
import logging
import os
from collections.abc import Sequence

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from pratai_bridge.conf import check
from pratai_bridge.conf import credentials as credentials_conf
from pratai_bridge.conf import nova as nova_conf
from pratai_bridge.conf import store as store_conf
from pratai_bridge.conf.check import Problem
from pratai_bridge.functions import tenancy
from pratai_bridge.functions.store import _loader as store_loader
from pratai_bridge.functions.store import _swift_auth
from pratai_bridge.functions.store import base as store_base
from pratai_bridge.runners import _loader as runner_loader
from pratai_bridge.subscriptions import loader
from pratai_bridge.subscriptions.model import Subscription

__all__ = ['Problem', 'StartupError', 'before_start', 'configuration',
           'functions', 'services', 'subscriptions']

LOG = logging.getLogger(__name__)


class StartupError(Exception):
    """The bridge must not start: ``problems`` holds at least one error
    (and the warnings found with them)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.summary())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.error]

    def summary(self) -> str:
        errors = self.errors or self.problems
        more = len(errors) - 1
        return str(errors[0]) + (
            f' (and {more} more problem{"s" * (more > 1)})' if more else '')


@dataclasses.dataclass(frozen=True)
class Checked:
    """What the checks found: problems, and notes on what answered."""

    problems: list[Problem]
    notes: list[str]
    subscriptions: list[Subscription]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.error]


def auth_groups(scratch: cfg.ConfigOpts) -> list[str]:
    """The groups that hold keystoneauth1 options: [swift], [nova] and
    the [credential:NAME] of each credential ``[credentials] names``."""
    return [store_conf.SWIFT_GROUP, nova_conf.GROUP] + [
        credentials_conf.group_of(name)
        for name in scratch.credentials.names]


def auth_opts(scratch: cfg.ConfigOpts) -> check.Opts:
    """keystoneauth1's options for the ``auth_type`` set in each group that
    authenticates (or in the section its ``auth_section`` names): a check
    hook."""
    found: check.Opts = []
    for group in auth_groups(scratch):
        found += _group_auth_opts(scratch, group)
    return found


def _group_auth_opts(scratch: cfg.ConfigOpts, group: str) -> check.Opts:
    common = ks_loading.get_auth_common_conf_options()
    # Registered on the checked configuration or not (the admin CLI
    # registers them only when a command needs them), they are known.
    own = [(group, common + ks_loading.get_session_conf_options())]
    for opt in own[0][1]:
        with contextlib.suppress(cfg.DuplicateOptError):
            scratch.register_opt(opt, group=group)
    section = scratch[group].auth_section or group
    if section != group:
        scratch.register_opts(common, group=section)
    auth_type = scratch[section].auth_type
    if not auth_type:
        return own + ([(section, common)] if section != group else [])
    # Swift's own v1 auth is a plugin of ours, for [swift] only.
    tempauth = group == store_conf.SWIFT_GROUP
    if tempauth and auth_type == _swift_auth.TEMPAUTH:
        opts = ks_loading.get_auth_plugin_conf_options(
            _swift_auth.TempAuthLoader())
    else:
        try:
            opts = ks_loading.get_auth_plugin_conf_options(auth_type)
        except ks_exc.NoMatchingPlugin:
            known = set(ks_loading.get_available_plugin_names())
            if tempauth:
                known.add(_swift_auth.TEMPAUTH)
            raise ValueError(
                f'[{section}] auth_type = {auth_type!r} is not valid: no '
                f'such keystoneauth1 plugin; one of {", ".join(sorted(known))}'
            ) from None
    return own + ([(section, common + opts)] if section != group else [
        (section, opts)])


def configuration(conf: cfg.ConfigOpts) -> list[Problem]:
    """The files' problems, and drivers that name no installed plugin."""
    problems = check.check(conf, hooks=[auth_opts])
    for group, known in (('store', store_loader.known_drivers()),
                         ('runner', runner_loader.known_drivers())):
        name = conf[group].driver
        if name not in known:
            path, line = check.locate(conf, group, 'driver')
            problems.append(Problem(
                path, line, f'[{group}] driver = {name!r} is not valid: one '
                f'of {", ".join(known) or "none installed"}'))
    return problems


def subscriptions(conf: cfg.ConfigOpts, files: Sequence[str] | None = None
                  ) -> tuple[list[Subscription], list[Problem]]:
    """The subscriptions of ``[subscriptions] directory`` (or of
    ``files``), and their problems."""
    if files is not None:
        loaded, found = loader.load_files(files)
        return loaded, [Problem(p.file, p.line, p.message) for p in found]
    directory = conf.subscriptions.directory
    if not os.path.isdir(directory):
        path, line = check.locate(conf, 'subscriptions', 'directory')
        what = 'is not a directory' if os.path.exists(directory) else (
            'does not exist')
        return [], [Problem(path, line, f'[subscriptions] directory '
                                        f'{directory} {what}')]
    loaded, found = loader.load_files(loader.list_files(directory))
    return loaded, [Problem(p.file, p.line, p.message) for p in found]


def functions(store: store_base.Store, loaded: Sequence[Subscription],
              error: bool = True) -> list[Problem]:
    """A problem for each subscription whose function the store lacks, or
    may not run (see pratai_bridge/functions/tenancy.py).

    ``error`` False makes missing functions warnings; a function the
    subscription may not run is always an error. A store that cannot be
    listed is one problem.
    """
    try:
        present = {function.name: function for function in store.list()}
    except store_base.StoreError as exc:
        return [Problem(None, None, f'cannot tell whether the functions '
                                    f'subscriptions name exist: {exc}',
                        error=error)]
    problems = []
    for subscription in loaded:
        path, _, line = subscription.origin.rpartition(':')
        where = (path or None, int(line) if line.isdigit() else None)
        function = present.get(subscription.function)
        if function is None:
            problems.append(Problem(
                *where, f'subscription {subscription.name!r}: function '
                f'{subscription.function!r} is not in the store (pratai-'
                f'bridge-manage function create {subscription.function} '
                '--zip ...)', error=error))
            continue
        refused = tenancy.forbidden(subscription.name, subscription.project,
                                    function.name, function.spec.project)
        if refused is not None:
            problems.append(Problem(*where, refused))
    return problems


def credentials(conf: cfg.ConfigOpts,
                loaded: Sequence[Subscription]) -> list[Problem]:
    """A problem for each subscription naming a credential that is not
    in ``[credentials] names``: each of its runs would fail."""
    known = set(conf.credentials.names)
    problems = []
    for subscription in loaded:
        if subscription.credential is None or subscription.credential in \
                known:
            continue
        path, _, line = subscription.origin.rpartition(':')
        problems.append(Problem(
            path or None, int(line) if line.isdigit() else None,
            f'subscription {subscription.name!r}: credential '
            f'{subscription.credential!r} is not in [credentials] names '
            f'({", ".join(sorted(known)) or "none"})'))
    return problems


def services(conf: cfg.ConfigOpts) -> tuple[list[str], list[Problem]]:
    """Whether the transport, the journal and the runner answer.

    Returns notes on what answered and problems with what did not.
    """
    from pratai_bridge import probes
    notes: list[str] = []
    problems: list[Problem] = []
    for probe in (probes.transport, probes.journal,
                  probes.runner):
        note, problem = probe(conf)
        if note:
            notes.append(note)
        if problem:
            problems.append(problem)
    return notes, problems


def run(conf: cfg.ConfigOpts, offline: bool = False,
        files: Sequence[str] | None = None, probe: bool = True) -> Checked:
    """Every check, as ``config check`` runs them.

    ``offline`` skips what needs another service: the transport, the
    journal, the runner, and the store when it is not a local directory.
    ``files`` are subscription files to check instead of the configured
    directory's; ``probe`` False skips the services (the transport, the
    journal, the runner) but not the store.
    """
    problems = configuration(conf)
    loaded, found = subscriptions(conf, files)
    problems += found + credentials(conf, loaded)
    notes: list[str] = []
    if offline and conf.store.driver != 'local':
        notes.append(f'functions not looked for in the {conf.store.driver} '
                     'store: --offline')
    elif loaded and not any(p.error for p in problems):
        try:
            store = store_loader.load_store(conf)
        except store_base.StoreError as exc:
            path, line = check.locate(conf, 'store', 'driver')
            problems.append(Problem(path, line, f'[store]: {exc}'))
        else:
            problems += functions(store, loaded)
    if probe and not offline:
        answered, failed = services(conf)
        notes += answered
        problems += failed
    return Checked(problems, notes, loaded)


def before_start(conf: cfg.ConfigOpts) -> list[Problem]:
    """The daemon's checks; raises StartupError on any error.

    Returns the warnings, for the caller to log.
    """
    problems = configuration(conf)
    loaded, found = subscriptions(conf)
    problems += found + credentials(conf, loaded)
    if any(p.error for p in problems):
        raise StartupError(problems)
    try:
        store = store_loader.load_store(conf)
    except store_base.StoreError as exc:
        raise StartupError([Problem(*check.locate(conf, 'store', 'driver'),
                                    f'[store]: {exc}')]) from exc
    found = functions(store, loaded, error=False)
    if any(p.error for p in found):  # a function it may not run
        raise StartupError(problems + found)
    return problems + found
