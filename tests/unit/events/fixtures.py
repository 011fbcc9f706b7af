"""Small hand-written notifications, one per source and form.

They mirror the shapes of the notification samples (tests/fixtures, see
their README) with only the fields the normalizers read, so the core
tests read small, obvious inputs.
"""

import copy
import json
from typing import Any

PROJECT = '6f70656e737461636b20342065766572'
USER = '3d0c8a7c8bcf4e63a1f4d7e2d0d3f2a1'
INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c'
ALARM = 'e1bb25ac-ff94-4427-8975-e65aedc9c1b4'

# Form B (decoded oslo.message), Nova legacy.
NOVA_LEGACY = {
    '_context_project_id': 'ctxt-project',
    '_context_user_id': 'ctxt-user',
    '_context_request_id': 'req-1',
    '_unique_id': '2af47cbdde604ff794bb046f3f9db1e2',
    'event_type': 'compute.instance.create.end',
    'message_id': 'dae6f69c-00e0-41c0-b371-41ec3b7f4451',
    'payload': {
        'tenant_id': PROJECT, 'user_id': USER, 'instance_id': INSTANCE,
        'state': 'active', 'state_description': '', 'host': 'compute-1',
        'display_name': 'vm1', 'instance_type': 'm1.tiny',
    },
    'priority': 'INFO',
    'publisher_id': 'compute.compute-1',
    'timestamp': '2012-05-08 20:23:48.028195',
}

# Form A (sample form), Nova versioned, an instance update.
NOVA_VERSIONED = {
    'event_type': 'instance.update',
    'payload': {
        'nova_object.name': 'InstanceUpdatePayload',
        'nova_object.namespace': 'nova',
        'nova_object.version': '1.10',
        'nova_object.data': {
            'uuid': INSTANCE, 'tenant_id': PROJECT, 'user_id': 'fake',
            'state': 'active', 'task_state': None, 'host': 'compute',
            'node': 'fake-mini', 'display_name': 'some-server',
            'state_update': {
                'nova_object.name': 'InstanceStateUpdatePayload',
                'nova_object.data': {'old_state': 'building',
                                     'state': 'active',
                                     'old_task_state': None,
                                     'new_task_state': None},
            },
        },
    },
    'priority': 'INFO',
    'publisher_id': 'nova-compute:compute',
}

# Form B, Swift via ceilometermiddleware, a PUT.
SWIFT = {
    '_unique_id': '2314daa8809e4db58e9419f0cb27d47b',
    'event_type': 'objectstore.http.request',
    'message_id': '14c948fb-ff16-4e66-8cd9-26da816ae486',
    'payload': {
        'action': 'update', 'eventTime': '2026-11-28T03:02:28.176797',
        'outcome': 'success',
        'initiator': {'id': USER, 'project_id': PROJECT},
        'target': {
            'action': 'put', 'id': PROJECT,
            'metadata': {'path': f'v1/AUTH_{PROJECT}/backups/a/b.tgz',
                         'version': 'v1', 'container': 'backups',
                         'object': 'a/b.tgz'},
        },
        'measurements': [
            {'metric': {'name': 'storage.api.request'}, 'result': 1},
            {'metric': {'name': 'storage.objects.incoming.bytes'},
             'result': 4096},
        ],
    },
    'priority': 'INFO',
    'publisher_id': 'ceilometermiddleware',
    'timestamp': '2026-11-28 03:02:28.177383',
}

# Form B, Aodh evaluator state transition: detail is a JSON string.
AODH_TRANSITION = {
    'event_type': 'alarm.state_transition',
    'message_id': 'b65222d5-2283-4204-a158-8c60e419954d',
    'payload': {
        'alarm_id': ALARM, 'type': 'state transition', 'severity': 'low',
        'detail': json.dumps({'state': 'alarm',
                              'transition_reason': 'too hot'}),
        'project_id': PROJECT, 'user_id': USER,
        'timestamp': '2026-11-28T03:02:27.505318',
    },
    'priority': 'INFO',
    'publisher_id': 'aodh.evaluator',
    'timestamp': '2026-11-28 03:02:27.507660',
}

# Form B, Aodh evaluator -> notifier.
AODH_UPDATE = {
    'event_type': 'alarm.update',
    'message_id': 'b8e39f28-f655-41f8-93fe-b41ece2680b3',
    'payload': {
        'actions': ['http://127.0.0.1:18080/scale-up'],
        'alarm_id': ALARM, 'alarm_name': 'cpu_hi', 'severity': 'low',
        'previous': 'ok', 'current': 'alarm', 'reason': 'too hot',
        'reason_data': {'type': 'threshold', 'count': 3},
    },
    'priority': 'SAMPLE',
    'publisher_id': 'alarming.evaluator',
    'timestamp': '2026-11-28 03:02:27.507752',
}


def listener_form(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (form B) as a batch endpoint receives it (form C)."""
    return {
        'ctxt': {k[len('_context_'):]: v for k, v in doc.items()
                 if k.startswith('_context_')},
        'publisher_id': doc['publisher_id'],
        'event_type': doc['event_type'],
        'payload': copy.deepcopy(doc['payload']),
        'metadata': {'message_id': doc.get('message_id'),
                     'timestamp': doc.get('timestamp')},
    }


def wire_body(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (form B) as the messagingv2 driver puts it on the wire."""
    return {'oslo.version': '2.0', 'oslo.message': json.dumps(doc)}


def fresh(doc: dict[str, Any]) -> dict[str, Any]:
    """A deep copy, for tests that change a fixture."""
    return copy.deepcopy(doc)
