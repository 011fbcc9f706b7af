"""Credentials functions act with: project-scoped tokens, never secrets."""

from pratai_bridge.credentials.broker import CredentialBroker
from pratai_bridge.credentials.broker import CredentialError
from pratai_bridge.credentials.broker import CredentialUnavailable
from pratai_bridge.credentials.broker import IssuedToken
from pratai_bridge.credentials.handoff import Handoff

__all__ = ['CredentialBroker', 'CredentialError', 'CredentialUnavailable',
           'Handoff', 'IssuedToken']
