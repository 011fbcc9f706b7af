"""An example function: greets the instance that came up.

pratai-bridge calls main() with the event as a dict: message_id, source,
event_type, timestamp, project_id, user_id, resource_id, details, the
original payload, and the name of the subscription that matched.
"""


def main(payload=None):
    payload = payload or {}
    details = payload.get('details') or {}
    print('handling', payload.get('event_type'))  # goes to the logs
    return {
        'greeting': 'hello, %s' % (details.get('display_name') or
                                   payload.get('resource_id')),
        'event_type': payload.get('event_type'),
        'instance': payload.get('resource_id'),
        'project': payload.get('project_id'),
        'subscription': payload.get('subscription'),
    }
