"""The error every package check raises (zip and requirements.txt alike).

Its own module so that the zip checks (package.py) can run the
requirements checks (requirements.py), whose errors are PackageErrors too.
"""

__all__ = ['PackageError']


class PackageError(ValueError):
    """The zip is refused; the message says why, in one line."""
