"""Build the rings of, and serve, the one-node Swift of tools/services.py.

This runs with the Python of the harness's Swift virtualenv (it imports
swift), never with the project's::

    allinone.py rings SWIFT_DIR NAME=PORT [NAME=PORT ...]
    allinone.py serve CONF [CONF ...]

``rings`` builds every ring in this one process: nine ``swift-ring-builder``
calls (create, add, rebalance per ring) cost about five seconds more.

``serve`` runs the stock account, container, object and proxy WSGI apps,
each on its own listening socket, as green threads of one eventlet
process, instead of the usual four server processes: the cluster is ready
sooner and there is one pid to stop. Each app is loaded and configured by
Swift's own ``check_config`` and ``run_server``, as ``swift-*-server
CONF --verbose`` with ``workers = 0`` would. Each conf file is named after
its server (``proxy-server.conf`` -> section ``proxy-server``).
"""

import os
import sys

# Resolve through the system resolver: eventlet's green DNS reads
# resolv.conf at import and doubles the start-up time.
os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')


def build_rings(swift_dir, ports):
    """Write NAME.builder and NAME.ring.gz for each NAME=PORT given."""
    from swift.common.ring import RingBuilder

    for name, port in ports.items():
        # Part power 8, one replica, min_part_hours 1: one device, d1.
        builder = RingBuilder(8, 1, 1)
        builder.add_dev({'id': 0, 'region': 1, 'zone': 1,
                         'ip': '127.0.0.1', 'port': port,
                         'device': 'd1', 'weight': 1.0})
        builder.rebalance()
        builder.save(os.path.join(swift_dir, name + '.builder'))
        builder.get_ring().save(os.path.join(swift_dir, name + '.ring.gz'))


def serve(conf_paths):
    """Serve every conf's app from this process until it is killed."""
    import eventlet
    import eventlet.hubs
    from swift.common import utils
    from swift.common import wsgi
    from swift.obj import server as object_server

    # run_server starts with use_hub(), which throws away the running hub
    # and every green thread waiting in it: harmless in a process that
    # serves one app, fatal to the other apps here. So the hub is picked
    # once, and later calls are ignored in a thread that already has one
    # (other threads, tpool's workers, still get theirs as usual).
    real_use_hub = eventlet.hubs.use_hub
    real_use_hub(utils.get_hub())

    def use_hub_once(mod=None):
        if not hasattr(eventlet.hubs._threadlocal, 'hub'):
            real_use_hub(mod)

    eventlet.hubs.use_hub = use_hub_once
    pool = eventlet.GreenPool()
    for path in conf_paths:
        section = os.path.basename(path).rsplit('.', 1)[0]
        extra = {}
        if section == 'object-server':
            # What swift-object-server passes: its replication semaphore.
            extra['global_conf_callback'] = (
                object_server.global_conf_callback)
        # check_config monkey-patches (once), loads the app to validate
        # it and sets up the console logger (verbose: no /dev/log here).
        conf, logger, global_conf, strategy = wsgi.check_config(
            path, section, verbose=True, **extra)
        sock = strategy.no_fork_sock()
        if sock is None:
            sys.exit(f'{path}: set workers = 0 to serve it here')
        pool.spawn(wsgi.run_server, conf, logger, sock,
                   global_conf=global_conf)
        print(f"serving {section} on {conf.get('bind_ip')}:"
              f"{conf.get('bind_port')}", file=sys.stderr, flush=True)
    pool.waitall()


def main(argv):
    if len(argv) >= 3 and argv[0] == 'rings':
        ports = dict(arg.split('=', 1) for arg in argv[2:])
        build_rings(argv[1], {k: int(v) for k, v in ports.items()})
        return 0
    if len(argv) >= 2 and argv[0] == 'serve':
        serve(argv[1:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
