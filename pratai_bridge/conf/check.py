"""Configuration files checked against the options the bridge knows.

oslo.config reads every ``name = value`` of a file but only looks up the
names someone registered, so a misspelt option or section (``pol =``,
``[stroe]``) is ignored and its default silently stays in place. And it
keeps an inline ``# comment`` as part of the value. :func:`check` reads the
files oslo.config read with oslo.config's own parser, so it sees the same
sections, names and values, and reports as ``FILE:LINE: message``:

* every section and option nobody registers, with the closest known name
  (errors; warnings with ``[DEFAULT] allow_unknown_options``);
* every value its option refuses, with what the option allows;
* values holding an inline comment.

The known options are those registered on the configuration (the
bridge's groups, oslo.log's, keystoneauth1's in ``[swift]``), those
oslo.config, oslo.log and oslo.messaging list for the sample generator
(oslo.messaging registers its own only when a transport is made), and
those the caller's hooks derive from values: keystoneauth1's plugin
options depend on ``auth_type``. Values are converted on a private
ConfigOpts with every known option registered and the same files parsed,
exactly as oslo.config converts them ($-substitution included); the
caller's configuration is only read, never changed.
"""

import copy
import dataclasses
import difflib
import importlib.metadata
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence

from oslo_config import cfg
from oslo_config import types

from pratai_bridge.conf import files
from pratai_bridge.conf.files import config_files
from pratai_bridge.conf.files import locate

__all__ = ['ConfigError', 'Hook', 'Problem', 'check', 'config_files',
           'locate', 'require_valid']

#: oslo.config.opts entry points of the libraries whose options may appear
#: in the bridge's files
LIBRARIES = ('oslo.log', 'oslo.messaging', 'keystonemiddleware.auth_token')

Opts = list[tuple[str, list[cfg.Opt]]]
#: Given a ConfigOpts holding the files and every option known so far,
#: the options that values there make known; raises ValueError (the
#: message naming the option at fault) for a value that makes none known.
Hook = Callable[[cfg.ConfigOpts], Opts]

# whitespace then '#' or ';': oslo.config ends a value only at the line's
# end, so this is a comment an operator meant to be one
_INLINE_COMMENT = re.compile(r'\s[#;]')


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong, at a file's line when it has one; an error unless
    ``error`` is False (a warning)."""

    path: str | None
    line: int | None
    message: str
    error: bool = True

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        return f'{self.path}:{self.line or 1}: {self.message}'


class ConfigError(Exception):
    """The configuration files hold errors; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        return '\n'.join(str(problem) for problem in self.problems)


def check(conf: cfg.ConfigOpts, hooks: Iterable[Hook] = ()
          ) -> list[Problem]:
    """Every problem of the files ``conf`` was parsed from, in file and
    line order.

    Raises cfg.ConfigFileParseError for a file oslo.config cannot parse
    (``conf`` itself would have raised it first).
    """
    paths = config_files(conf)
    parsers = files.parse(paths)
    known = _Known()
    known.add(_registered(conf))
    for library in _library_opts():
        known.add(library)
    scratch = _scratch(paths, known)
    problems: list[Problem] = []
    for hook in hooks:
        try:
            more = hook(scratch)
        except ValueError as exc:
            problems.extend(_hook_problem(parsers, str(exc)))
            continue
        known.add(more)
        for group, opts in more:
            _register(scratch, group, opts)
    lenient = _allow_unknown(scratch)
    for parser in parsers:
        problems.extend(_unknown(parser, known, lenient))
    settings = [s for parser in parsers for s in parser.settings]
    problems.extend(_values(scratch, known, settings))
    problems.extend(_inline_comments(known, settings))
    order = {path: index for index, path in enumerate(paths)}
    return sorted(problems, key=lambda p: (order.get(p.path or '', -1),
                                           p.line or 0))


def require_valid(conf: cfg.ConfigOpts, hooks: Iterable[Hook] = ()
                  ) -> list[Problem]:
    """:func:`check`; raises ConfigError when any problem is an error.

    Returns the warnings.
    """
    problems = check(conf, hooks)
    errors = [problem for problem in problems if problem.error]
    if errors:
        raise ConfigError(errors)
    return problems


class _Known:
    """Known option names per group, as files name them."""

    def __init__(self) -> None:
        #: group -> name in files -> (the option, its group)
        self.names: dict[str, dict[str, tuple[cfg.Opt, str]]] = {}
        self.opts: dict[str, dict[str, cfg.Opt]] = {}
        #: (group, name) of the deprecated names
        self.deprecated: set[tuple[str, str]] = set()

    def add(self, grouped: Opts) -> None:
        for group, opts in grouped:
            group = files.normalize(group or 'DEFAULT')
            for opt in opts:
                self.opts.setdefault(group, {}).setdefault(opt.dest, opt)
                self.names.setdefault(group, {}).setdefault(
                    opt.dest, (opt, group))
                for old in opt.deprecated_opts:
                    old_group = files.normalize(old.group or group)
                    old_name = (old.name or opt.dest).replace('-', '_')
                    found = self.names.setdefault(old_group, {})
                    if old_name not in found:
                        found[old_name] = (opt, group)
                        self.deprecated.add((old_group, old_name))

    def lookup(self, group: str, name: str) -> tuple[cfg.Opt, str] | None:
        return self.names.get(group, {}).get(name)


def _registered(conf: cfg.ConfigOpts) -> Opts:
    # oslo.config has no public listing of what is registered; its own
    # log_opt_values() walks the same table.
    grouped: dict[str, list[cfg.Opt]] = {}
    for info, group in conf._all_opt_infos():
        name = group.name if group is not None else 'DEFAULT'
        grouped.setdefault(name, []).append(info['opt'])
    return list(grouped.items())


def _library_opts() -> Iterable[Opts]:
    for entry_point in importlib.metadata.entry_points(
            group='oslo.config.opts'):
        if entry_point.name in LIBRARIES:
            # a group is a name, an OptGroup or None (DEFAULT)
            yield [(getattr(group, 'name', group) or 'DEFAULT', list(opts))
                   for group, opts in entry_point.load()()]


def _scratch(paths: Sequence[str], known: _Known) -> cfg.ConfigOpts:
    scratch = cfg.ConfigOpts()
    for group, opts in known.opts.items():
        _register(scratch, group, opts.values())
    args = [f'--config-file={path}' for path in paths]
    scratch(args=args, default_config_files=[], default_config_dirs=[])
    return scratch


def _register(scratch: cfg.ConfigOpts, group: str,
              opts: Iterable[cfg.Opt]) -> None:
    for opt in opts:
        # A copy: missing required options are not this check's business
        # (their users report them), and the caller's objects stay as they
        # are.
        opt = copy.copy(opt)
        opt.required = False
        try:
            scratch.register_opt(opt, group=None if group == 'DEFAULT'
                                 else group)
        except cfg.DuplicateOptError:
            pass  # two sources list one name: the first one counts


def _allow_unknown(scratch: cfg.ConfigOpts) -> bool:
    try:
        return bool(scratch.allow_unknown_options)
    except (cfg.NoSuchOptError, ValueError):
        return False


def _unknown(parser: files.FileParser, known: _Known,
             lenient: bool) -> Iterator[Problem]:
    unknown_sections = set()
    for section, line in parser.headers:
        if section not in known.names and section not in unknown_sections:
            unknown_sections.add(section)
            hint = _closest(section, known.names)
            yield Problem(parser.filename, line,
                          f'unknown section [{section}]'
                          + (f' (did you mean [{hint}]?)' if hint else ''),
                          error=not lenient)
    for setting in parser.settings:
        if setting.section in unknown_sections:
            continue
        found = known.lookup(setting.section, setting.name)
        if found and (setting.section, setting.name) in known.deprecated:
            yield Problem(setting.path, setting.line,
                          f'[{setting.section}] {setting.name} is '
                          f'deprecated: use [{found[1]}] {found[0].dest}',
                          error=False)
        if found:
            continue
        yield Problem(setting.path, setting.line,
                      f'unknown option [{setting.section}] {setting.name}'
                      + _option_hint(setting, known), error=not lenient)


def _option_hint(setting: files.Setting, known: _Known) -> str:
    close = _closest(setting.name, known.names.get(setting.section, {}))
    if close:
        return f' (did you mean {close}?)'
    elsewhere = sorted(group for group, names in known.names.items()
                       if setting.name in names)
    if elsewhere:
        return f' (did you mean [{elsewhere[0]}] {setting.name}?)'
    return ''


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(candidates), n=1,
                                      cutoff=0.6)
    return found[0] if found else None


def _values(scratch: cfg.ConfigOpts, known: _Known,
            settings: Sequence[files.Setting]) -> Iterator[Problem]:
    # The last file naming an option is the one oslo.config uses.
    effective: dict[tuple[str, str], files.Setting] = {}
    for setting in settings:
        found = known.lookup(setting.section, setting.name)
        if found:
            effective[(found[1], found[0].dest)] = setting
    for (group, dest), setting in effective.items():
        opt = known.opts[group][dest]
        try:
            getattr(scratch if group == 'DEFAULT' else scratch[group], dest)
        except (ValueError, cfg.Error) as exc:
            shown = '(secret)' if opt.secret else repr(setting.value)
            yield Problem(setting.path, setting.line,
                          f'[{setting.section}] {setting.name} = {shown} is '
                          f'not valid: {_allowed(opt, exc)}')


def _allowed(opt: cfg.Opt, exc: Exception) -> str:
    """What ``opt`` takes, in words."""
    kind = opt.type
    if isinstance(kind, types.Boolean):
        return 'true or false expected'
    if isinstance(kind, (types.Integer, types.Float)):
        what = 'an integer' if isinstance(kind, types.Integer) else 'a number'
        bounds = [f'>= {kind.min}' if kind.min is not None else '',
                  f'<= {kind.max}' if kind.max is not None else '']
        if kind.choices:
            return 'one of ' + ', '.join(str(c) for c in kind.choices)
        return ' '.join([what, *filter(None, bounds)]) + ' expected'
    if isinstance(kind, types.String) and kind.choices:
        return 'one of ' + ', '.join(str(c) for c in kind.choices)
    if isinstance(exc, cfg.NoSuchOptError):
        return f'${exc.opt_name} names no option'
    if isinstance(exc, cfg.TemplateSubstitutionError):
        return f'{exc.msg}'
    cause = exc.__cause__ or exc
    return f'{type(kind).__name__} expected ({cause})'


def _inline_comments(known: _Known, settings: Sequence[files.Setting]
                     ) -> Iterator[Problem]:
    for setting in settings:
        if not _INLINE_COMMENT.search(setting.value):
            continue
        found = known.lookup(setting.section, setting.name)
        secret = bool(found and found[0].secret)
        shown = '' if secret else f' ({setting.value!r})'
        # A password may really hold " #"; anything else is a comment.
        yield Problem(setting.path, setting.line,
                      f'[{setting.section}] {setting.name}: the value'
                      f'{shown} holds an inline comment, which oslo.config '
                      'keeps as part of the value; put comments on lines '
                      'of their own', error=not secret)


def _hook_problem(parsers: Sequence[files.FileParser],
                  message: str) -> Iterator[Problem]:
    # A hook names the option at fault as "[group] name"; point at its
    # last line.
    match = re.match(r'\[(\S+)\] (\S+)', message)
    line: tuple[str, int] | None = None
    for parser in parsers:
        for setting in parser.settings:
            if match and (setting.section, setting.name) == match.groups():
                line = (setting.path, setting.line)
    if line is None and parsers:
        line = (parsers[-1].filename, 1)
    if line is not None:
        yield Problem(line[0], line[1], message)
