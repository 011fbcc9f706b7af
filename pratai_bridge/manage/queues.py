"""``queues list|purge|delete``: the bridge's own queues on RabbitMQ.

The queues are ``<pool>.<exchange>`` for each exchange of ``[listener]
targets`` (see :mod:`pratai_bridge.queues`); ``--pool`` names another pool,
such as that of a bridge that is gone, whose queues otherwise fill
forever.
"""

from cliff import lister

from pratai_bridge.manage import _common


def _add_pool(parser) -> None:
    parser.add_argument(
        '--pool', metavar='NAME',
        help='The pool whose queues to act on (default: [listener] pool).')


def _queues(app, pool: str | None, act):
    """``act(broker, [(queue, exchange)...])``: the rows of a listing."""
    from pratai_bridge import queues
    conf = _common.conf(app)
    try:
        names = queues.bridge_queues(conf, pool)
        with queues.Queues(conf) as broker:
            return act(broker, names)
    except (queues.BrokerError, ValueError) as exc:
        raise _common.CommandError(str(exc)) from exc


class List(lister.Lister):
    """List the bridge's queues: messages waiting, consumers.

    A queue that does not exist (yet) shows no counts; nothing is created.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_pool(parser)
        return parser

    def take_action(self, parsed_args):
        def show(broker, names):
            return [(q.name, q.exchange, q.exists, q.messages, q.consumers)
                    for q in (broker.show(*each) for each in names)]
        return (('queue', 'exchange', 'exists', 'messages', 'consumers'),
                _queues(self.app, parsed_args.pool, show))


class Purge(lister.Lister):
    """Drop the messages waiting in the bridge's queues."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_pool(parser)
        return parser

    def take_action(self, parsed_args):
        def purge(broker, names):
            return [(name, exchange, broker.purge(name))
                    for name, exchange in names]
        return (('queue', 'exchange', 'purged'),
                _queues(self.app, parsed_args.pool, purge))


class Delete(lister.Lister):
    """Delete the bridge's queues (and the messages in them).

    Refuses a queue that has consumers (a bridge running on the pool)
    unless --force. A bridge that starts again declares its queues anew,
    and receives only what is sent from then on.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_pool(parser)
        parser.add_argument('--force', action='store_true',
                            help='Delete queues that have consumers too.')
        return parser

    def take_action(self, parsed_args):
        def delete(broker, names):
            if not parsed_args.force:
                # All or nothing: refuse before deleting any.
                for name, _exchange in names:
                    broker.check_unused(name)
            return [(name, exchange, broker.delete(name, parsed_args.force))
                    for name, exchange in names]
        return (('queue', 'exchange', 'deleted_messages'),
                _queues(self.app, parsed_args.pool, delete))
