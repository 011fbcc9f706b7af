"""WSGI entry of the test Keystone: what gunicorn serves.

keystone parses ``sys.argv`` with oslo.config when its application is
built; under gunicorn that is gunicorn's own command line, keystone dies on
the unknown flags, and gunicorn respawns the worker forever. So the
arguments are cleared before keystone is imported. The configuration file
comes from ``OS_KEYSTONE_CONFIG_FILES`` (tools/services.py sets it).
"""

import sys

sys.argv = sys.argv[:1]

from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()
