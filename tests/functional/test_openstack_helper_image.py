"""pratai_openstack in a function image built by the docker runner.

The helper sits beside the runtime in the image (/opt/pratai) and is
importable by a function: it gives the run's request id, and says
NoCredential for a run whose subscription names no credential (before
it would import keystoneauth1, which a function that uses the session
lists in its requirements; the test's package index holds no
keystoneauth1, so the session itself is tested in
tests/unit/runtime/test_pratai_openstack.py and, against the real
Keystone and Swift, in tests/functional/test_openstack_daemon.py).
"""

from pratai_bridge.runners import base
from tests.functional.docker_engine import prepared
from tests.unit.runners.helpers import limits

HANDLER = '''
import pratai_openstack


def main(payload=None):
    try:
        pratai_openstack.session(payload)
    except pratai_openstack.NoCredential as exc:
        refused = str(exc)
    return {'helper': pratai_openstack.__file__, 'refused': refused,
            'request_id': pratai_openstack.request_id(payload)}
'''

REQUEST_ID = 'req-6f1c8a4e-2d6b-4c8e-9a0e-1f2d3c4b5a69'


def test_the_helper_is_in_the_image(runner):
    function = prepared(runner, 'openstack-helper', {'handler.py': HANDLER})
    outcome = runner.run(function, {'request_id': REQUEST_ID},
                         limits(timeout_s=60))
    assert outcome.status == base.SUCCEEDED, outcome
    assert outcome.result == {
        'helper': '/opt/pratai/pratai_openstack.py',
        'refused': 'this run was handed no credential: its subscription '
                   'names none (credential: NAME)',
        'request_id': REQUEST_ID}
