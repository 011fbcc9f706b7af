"""The server an instance event is about, looked up in Nova.

For an instance event (source ``nova``, event type ``compute.instance.*``
or ``instance.*``, with the instance's uuid as resource id),
:meth:`ServerEnricher.server` fetches ``GET /servers/{id}`` with
python-novaclient through a keystoneauth1 session of ``[nova]`` and
returns what goes under ``server`` in the event document::

    {"id", "name", "status", "flavor", "image", "metadata", "tags",
     "addresses", "availability_zone", "created", "updated",
     "project_id", "user_id", "key_name"}

``flavor`` is Nova's embedded flavor at microversion 2.47 and later
(``{name, vcpus, ram, disk, ephemeral, swap, extra_specs}``), or
``{id}`` before; ``image`` is ``{id}``, or None for a server booted from
a volume; ``addresses`` is Nova's (network name -> list of
``{addr, version, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr}``). Tags need
microversion 2.26; before it ``tags`` is ``[]``.

Lookups are cached for ``[nova] cache_ttl`` seconds, a server not found
too (an event for a deleted server is common: ``delete.end``), made once
for callers asking together, and at most ``[nova] max_concurrency`` at a
time (:mod:`pratai_bridge.enrich._lookups`).

Failure never reaches the caller: a 404 gives None and a warning; any
other failure (Nova or Keystone down, 5xx, 401/403, a timeout) gives None
and a warning, and lookups pause for ``[nova] outage_backoff`` seconds,
so that an outage does not cost every event a timeout. The event goes on
without ``server``.
"""

import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
from oslo_config import cfg

from pratai_bridge import keystone
from pratai_bridge.conf import nova as nova_conf
from pratai_bridge.enrich._lookups import LookupStats
from pratai_bridge.enrich._lookups import Lookups
from pratai_bridge.enrich.stage import is_instance_event
from pratai_bridge.events.model import Event

__all__ = ['ServerEnricher', 'is_instance_event', 'shape']

LOG = logging.getLogger(__name__)

_FLAVOR_KEYS = ('id', 'vcpus', 'ram', 'disk', 'ephemeral', 'swap',
                'extra_specs')


def shape(server: Mapping[str, Any]) -> dict[str, Any]:
    """The ``server`` document of Nova's server show body."""
    flavor = server.get('flavor') or {}
    image = server.get('image')
    return {
        'id': server.get('id'),
        'name': server.get('name'),
        'status': server.get('status'),
        'flavor': {'name': flavor.get('original_name'),
                   **{key: flavor[key] for key in _FLAVOR_KEYS
                      if key in flavor}},
        # '' when the server was booted from a volume
        'image': {'id': image.get('id')} if isinstance(image, Mapping)
        else None,
        'metadata': dict(server.get('metadata') or {}),
        'tags': list(server.get('tags') or []),
        'addresses': server.get('addresses') or {},
        'availability_zone': server.get('OS-EXT-AZ:availability_zone'),
        'created': server.get('created'),
        'updated': server.get('updated'),
        'project_id': server.get('tenant_id'),
        'user_id': server.get('user_id'),
        'key_name': server.get('key_name'),
    }


class ServerEnricher:
    """Looks up the servers of instance events; thread safe, never raises.

    Built from ``[nova]``; nothing connects before the first lookup.
    ``session`` replaces the one loaded from ``[nova]`` (a shared one, see
    :class:`pratai_bridge.keystone.Sessions`); ``clock`` is for tests.
    """

    def __init__(self, conf: cfg.ConfigOpts,
                 session: ks_session.Session | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        options = conf[nova_conf.GROUP]
        if session is None:
            session = keystone.load_session(conf, nova_conf.GROUP)
        self._client = nova_client.Client(
            options.api_version, session=session,
            region_name=options.region_name,
            endpoint_type=options.interface,
            endpoint_override=options.endpoint_override, logger=LOG)
        self._clock = clock
        self._backoff = options.outage_backoff
        self._lookups: Lookups[str, dict[str, Any] | None] = Lookups(
            self._fetch, ttl=options.cache_ttl, size=options.cache_size,
            concurrency=options.max_concurrency, clock=clock)
        self._lock = threading.Lock()
        #: clock time before which no lookup is tried (guarded by _lock)
        self._paused_until = 0.0

    @property
    def stats(self) -> LookupStats:
        return self._lookups.stats

    def server(self, event: Event) -> dict[str, Any] | None:
        """The ``server`` of ``event``, or None (not an instance event,
        not found, or Nova unreachable: see the module docstring)."""
        if not is_instance_event(event):
            return None
        with self._lock:
            paused = self._clock() < self._paused_until
        if paused:
            LOG.debug('Event %s (%s): Nova lookups paused after an '
                      'outage; no server', event.message_id,
                      event.event_type)
            return None
        server_id = str(event.resource_id)
        try:
            return self._lookups.get(server_id)
        except (nova_exc.ClientException, ks_exc.ClientException,
                OSError) as exc:
            self._pause()
            LOG.warning('Event %s (%s): cannot look up server %s in Nova '
                        '(%s); going on without it, lookups paused for '
                        '%.0f s', event.message_id, event.event_type,
                        server_id, exc, self._backoff)
        except Exception:
            # A novaclient or keystoneauth1 bug must not lose the event.
            self._pause()
            LOG.exception('Event %s (%s): looking up server %s failed '
                          'unexpectedly; going on without it',
                          event.message_id, event.event_type, server_id)
        return None

    def _pause(self) -> None:
        with self._lock:
            self._paused_until = self._clock() + self._backoff

    def _fetch(self, server_id: str) -> dict[str, Any] | None:
        """Nova's server, shaped; None (cached too) when Nova says 404."""
        try:
            server = self._client.servers.get(server_id)
        except nova_exc.NotFound:
            LOG.warning('Server %s not found in Nova (deleted?); its '
                        'events go on without "server"', server_id)
            return None
        return shape(server.to_dict())
