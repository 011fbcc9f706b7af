"""The bridge's OpenStack clients, built once per process from its options.

One :class:`~pratai_bridge.keystone.Sessions` for the process, so that
every client sharing an auth section (``[nova] auth_section = swift``)
shares one keystoneauth1 plugin and token: the swift store, the Nova
enricher (``[nova]``) and the credential broker (``[credential:NAME]``).
Each is built only when configured: no ``[nova] auth_type`` (or
``auth_section``), no enricher; no ``[credentials] names``, no broker.
Nothing connects here.
"""

import dataclasses

from oslo_config import cfg

from pratai_bridge import keystone
from pratai_bridge.conf import nova as nova_conf
from pratai_bridge.credentials import CredentialBroker
from pratai_bridge.credentials import Handoff
from pratai_bridge.enrich import MatchStage
from pratai_bridge.enrich.nova import ServerEnricher
from pratai_bridge.functions.store import _swift_auth

__all__ = ['Clients', 'build']


@dataclasses.dataclass(frozen=True)
class Clients:
    """What the service hands its stages."""

    sessions: keystone.Sessions
    enricher: ServerEnricher | None
    broker: CredentialBroker | None

    def stage(self) -> MatchStage:
        """The pipeline's match step, enriching with ``enricher``."""
        return MatchStage(self.enricher)

    def handoff(self) -> Handoff:
        """The dispatcher's payload maker, with ``broker``'s tokens."""
        return Handoff(self.broker)


def build(conf: cfg.ConfigOpts) -> Clients:
    """The clients ``conf`` configures; raises CredentialError for a
    misconfigured credential, keystoneauth1's errors for [nova]."""
    sessions = keystone.Sessions(conf, loaders=_swift_auth.LOADERS)
    nova = conf[nova_conf.GROUP]
    enricher = None
    if nova.auth_type or nova.auth_section:
        enricher = ServerEnricher(conf, session=sessions.get(nova_conf.GROUP))
    broker = CredentialBroker(conf, sessions) if conf.credentials.names \
        else None
    return Clients(sessions, enricher, broker)
