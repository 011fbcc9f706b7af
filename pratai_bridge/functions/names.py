"""The rule every function name follows, in the CLI and in every store.

Names become object and directory names (``NAME/vN.zip``): the rule keeps
out slashes, a leading dot and anything a shell or URL would need quoted.
"""

import re

__all__ = ['NAME_PATTERN', 'InvalidName', 'check_name']

NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$')


class InvalidName(ValueError):
    """A function name breaks :data:`NAME_PATTERN`."""


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid function name, else raise."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidName(
            f'invalid function name {name!r}: 1 to 128 letters, digits, '
            '".", "_" or "-", starting with a letter or digit')
    return name
