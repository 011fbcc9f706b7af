"""The policy for a function's requirements.txt: specifiers only.

A line is a requirement specifier, as :mod:`packaging.requirements`
parses it: a name, extras, versions, markers; or a comment or nothing.
Everything else pip would read is refused, with the line and why:

* options of any kind, on a line of their own or after a requirement
  (``-i``, ``--index-url``, ``--extra-index-url``, ``-f``, ``-e``, ``-r``,
  ``-c``, ``--trusted-host``, ``--hash``): they would make the host fetch
  from, or read files at, places the function's author chose;
* direct references (``pkg @ https://...``), URLs and local paths
  (``./dir``, ``/etc/passwd``, ``pkg.whl``): the same;
* ``${...}`` anywhere, comments included: pip replaces ``${NAME}`` with
  the variable of its own environment, and its output (an error naming
  the version it could not find) would hand that to the author;
* line continuations (a trailing backslash), which would join a checked
  line to the next.

The build never reads the zip's file: it installs the normalized
specifiers :func:`check_requirements` returns.
"""

import re

from packaging import requirements as pkg_requirements

from pratai_bridge.functions._errors import PackageError

__all__ = ['REQUIREMENTS', 'RequirementsError', 'check_requirements']

REQUIREMENTS = 'requirements.txt'

# pip's own comment rule: '#' at the start or after whitespace.
_COMMENT = re.compile(r'(^|\s)#.*$')
# An option: a word starting with '-' at the start or after whitespace.
_OPTION = re.compile(r'(^|\s)-')
_URL = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*://')
# What pip takes for a file when a "name" ends so (packaging allows dots).
_ARCHIVE = re.compile(r'\.(whl|zip|tar|tgz|tbz|txz|tlz|tar\.(gz|bz2|xz|lz))$',
                      re.IGNORECASE)


class RequirementsError(PackageError):
    """A line of requirements.txt is refused; the message names it."""


def check_requirements(text: str) -> list[str]:
    """The requirement specifiers of a requirements.txt, normalized.

    Raises RequirementsError naming the line and why it is refused.
    """
    wanted = []
    for number, raw in enumerate(text.splitlines(), 1):
        where = f'{REQUIREMENTS} line {number}'
        if '${' in raw:
            raise RequirementsError(
                f'{where}: "${{" is not allowed anywhere (pip would put '
                'its environment\'s variables there)')
        line = _COMMENT.sub('', raw).strip()
        if not line:
            continue
        wanted.append(_check_line(where, line))
    return wanted


def _check_line(where: str, line: str) -> str:
    if _OPTION.search(line) or line.endswith('\\'):
        raise RequirementsError(
            f'{where}: pip options are not allowed, only requirements '
            f'such as "six>=1.16" ({line})')
    try:
        requirement = pkg_requirements.Requirement(line)
    except pkg_requirements.InvalidRequirement as exc:
        if _URL.search(line):
            raise RequirementsError(f'{where}: URLs are not allowed '
                                    f'({line})') from exc
        if '/' in line or line.startswith('.'):
            raise RequirementsError(f'{where}: local paths are not allowed '
                                    f'({line})') from exc
        raise RequirementsError(
            f'{where}: not a requirement ({exc})') from exc
    if requirement.url:
        raise RequirementsError(f'{where}: direct references (URLs, '
                                f'paths) are not allowed ({line})')
    if _ARCHIVE.search(requirement.name):
        raise RequirementsError(f'{where}: local paths are not allowed (pip '
                                f'reads {requirement.name} as a file)')
    return str(requirement)
