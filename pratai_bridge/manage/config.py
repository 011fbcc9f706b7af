"""``config check``: will this configuration work?

Runs every check of :mod:`pratai_bridge.preflight`: the files (unknown
sections and options, invalid values, inline comments), the drivers, the
subscription files, the functions they name, and whether the transport,
the journal and the runner answer (``--offline`` skips those).
"""

from cliff import command

from pratai_bridge.manage import _common


class Check(command.Command):
    """Check the configuration, the subscriptions and the services.

    Problems go to stderr as ``file:line: message`` (warnings as
    ``file:line: warning: message``), what answered to stdout. Exit status
    1 when anything would stop the bridge, or make it do other than the
    files say.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--offline', action='store_true',
            help='Skip what needs another service: the transport, the '
                 'journal, the runner, and a store other than a local '
                 'directory.')
        return parser

    def take_action(self, parsed_args) -> int:
        from pratai_bridge import preflight
        from pratai_bridge.conf import check
        conf = _common.conf(self.app)
        checked = preflight.run(conf, offline=parsed_args.offline)
        _common.print_problems(checked.problems)
        for note in checked.notes:
            print(note)
        errors = len(checked.errors)
        warnings = len(checked.problems) - errors
        print(f'{len(check.config_files(conf))} configuration files, '
              f'{len(checked.subscriptions)} subscriptions: '
              + (f'{errors} errors' if errors else 'valid')
              + (f', {warnings} warnings' if warnings else ''))
        return 1 if errors else 0
