import base64

import pytest

from pratai_bridge.ingress import auth
from pratai_bridge.ingress._http import HTTPError


def _basic(user, password):
    return 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode()


@pytest.mark.parametrize('header, presented', [
    ('Bearer s3cret', b's3cret'),
    ('bearer  s3cret ', b's3cret'),
    (_basic('pratai', 's3cret'), b's3cret'),
    (_basic('anyone', 'a:b'), b'a:b'),
    ('Basic !!!', b''),
    ('Digest x', b''),
    ('', b''),
])
def test_presented_token(header, presented):
    assert auth._presented({'HTTP_AUTHORIZATION': header}) == presented


def test_shared_token_lets_the_right_token_through():
    seen = []

    def app(environ, start_response):
        seen.append(environ)
        start_response('202 Accepted', [])
        return [b'']

    guarded = auth._SharedToken(app, 's3cret')
    statuses = []
    guarded({'HTTP_AUTHORIZATION': 'Bearer nope', 'REQUEST_METHOD': 'POST'},
            lambda status, headers, exc=None: statuses.append(status))
    guarded({'HTTP_AUTHORIZATION': 'Bearer s3cret'},
            lambda status, headers, exc=None: statuses.append(status))
    assert [s.split()[0] for s in statuses] == ['401', '202']
    assert len(seen) == 1


def test_identity_of_a_confirmed_token():
    environ = {'HTTP_X_IDENTITY_STATUS': 'Confirmed',
               'HTTP_X_PROJECT_ID': 'p', 'HTTP_X_USER_ID': 'u',
               'keystone.token_info': {'token': {
                   'OS-TRUST:trust': {'id': 't'}}}}
    assert auth.identity(environ) == {'project_id': 'p', 'user_id': 'u',
                                      'trust_id': 't'}
    # Headers a client sent itself are not an identity.
    assert auth.identity({'HTTP_X_PROJECT_ID': 'p'}) == {}


def test_roles():
    confirmed = {'HTTP_X_IDENTITY_STATUS': 'Confirmed',
                 'HTTP_X_ROLES': 'reader,member'}
    auth.require_role(confirmed, ['member'], '/v1/aodh')
    auth.require_role(confirmed, [], '/v1/aodh')
    auth.require_role({}, ['admin'], '/v1/events')  # no Keystone check
    with pytest.raises(HTTPError) as caught:
        auth.require_role(confirmed, ['admin'], '/v1/events')
    assert caught.value.status == 403
