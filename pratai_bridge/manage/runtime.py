"""``runtime build``: make the runtime images before the first function.

The first function build makes them anyway; this does it ahead of time,
showing each step, so the first execution does not wait for it.
"""

from cliff import command

from pratai_bridge.runners.docker import builder as builder_mod
from pratai_bridge.manage import _common
from pratai_bridge.runners.base import RunnerError


class Build(command.Command):
    """Make the base image (when missing) and the runtime image.

    Without a registry, the base is made from Debian packages (mmdebstrap,
    as root, about half a minute the first time). Progress goes to stderr;
    the images made or found go to stdout.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--base-image', metavar='IMAGE',
            help='Build the runtime image from IMAGE (pulled when missing, '
                 'e.g. python:3.11-slim where a registry is reachable) '
                 'instead of [builder] base_image; implies --rebuild')
        parser.add_argument(
            '--rebuild', action='store_true',
            help='Build the runtime image again even if it exists (after '
                 'an upgrade of the runtime); function images made from '
                 'the old one are not rebuilt')
        return parser

    def take_action(self, parsed_args):
        conf = _common.conf(self.app)
        builder = builder_mod.Builder(conf)
        base = parsed_args.base_image or conf.builder.base_image
        try:
            runtime = builder.ensure_runtime_image(
                progress=self._progress, base_image=base,
                rebuild=parsed_args.rebuild or bool(parsed_args.base_image))
        except RunnerError as exc:
            raise _common.CommandError(str(exc)) from exc
        finally:
            builder.close()
        self.app.stdout.write(f'base image: {base}\n'
                              f'runtime image: {runtime}\n')
        return 0

    def _progress(self, line: str) -> None:
        self.app.stderr.write(line + '\n')
        self.app.stderr.flush()
