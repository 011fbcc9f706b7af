"""Act on the cloud from a pratai function, with what the bridge handed it.

A subscription that names a credential (``credential: NAME``) has each run
of its function handed, in the payload, a token scoped to that
credential's project, never the secret::

    payload['credential'] = {
        'token': 'gAAAAAB...', 'expires_at': '2026-12-01T12:00:00.000000Z',
        'project_id': '...', 'project_name': '...', 'user_id': '...',
        'auth_url': 'http://keystone:5000/v3',
        'catalog': [{'type': 'object-store', 'endpoints': [...]}, ...]}
    payload['request_id'] = 'req-...'   # every run has one

:func:`session` turns it into a ready keystoneauth1 session, which finds
endpoints in the catalog and sends the request id with every call::

    import pratai_openstack

    def main(payload):
        session = pratai_openstack.session(payload)
        resp = session.get('/', endpoint_filter={
            'service_type': 'object-store', 'interface': 'public'},
            params={'format': 'json'})
        return [c['name'] for c in resp.json()]

The request id matters: the notifications your calls cause carry it, and
the bridge uses it to stop a function whose actions run it again and
again (``[dispatcher] max_chain_depth``). A client that makes its own
HTTP requests (python-swiftclient given only a token and a URL) should
send ``headers={'X-OpenStack-Request-ID': request_id(payload)}`` itself.

keystoneauth1 is imported only when :func:`session` is called: a function
that uses it lists ``keystoneauth1`` in its ``requirements.txt`` (the
image build installs it, never the run). The token cannot be renewed by
the function: it is valid for the run's timeout plus the bridge's
``[credentials] min_validity``.
"""

__all__ = ['NoCredential', 'request_id', 'session']

_REQUEST_ID_HEADER = 'X-OpenStack-Request-ID'


class NoCredential(LookupError):
    """The run was handed no credential: its subscription names none."""


def request_id(payload):
    """The run's OpenStack request id (``req-<uuid>``), or None."""
    return payload.get('request_id') if isinstance(payload, dict) else None


def session(payload, **session_kwargs):
    """A keystoneauth1 Session on the run's token; NoCredential when the
    subscription names no credential. ``session_kwargs`` go to Session
    (``timeout``, ``verify``...)."""
    credential = payload.get('credential') if isinstance(payload, dict) \
        else None
    if not isinstance(credential, dict) or not credential.get('token'):
        raise NoCredential('this run was handed no credential: its '
                           'subscription names none (credential: NAME)')
    from keystoneauth1 import access
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import access as access_plugin

    body = {'token': {
        'methods': ['token'],
        'expires_at': credential['expires_at'],
        'project': {'id': credential['project_id'],
                    'name': credential.get('project_name')},
        'user': {'id': credential.get('user_id')},
        'catalog': credential.get('catalog') or []}}
    auth = access_plugin.AccessInfoPlugin(
        access.create(body=body, auth_token=credential['token']),
        auth_url=credential.get('auth_url'))

    class _Session(ks_session.Session):
        """Sends the run's request id with every request."""

        def request(self, *args, **kwargs):
            kwargs.setdefault('global_request_id', request_id(payload))
            return super().request(*args, **kwargs)

    session_kwargs.setdefault('timeout', 30)
    return _Session(auth=auth, **session_kwargs)
