"""Pick the normalizer plugin for a notification and run it.

The plugins (namespace ``pratai_bridge.normalizers``) each declare the
exchanges and event-type globs they serve (see
:class:`pratai_bridge.events.base.Normalizer`). :class:`Normalizers` turns
those declarations into lookup tables once, in ``__init__``, because
selection runs for every message (about 10k/s): per message it is one dict
lookup, and only on the first message of an (exchange, event type) pair a
scan of the globs.

Selection: the normalizers serving the notification's exchange whose
globs match the event type, in the manager's order; the first whose
``accepts`` says yes wins. An exchange no plugin serves, or None (a file
read without ``--exchange`` whose exchange could not be guessed), counts
as unknown: then every plugin's globs are tried. When none fits, the
generic normalizer gives the common fields only, with the exchange as the
source (``unknown`` when there is none).

Concurrency: many listener threads call :meth:`Normalizers.normalize` at
once. The tables built in ``__init__`` are never changed; the memo of
candidates per (exchange, event type) only gains entries, each a complete
tuple stored by one dict assignment, so a reader sees an entry whole or
not at all (and at worst computes it twice).
"""

import fnmatch
import logging
import re

import stevedore

from pratai_bridge.events.base import NormalizationError
from pratai_bridge.events.base import Normalizer
from pratai_bridge.events.generic import GenericNormalizer
from pratai_bridge.events.model import Event
from pratai_bridge.events.model import Notification

__all__ = ['NAMESPACE', 'Normalizers']

LOG = logging.getLogger(__name__)

NAMESPACE = 'pratai_bridge.normalizers'
# Event types are few in a real cloud; the cap only bounds what a sender
# inventing event types could make the memo hold.
_MEMO_LIMIT = 4096

_Candidate = tuple[str, Normalizer, re.Pattern[str]]


def _raise_load_failure(manager, entrypoint, exc):
    # A normalizer that does not load would silently turn its events into
    # generic ones; stop at startup instead.
    raise RuntimeError(f'cannot load normalizer {entrypoint}: {exc}') from exc


class Normalizers:
    """The normalizer plugins, ready to select and run for a notification."""

    def __init__(self, manager: stevedore.ExtensionManager | None = None
                 ) -> None:
        if manager is None:
            manager = stevedore.ExtensionManager(
                NAMESPACE, invoke_on_load=True,
                on_load_failure_callback=_raise_load_failure)
        candidates: list[_Candidate] = []
        for extension in manager:
            plugin = extension.obj
            if not isinstance(plugin, Normalizer):
                raise TypeError(f'normalizer {extension.name} is not a '
                                'pratai_bridge.events.base.Normalizer')
            globs = re.compile('|'.join(
                fnmatch.translate(glob) for glob in plugin.event_types))
            candidates.append((extension.name, plugin, globs))
        #: all plugins, for an unknown exchange
        self._all = tuple(candidates)
        #: exchange -> the plugins serving it, in the manager's order
        self._by_exchange: dict[str, tuple[_Candidate, ...]] = {}
        for candidate in candidates:
            for exchange in candidate[1].exchanges:
                self._by_exchange[exchange] = (
                    self._by_exchange.get(exchange, ()) + (candidate,))
        #: (exchange, event type) -> candidates whose globs match; grows
        #: only, up to _MEMO_LIMIT entries
        self._memo: dict[tuple[str | None, str | None],
                         tuple[tuple[str, Normalizer], ...]] = {}
        self._generic = GenericNormalizer()

    @property
    def names(self) -> tuple[str, ...]:
        """The loaded plugins' names, in selection order."""
        return tuple(name for name, _, _ in self._all)

    def select(self, notification: Notification) -> Normalizer:
        """The normalizer for ``notification`` (the generic one if none)."""
        return self._select(notification)[1]

    def normalize(self, notification: Notification) -> Event:
        """The Event for ``notification``; raises NormalizationError."""
        name: str = 'generic'
        normalizer: Normalizer = self._generic
        try:
            name, normalizer = self._select(notification)
            event = normalizer.normalize(notification)
        except NormalizationError:
            raise
        except Exception as exc:
            # A plugin bug must not take the listener down; the message is
            # parked as rejected, with the reason, for an operator to see.
            LOG.exception('Normalizer %s failed on message %s (%s); '
                          'rejecting it', name, notification.message_id,
                          notification.event_type)
            raise NormalizationError(
                f'normalizer {name} failed: {exc!r}') from exc
        if not isinstance(event, Event):
            raise NormalizationError(
                f'normalizer {name} returned {type(event).__name__}, '
                'not an Event')
        return event

    def _select(self, notification: Notification
                ) -> tuple[str, Normalizer]:
        key = (notification.exchange, notification.event_type)
        if not all(part is None or isinstance(part, str) for part in key):
            # Not from decode; the generic normalizer says what is wrong.
            return 'generic', self._generic
        candidates = self._memo.get(key)
        if candidates is None:
            candidates = self._candidates(*key)
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[key] = candidates
        for name, normalizer in candidates:
            if normalizer.accepts(notification):
                return name, normalizer
        return 'generic', self._generic

    def _candidates(self, exchange: str | None, event_type: str | None
                    ) -> tuple[tuple[str, Normalizer], ...]:
        if not event_type:
            return ()
        serving = self._by_exchange.get(exchange or '', self._all)
        return tuple((name, normalizer)
                     for name, normalizer, globs in serving
                     if globs.match(event_type))
