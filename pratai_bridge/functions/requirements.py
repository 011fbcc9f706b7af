"""The policy for a function's requirements.txt: specifiers only.

Requirements are package names with versions, extras and markers only.
Lines that pip would read as options (``--index-url``, ``-r other.txt``,
``-e``) or direct references (``pkg @ file:///...``, a path, a URL) are
refused: they would make the host fetch from, or read files at, places
the function's author chose.
"""

import re

from packaging import requirements as pkg_requirements

from pratai_bridge.functions.package import PackageError
from pratai_bridge.functions.package import REQUIREMENTS

__all__ = ['RequirementsError', 'check_requirements']


class RequirementsError(PackageError):
    """A line of requirements.txt is refused; the message names it."""


def check_requirements(text: str) -> list[str]:
    """The requirement specifiers of a requirements.txt, normalized.

    Raises RequirementsError naming the line of an option, a direct
    reference or a line that is not a requirement.
    """
    wanted = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r'(^|\s)#.*$', '', raw).strip()
        if not line:
            continue
        where = f'{REQUIREMENTS} line {number}'
        if line.startswith('-') or line.endswith('\\'):
            raise RequirementsError(
                f'{where}: pip options are not allowed, only requirements '
                f'such as "six>=1.16" ({line})')
        try:
            requirement = pkg_requirements.Requirement(line)
        except pkg_requirements.InvalidRequirement as exc:
            raise RequirementsError(
                f'{where}: not a requirement ({exc})') from exc
        if requirement.url:
            raise RequirementsError(f'{where}: direct references (URLs, '
                                    f'paths) are not allowed ({line})')
        wanted.append(str(requirement))
    return wanted
