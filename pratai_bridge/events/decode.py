"""Turn what oslo.messaging delivers, or a JSON file, into a Notification.

The listener path (:func:`from_listener`) is hot and takes the dict a
batch endpoint receives. The file path (:func:`load_file`,
:func:`from_document`) serves the CLI's ``replay`` and ``subscriptions
match`` and the tests, and reads every form a notification is written down
in (../shared/notification-samples/README.md):

* A, sample form: ``{event_type, payload, priority, publisher_id}``,
  sometimes with ``metadata``;
* B, the decoded ``oslo.message``: ``message_id`` and ``timestamp`` at the
  top, one ``_context_<key>`` per context field, ``_unique_id``;
* C, listener form: ``{ctxt, publisher_id, event_type, payload,
  metadata: {message_id, timestamp}}``;
* the AMQP body itself, ``{"oslo.version": "2.0", "oslo.message": "..."}``
  (the ``messagingv2`` driver), and the bare dict of the 1.0 ``messaging``
  driver, which is form B.

Everything unusable raises :class:`DecodeError`, never another exception.
"""

import fnmatch
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from pratai_bridge.events import nova_legacy
from pratai_bridge.events.model import Notification

__all__ = ['DecodeError', 'from_document', 'from_listener', 'infer_exchange',
           'load_file']

_CONTEXT_PREFIX = '_context_'
_METADATA_KEYS = ('message_id', 'timestamp')
# oslo.messaging sends INFO unless told otherwise; files often leave it out.
_DEFAULT_PRIORITY = 'info'
_WIRE_MAJOR = '2'

_SWIFT_PUBLISHERS = frozenset(('ceilometermiddleware',))
_AODH_SERVICES = frozenset(('aodh', 'alarming'))
# Nova's legacy publisher_id is '<service>.<host>' (nova/rpc.py); 'network'
# and 'api' are left out because Neutron and others use them too.
_NOVA_SERVICES = frozenset(('nova', 'compute', 'scheduler', 'conductor',
                            'cells', 'consoleauth'))


def _globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile('|'.join(fnmatch.translate(p) for p in patterns))


_EVENT_TYPE_EXCHANGES = (
    (_globs(('objectstore.*',)), 'swift'),
    (_globs(('alarm.*',)), 'aodh'),
    (_globs(nova_legacy.NOVA_EVENT_TYPES), 'nova'),
)


class DecodeError(ValueError):
    """The message or document is not a notification; the text says why."""


def infer_exchange(publisher_id: str | None,
                   event_type: str | None) -> str | None:
    """Guess the exchange a notification was sent on; None if unsure.

    The publisher decides first (``ceilometermiddleware``; ``aodh.*`` and
    ``alarming.*``; ``nova-<binary>:<host>`` and ``compute.<host>``), then
    the event type (``objectstore.*``, ``alarm.*``, Nova's event types).
    """
    if isinstance(publisher_id, str):
        service = re.split('[.:]', publisher_id, maxsplit=1)[0]
        if service in _SWIFT_PUBLISHERS:
            return 'swift'
        if service in _AODH_SERVICES:
            return 'aodh'
        if service in _NOVA_SERVICES or service.startswith('nova-'):
            return 'nova'
    if isinstance(event_type, str):
        for pattern, exchange in _EVENT_TYPE_EXCHANGES:
            if pattern.match(event_type):
                return exchange
    return None


def from_listener(exchange: str | None, priority: str,
                  message: Mapping[str, Any]) -> Notification:
    """One message as a batch notification endpoint receives it.

    ``message`` is ``{ctxt, publisher_id, event_type, payload, metadata}``
    and ``priority`` the endpoint method's name. ``exchange`` None is
    guessed with :func:`infer_exchange`.
    """
    if not isinstance(message, Mapping):
        raise DecodeError(
            f'message must be a dict, not {type(message).__name__}')
    metadata = _mapping(message.get('metadata'), 'metadata')
    return _notification(
        exchange, priority, message,
        ctxt=_mapping(message.get('ctxt'), 'ctxt'),
        metadata={key: metadata[key] for key in _METADATA_KEYS
                  if metadata.get(key) is not None})


def from_document(doc: Mapping[str, Any],
                  exchange: str | None = None) -> Notification:
    """A notification written down in any of the forms the module lists.

    ``exchange`` is guessed with :func:`infer_exchange` when not given.
    """
    if not isinstance(doc, Mapping):
        raise DecodeError('a notification must be a JSON object, '
                          f'not {type(doc).__name__}')
    if 'oslo.message' in doc or 'oslo.version' in doc:
        doc = _unwrap_wire(doc)
    ctxt = dict(_mapping(doc.get('ctxt'), 'ctxt'))
    ctxt.update((key[len(_CONTEXT_PREFIX):], value)
                for key, value in doc.items()
                if isinstance(key, str) and key.startswith(_CONTEXT_PREFIX))
    given = _mapping(doc.get('metadata'), 'metadata')
    metadata = {}
    for key in _METADATA_KEYS:
        if given.get(key) is not None:
            metadata[key] = given[key]
        elif doc.get(key) is not None:
            metadata[key] = doc[key]
    return _notification(exchange, doc.get('priority', _DEFAULT_PRIORITY),
                         doc, ctxt=ctxt, metadata=metadata)


def load_file(path: str | os.PathLike[str],
              exchange: str | None = None) -> Notification:
    """Read a JSON notification file, resolving Nova's ``$ref``s.

    A ``{"$ref": "other.json#", ...}`` dict is replaced by that file's
    document (the path is relative to the directory of the file holding
    the ref, and refs in it are resolved the same way), with the dict's
    other keys deep-merged over it: nested dicts merge key by key, any
    other value replaces. This is nova/tests/json_ref.py's rule, which
    Nova's notification samples are written for.
    """
    path = os.path.normpath(os.fspath(path))
    try:
        doc = _resolve(_read_json(path), os.path.dirname(path), (path,))
        return from_document(doc, exchange)
    except DecodeError as exc:
        raise DecodeError(f'{path}: {exc}') from None
    except RecursionError:
        raise DecodeError(f'{path}: nested too deeply') from None


def _notification(exchange: str | None, priority: Any,
                  fields: Mapping[str, Any], *, ctxt: Mapping[str, Any],
                  metadata: dict[str, Any]) -> Notification:
    """Check the common fields and build the Notification."""
    event_type = fields.get('event_type')
    if not isinstance(event_type, str) or not event_type:
        raise DecodeError('no event_type (it must be a non-empty string)')
    if 'payload' not in fields:
        raise DecodeError('no payload')
    if not isinstance(priority, str) or not priority.strip():
        raise DecodeError('priority must be a non-empty string')
    if not (exchange is None or isinstance(exchange, str)):
        raise DecodeError('exchange must be a string')
    message_id = metadata.get('message_id')
    if not (message_id is None or isinstance(message_id, str)):
        raise DecodeError('message_id must be a string')
    if message_id == '':
        del metadata['message_id']
    publisher_id = _optional_str(fields, 'publisher_id')
    return Notification(
        exchange=exchange or infer_exchange(publisher_id, event_type),
        priority=priority.strip().lower(), publisher_id=publisher_id,
        event_type=event_type, payload=fields['payload'],
        metadata=metadata, ctxt=ctxt)


def _unwrap_wire(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The dict inside an oslo.messaging 2.0 envelope."""
    version = body.get('oslo.version')
    if not isinstance(version, str) or version.split('.')[0] != _WIRE_MAJOR:
        raise DecodeError(
            f'unsupported oslo.version {version!r} (expected 2.x)')
    inner = body.get('oslo.message')
    if not isinstance(inner, str):
        raise DecodeError('oslo.message must be a JSON string')
    try:
        doc = json.loads(inner)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f'oslo.message is not valid JSON: {exc}') from None
    if not isinstance(doc, dict):
        raise DecodeError('oslo.message must hold a JSON object')
    return doc


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DecodeError(
            f'{what} must be a JSON object, not {type(value).__name__}')
    return value


def _optional_str(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None or isinstance(value, str):
        return value
    raise DecodeError(f'{key} must be a string, not {type(value).__name__}')


def _read_json(path: str) -> Any:
    try:
        with open(path, 'rb') as f:
            return json.load(f)
    except OSError as exc:
        raise DecodeError(f'cannot read: {exc.strerror}') from None
    except ValueError as exc:
        raise DecodeError(f'not valid JSON: {exc}') from None


def _resolve(value: Any, base_dir: str, chain: tuple[str, ...]) -> Any:
    """``value`` with every ``$ref`` replaced (see :func:`load_file`)."""
    if isinstance(value, list):
        return [_resolve(item, base_dir, chain) for item in value]
    if not isinstance(value, dict):
        return value
    if '$ref' not in value:
        return {key: _resolve(item, base_dir, chain)
                for key, item in value.items()}
    target = _load_ref(value['$ref'], base_dir, chain)
    overrides = {key: item for key, item in value.items() if key != '$ref'}
    if not overrides:
        return target
    if not isinstance(target, dict):
        raise DecodeError(f'$ref {value["$ref"]!r} is not a JSON object, '
                          'so it cannot take overrides')
    _merge(target, _resolve(overrides, base_dir, chain))
    return target


def _load_ref(ref: Any, base_dir: str, chain: tuple[str, ...]) -> Any:
    if not isinstance(ref, str):
        raise DecodeError(f'$ref must be a string, not {ref!r}')
    name, _, pointer = ref.partition('#')
    if pointer:
        raise DecodeError(
            f'$ref {ref!r}: a JSON pointer after "#" is not supported')
    path = os.path.normpath(os.path.join(base_dir, name))
    if not name or path in chain:
        raise DecodeError(f'$ref {ref!r} refers back to {path}')
    try:
        doc = _read_json(path)
    except DecodeError as exc:
        raise DecodeError(f'$ref {ref!r}: {path}: {exc}') from None
    return _resolve(doc, os.path.dirname(path), chain + (path,))


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Deep-merge ``overrides`` into ``base``: dicts by key, else replace."""
    for key, value in overrides.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            _merge(base[key], value)
        else:
            base[key] = value
