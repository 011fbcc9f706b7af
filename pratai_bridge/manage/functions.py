"""``function create|list|show|delete``: the functions in the store.

Every command works on the store ``[store] driver`` names; creating and
deleting go through :mod:`pratai_bridge.deploy`, which also checks the
zip and builds its image (with the ``[runner] driver``) before anything
is stored.
"""

import contextlib
import os
from collections.abc import Iterator

from cliff import lister
from cliff import show

from pratai_bridge.functions import spec as spec_mod
from pratai_bridge.functions import names
from pratai_bridge.functions.model import NETWORKS
from pratai_bridge.functions.model import WARM_SETTINGS
from pratai_bridge.functions.model import Function
from pratai_bridge.functions.store import _loader
from pratai_bridge.functions.store import base
from pratai_bridge.manage import _common
from pratai_bridge.manage._common import CommandError

# deploy, package checks and the runner are imported by the commands that
# change functions: listings stay fast (see pratai_bridge.cmd.manage).

FIELDS = ('name', 'version', 'project', 'handler', 'runtime', 'memory',
          'timeout', 'network', *WARM_SETTINGS, 'sha256', 'size',
          'created_at')
#: the project shown for a function the operator owns
OPERATOR = '(operator)'


def _row(function: Function) -> tuple:
    spec = function.spec
    return (spec.name, function.version, spec.project or OPERATOR,
            spec.handler, spec.runtime, spec.memory, spec.timeout,
            spec.network,
            *(getattr(spec, field) for field in WARM_SETTINGS),
            function.sha256, function.size, function.created_at)


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """Store and validation errors as one-line command errors."""
    try:
        yield
    except base.StoreUnavailable as exc:
        raise CommandError(f'store unavailable, try again later: '
                           f'{exc}') from exc
    except (base.StoreError, ValueError) as exc:
        raise CommandError(str(exc)) from exc


def _add_name(parser) -> None:
    parser.add_argument('name', metavar='NAME', help='Function name')


def _checked_name(name: str) -> str:
    try:
        return names.check_name(name)
    except names.InvalidName as exc:
        raise CommandError(str(exc)) from exc


class Create(show.ShowOne):
    """Upload a function zip as the next version of NAME.

    The zip is checked first (paths, size, a module with a top-level
    ``def main(payload=None)``), then its image is built (the base and
    runtime images too, when missing), showing each step on a terminal;
    a zip that is bad or cannot be built stores nothing. ``--no-build``
    only stores it: the bridge builds it before its first run.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_name(parser)
        parser.add_argument('--zip', required=True, metavar='PATH',
                            dest='zip_path',
                            help='The function zip, or a directory to pack '
                                 'as one (its files at the top of the zip; '
                                 'hidden files and __pycache__ left out)')
        parser.add_argument('--handler', metavar='MODULE',
                            help='Module whose main() is called; needed '
                                 'when several modules define main()')
        low, high = spec_mod.MEMORY_RANGE
        parser.add_argument('--memory', type=int, default=128,
                            metavar='MB',
                            help=f'Memory limit, MiB ({low}-{high}; '
                                 'default 128)')
        low, high = spec_mod.TIMEOUT_RANGE
        parser.add_argument('--timeout', type=int, default=30,
                            metavar='S',
                            help=f'Time limit, seconds ({low}-{high}; '
                                 'default 30)')
        parser.add_argument('--network', choices=NETWORKS, default='none',
                            help='Network access (default none)')
        parser.add_argument('--project', metavar='PROJECT_ID',
                            help='The Keystone project that owns the '
                                 'function: only subscriptions of this '
                                 'project may run it (default: the '
                                 'operator owns it, any subscription may)')
        _add_warm_arguments(parser)
        parser.add_argument('--no-build', action='store_true',
                            help='Store the zip without building its image '
                                 '(each bridge builds it before its first '
                                 'run)')
        return parser

    def take_action(self, parsed_args):
        from pratai_bridge import deploy
        from pratai_bridge.functions import package
        from pratai_bridge.runners._loader import load_runner
        from pratai_bridge.runners.base import BuildFailed
        from pratai_bridge.runners.base import RunnerError
        name = _checked_name(parsed_args.name)
        path = parsed_args.zip_path
        conf = _common.conf(self.app)
        try:
            data = _read_zip(conf, path)
        except package.PackageError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f'{path}: {exc.strerror or exc}') from exc
        with _store_errors():
            store = _loader.load_store(conf)
            try:
                function = deploy.create_function(
                    conf, store, name, data,
                    handler=parsed_args.handler, memory=parsed_args.memory,
                    timeout=parsed_args.timeout, network=parsed_args.network,
                    runner=None if parsed_args.no_build else load_runner(conf),
                    progress=self._progress(parsed_args),
                    project=parsed_args.project,
                    **{field: getattr(parsed_args, field)
                       for field in WARM_SETTINGS})
            except package.PackageError as exc:
                raise CommandError(f'{path}: {exc}') from exc
            except BuildFailed as exc:
                raise CommandError(f'{path}: {name} cannot be built, nothing '
                                   f'was stored: {exc}') from exc
            except RunnerError as exc:  # the host's trouble, not the zip's
                raise CommandError(
                    f'{path}: {name} cannot be built here, nothing was '
                    f'stored: {exc} (--no-build stores it without building '
                    'it)') from exc
        return FIELDS, _row(function)

    def _progress(self, parsed_args):
        """Build steps to stderr on a terminal; none with -f json."""
        if parsed_args.formatter == 'json' or not self.app.stderr.isatty():
            return None

        def say(line: str) -> None:
            self.app.stderr.write(line + '\n')
            self.app.stderr.flush()

        return say


def _add_warm_arguments(parser) -> None:
    for field, unit, what in (
            ('warm_pool_size', 'N', 'idle warm containers kept'),
            ('warm_idle_time', 'S', 'seconds an idle warm container is kept'),
            ('warm_max_uses', 'N', 'executions per warm container')):
        low, high = spec_mod.WARM_RANGES[field]
        parser.add_argument(
            '--' + field.replace('_', '-'), type=int, metavar=unit,
            help=f'{what.capitalize()} ({low}-{high}; 0 disables reuse; '
                 f'default [runner] {field})')


def _read_zip(conf, path: str) -> bytes:
    """The zip at ``path``, or the zip packed from the directory there."""
    from pratai_bridge.functions import pack
    if os.path.isdir(path):
        return pack.pack(path, max_files=conf.store.max_files,
                         max_bytes=conf.store.max_uncompressed_mb << 20)
    with open(path, 'rb') as source:
        return source.read()


class List(lister.Lister):
    """List functions: the latest version of each."""

    def take_action(self, parsed_args):
        with _store_errors():
            functions = _loader.load_store(_common.conf(self.app)).list()
        return FIELDS, [_row(f) for f in functions]


class Show(show.ShowOne):
    """Show a function's latest version, or the one --version names."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_name(parser)
        parser.add_argument('--version', type=int, metavar='N',
                            dest='function_version',
                            help='Version to show (default: the latest)')
        return parser

    def take_action(self, parsed_args):
        name = _checked_name(parsed_args.name)
        with _store_errors():
            function = _loader.load_store(_common.conf(self.app)).get(
                name, parsed_args.function_version)
        return FIELDS, _row(function)


class Delete(lister.Lister):
    """Delete every version of a function; list what was deleted."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_name(parser)
        return parser

    def take_action(self, parsed_args):
        from pratai_bridge import deploy
        from pratai_bridge.runners._loader import load_runner
        name = _checked_name(parsed_args.name)
        conf = _common.conf(self.app)
        with _store_errors():
            store = _loader.load_store(conf)
            # The runner removes the deleted versions' images.
            deleted = deploy.delete_function(
                conf, store, name, runner=load_runner(conf))
        return (('name', 'version', 'sha256'),
                [(f.name, f.version, f.sha256) for f in deleted])
