"""``notify``: send notification files onto the bus as their sources do."""

import oslo_messaging
from cliff import lister

from pratai_bridge import publish
from pratai_bridge.manage import _common


class Notify(lister.Lister):
    """Publish notification files with a real oslo.messaging Notifier.

    Each goes to its source's exchange and topic (--exchange and --topic
    override), so a running bridge, and anything else listening, receives
    it as if Nova, Swift or Aodh had sent it, with a new message_id.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _common.add_notification_arguments(parser)
        parser.add_argument('--topic', metavar='TOPIC',
                            help='Topic to send on (default: the one the '
                                 'source uses for this notification).')
        return parser

    def take_action(self, parsed_args):
        notifications = _common.read_notifications(parsed_args)
        unknown = [path for path, n in notifications if not n.exchange]
        if unknown:
            raise _common.CommandError(
                f'{unknown[0]}: cannot tell the source; give --exchange')
        conf = _common.conf(self.app)
        # Registers [DEFAULT] transport_url and the notifications group.
        oslo_messaging.get_notification_transport(conf).cleanup()
        url = (conf.oslo_messaging_notifications.transport_url or
               conf.transport_url)
        publisher = publish.Publisher(url)
        rows = []
        try:
            for path, notification in notifications:
                topic = (parsed_args.topic or
                         publish.default_topic(notification))
                publisher.send(notification, topic)
                rows.append((path, notification.exchange, topic,
                             notification.priority, notification.event_type))
        finally:
            publisher.close()
        return ('file', 'exchange', 'topic', 'priority', 'event_type'), rows
