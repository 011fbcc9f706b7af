"""The configuration files oslo.config read, with the line of each value.

Read with oslo.config's own parser (:class:`oslo_config.cfg.ConfigParser`),
so sections, names and values are exactly those oslo.config sees; only the
line numbers are added.
"""

import dataclasses
import glob
import os
from collections.abc import Sequence

from oslo_config import cfg

__all__ = ['FileParser', 'Setting', 'config_files', 'locate', 'normalize',
           'parse']


@dataclasses.dataclass(frozen=True)
class Setting:
    """One ``name = value`` of a file, at its line."""

    path: str
    line: int
    section: str   # as oslo.config looks it up: lower case but DEFAULT
    name: str
    value: str


class FileParser(cfg.ConfigParser):
    """oslo.config's file parser, keeping the line of what it reads."""

    def __init__(self, filename: str) -> None:
        super().__init__(filename, {})
        self.settings: list[Setting] = []
        self.headers: list[tuple[str, int]] = []
        self._key_line = 0

    def new_section(self, section: str) -> None:
        super().new_section(section)
        self.headers.append((normalize(section), self.lineno))

    def _split_key_value(self, line: str) -> tuple[str, list[str]]:
        # An assignment is handed over when the next line starts, so its
        # own line is taken here.
        self._key_line = self.lineno
        return super()._split_key_value(line)

    def assignment(self, key: str, value: list[str]) -> None:
        super().assignment(key, value)
        assert self.section is not None  # super() raised otherwise
        self.settings.append(Setting(self.filename, self._key_line,
                                      normalize(self.section), key,
                                      '\n'.join(value)))


def normalize(section: str) -> str:
    """A section name as oslo.config looks it up."""
    return section if section == 'DEFAULT' else section.lower()


def config_files(conf: cfg.ConfigOpts) -> list[str]:
    """The files oslo.config parsed for ``conf``, in its order."""
    files = [os.path.abspath(os.path.expanduser(path))
             for path in conf.config_file or []]
    for directory in conf.config_dirs:
        pattern = os.path.join(os.path.expanduser(directory), '*.conf')
        files.extend(sorted(os.path.abspath(p) for p in glob.glob(pattern)))
    return list(dict.fromkeys(files))


def locate(conf: cfg.ConfigOpts, group: str, name: str
           ) -> tuple[str | None, int | None]:
    """(file, line) where the value of ``[group] name`` comes from; (None,
    None) when no file sets it."""
    found: tuple[str | None, int | None] = (None, None)
    for parser in parse(config_files(conf)):
        for setting in parser.settings:
            if (setting.section, setting.name) == (normalize(group), name):
                found = (setting.path, setting.line)
    return found


def parse(files: Sequence[str]) -> list[FileParser]:
    """Each file parsed; raises cfg.ConfigFileParseError as oslo.config
    would."""
    parsers = []
    for path in files:
        parser = FileParser(path)
        try:
            parser.parse()
        except cfg.iniparser.ParseError as exc:
            raise cfg.ConfigFileParseError(path, str(exc)) from exc
        parsers.append(parser)
    return parsers
