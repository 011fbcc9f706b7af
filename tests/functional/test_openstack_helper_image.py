"""pratai_openstack in a function image built by the docker runner.

A function listing keystoneauth1 in its requirements gets it installed
at build time (host wheels), finds the helper beside the runtime in the
image, and builds a session from the payload's credential, with the
network off: the endpoint comes from the handed catalog, and the request
id is what every call would send. (The calls themselves, against the
real Keystone and Swift, are tests/functional/test_openstack_daemon.py.)
"""

from pratai_bridge.runners import base
from tests.functional.docker_engine import prepared
from tests.unit.runners.helpers import limits

HANDLER = '''
import pratai_openstack


def main(payload=None):
    session = pratai_openstack.session(payload)
    return {
        'helper': pratai_openstack.__file__,
        'endpoint': session.get_endpoint(service_type='object-store',
                                         interface='public'),
        'project_id': session.get_project_id(),
        'request_id': pratai_openstack.request_id(payload),
    }
'''

URL = 'http://swift.example.invalid:8080/v1/AUTH_p'
PAYLOAD = {
    'request_id': 'req-6f1c8a4e-2d6b-4c8e-9a0e-1f2d3c4b5a69',
    'credential': {
        'token': 'gAAAA-token', 'expires_at': '2099-01-01T00:00:00.000000Z',
        'project_id': 'p', 'project_name': 'demo', 'user_id': 'u',
        'auth_url': 'http://keystone.example.invalid:5000/v3',
        'catalog': [{'type': 'object-store', 'name': 'swift', 'id': 's',
                     'endpoints': [{'interface': 'public', 'url': URL,
                                    'region': 'RegionOne',
                                    'region_id': 'RegionOne',
                                    'id': 'e'}]}]}}


def test_the_helper_and_keystoneauth1_in_the_image(runner):
    function = prepared(runner, 'openstack-helper', {
        'handler.py': HANDLER, 'requirements.txt': 'keystoneauth1\n'})
    outcome = runner.run(function, PAYLOAD, limits(timeout_s=60))
    assert outcome.status == base.SUCCEEDED, outcome
    assert outcome.result == {
        'helper': '/opt/pratai/pratai_openstack.py', 'endpoint': URL,
        'project_id': 'p', 'request_id': PAYLOAD['request_id']}
