#!/usr/bin/env python3
"""Start and stop the real services of pratai-bridge's functional tests.

::

    python3 tools/services.py start [docker] [memcached] [swift] [keystone]
                                    [swift-keystone] [all]
    python3 tools/services.py stop [NAME ...] [all]
    python3 tools/services.py status
    eval "$(python3 tools/services.py env)"

No name means all. Standard library only: this runs before the project's
virtualenv exists.

- A service that already answers is left alone, and ``stop`` never stops
  it: only what this harness started, by the pid it wrote, is stopped.
- Missing programs are installed: ``apt-get update`` once, then
  ``apt-get install -y`` (docker.io and mmdebstrap, memcached); Swift,
  ceilometermiddleware, python-swiftclient and keystoneauth1 go into a
  virtualenv of the state dir, reused afterwards.
- Everything listens on 127.0.0.1 (dockerd on its unix socket only).
- Swift is a one-node cluster, its four WSGI apps served by one process
  (tools/swift/allinone.py); its storage is wiped and memcached flushed
  on each start, and the start is verified with a tempauth token and an
  object PUT/GET round trip. ceilometermiddleware in its proxy publishes
  objectstore.http.request notifications to RabbitMQ (exchange swift).
- Keystone (tools/keystone/) is served by gunicorn on 127.0.0.1:5000, with
  SQLite and fernet tokens, from a virtualenv of its own in the state dir
  (keystone, gunicorn, and swift for the proxy below). Each start copies a
  prepared data directory (db_sync, fernet and credential keys, bootstrap:
  made once, ~9 s) and then provisions, through the API: the ``service``
  project, the ``swift`` service user and the object-store endpoint
  ``http://127.0.0.1:8081/v1/AUTH_$(project_id)s`` in RegionOne.
- swift-keystone is a second Swift proxy on 127.0.0.1:8081 in front of the
  same storage servers, authenticating with Keystone (authtoken +
  keystoneauth, operator roles admin and member, accounts AUTH_<project>);
  its start is verified with a Keystone token and a round trip.

State (pid files, logs, configs, the Swift venv and data) lives in
``$PRATAI_STATE_DIR``, by default ``<repo>/.state/services``. RabbitMQ is
not started here: the machines this runs on start it before a session.
"""

import argparse
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import fcntl

import _keystone
from _harness import HOST
from _harness import HTTP
from _harness import MEMCACHED_PORT
from _harness import REPO
from _harness import RING_PORTS
from _harness import SWIFT_TEMPLATES
from _harness import Service
from _harness import ServiceError
from _harness import State
from _harness import port_open
from _harness import render
from _harness import run
from _harness import say
from _harness import tail
from _harness import user_name
from _harness import wait_for

DOCKER_SOCKET = 'unix:///var/run/docker.sock'
PROXY_PORT = 8080
RABBIT_PORT = 5672
TRANSPORT_URL = os.environ.get(
    'PRATAI_TRANSPORT_URL', 'rabbit://guest:guest@127.0.0.1:5672/')
SWIFT_PACKAGES = ['swift', 'ceilometermiddleware', 'python-swiftclient',
                  'keystoneauth1']
SWIFT_USER, SWIFT_KEY = 'test:tester', 'testing'
AUTH_URL = f'http://{HOST}:{PROXY_PORT}/auth/v1.0'


class Docker(Service):
    name = 'docker'
    stop_timeout = 30.0

    def answers(self):
        if not shutil.which('docker'):
            return False
        try:
            return subprocess.run(
                ['docker', 'info', '--format', '{{.ServerVersion}}'],
                stdin=subprocess.DEVNULL, capture_output=True,
                timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def apt_packages(self):
        # mmdebstrap makes the runtime's base image where no registry is.
        return [pkg for prog, pkg in (('dockerd', 'docker.io'),
                                      ('mmdebstrap', 'mmdebstrap'))
                if not shutil.which(prog)]

    def launch(self, state):
        # The unix socket only: no TCP listener at all.
        pid = state.spawn('docker', ['dockerd', '--host', DOCKER_SOCKET])
        wait_for(self.answers, 'dockerd', state.log('docker'), pid)


class Memcached(Service):
    name = 'memcached'

    def answers(self):
        try:
            return _memcached('version').startswith(b'VERSION')
        except OSError:
            return False

    def apt_packages(self):
        return [] if shutil.which('memcached') else ['memcached']

    def launch(self, state):
        argv = ['memcached', '-l', HOST, '-p', str(MEMCACHED_PORT),
                '-U', '0', '-m', '64']
        if os.geteuid() == 0:
            argv += ['-u', 'root']  # it refuses to run as root without
        pid = state.spawn('memcached', argv)
        wait_for(self.answers, 'memcached', state.log('memcached'), pid)


def _memcached(command):
    with socket.create_connection((HOST, MEMCACHED_PORT), timeout=2) as s:
        s.sendall(command.encode() + b'\r\n')
        return s.recv(1024)


class Swift(Service):
    name = 'swift'
    requires = ('memcached',)

    def answers(self):
        try:
            url = f'http://{HOST}:{PROXY_PORT}/healthcheck'
            with HTTP.open(url, timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def launch(self, state):
        busy = [p for p in [PROXY_PORT, *RING_PORTS.values()]
                if port_open(p)]
        if busy:
            raise ServiceError(f'ports {busy} are taken by something that '
                               'is not a healthy Swift proxy')
        if not port_open(RABBIT_PORT):
            say('nothing on %s:%d: Swift runs, but ceilometermiddleware '
                'cannot deliver its notifications', HOST, RABBIT_PORT)
        python = self._venv(state)
        etc = self._configure(state, python)
        log = state.log('swift')
        confs = [str(etc / (n + '-server.conf'))
                 for n in [*RING_PORTS, 'proxy']]
        env = dict(os.environ, EVENTLET_NO_GREENDNS='yes')
        pid = state.spawn('swift', [str(python), str(SWIFT_TEMPLATES /
                                                     'allinone.py'),
                                    'serve', *confs], env)
        wait_for(lambda: self.answers() and all(
            port_open(p) for p in RING_PORTS.values()), 'swift', log, pid)
        try:
            verify_swift()
        except (OSError, ServiceError) as exc:
            raise ServiceError(f'swift answers but failed its round trip: '
                               f'{exc}; end of {log}:\n{tail(log)}') from exc

    def _venv(self, state):
        venv = state.root / 'venv'
        python = venv / 'bin' / 'python'
        probe = ('import swift, ceilometermiddleware, swiftclient, '
                 'keystoneauth1')
        if python.exists() and not subprocess.run(
                [str(python), '-c', probe], capture_output=True).returncode:
            return python
        say('installing %s into %s', ' '.join(SWIFT_PACKAGES), venv)
        run([sys.executable, '-m', 'venv', str(venv)], state.log('pip'))
        run([str(python), '-m', 'pip', 'install', '-q', *SWIFT_PACKAGES],
             state.log('pip'))
        return python

    def _configure(self, state, python):
        """Render the confs, build missing rings, wipe storage."""
        etc = state.root / 'swift' / 'etc'
        devices = state.root / 'swift' / 'devices'
        etc.mkdir(parents=True, exist_ok=True)
        values = {'swift_dir': etc, 'devices': devices,
                  'user': user_name(), 'memcached_port': MEMCACHED_PORT,
                  'transport_url': TRANSPORT_URL}
        _render('swift.conf.in', etc / 'swift.conf', values)
        _render('proxy-server.conf.in', etc / 'proxy-server.conf',
                dict(values, port=PROXY_PORT))
        for server, port in RING_PORTS.items():
            _render('storage-server.conf.in', etc / (server + '-server.conf'),
                    dict(values, server=server, port=port))
        if not all((etc / (n + '.ring.gz')).exists() for n in RING_PORTS):
            run([str(python), str(SWIFT_TEMPLATES / 'allinone.py'), 'rings',
                  str(etc), *(f'{n}={p}' for n, p in RING_PORTS.items())],
                 state.log('swift'))
        # A fresh cluster each start; memcached would still remember the
        # old account (tempauth, account info) and the next container PUT
        # would answer 404.
        shutil.rmtree(devices, ignore_errors=True)
        (devices / 'd1').mkdir(parents=True)
        _memcached('flush_all')
        return etc


def _render(template, target, values):
    render(SWIFT_TEMPLATES / template, target, values)


def _swift_request(method, url, token=None, data=None):
    headers = {'X-Auth-Token': token} if token else {}
    request = urllib.request.Request(url, data=data, method=method,
                                     headers=headers)
    with HTTP.open(request, timeout=10) as resp:
        return resp.status, resp.headers, resp.read()


def verify_swift():
    """Token, container PUT, object PUT/GET/DELETE, container DELETE."""
    request = urllib.request.Request(AUTH_URL, headers={
        'X-Auth-User': SWIFT_USER, 'X-Auth-Key': SWIFT_KEY})
    with HTTP.open(request, timeout=10) as resp:
        token = resp.headers['X-Auth-Token']
        storage_url = resp.headers['X-Storage-Url']
    container = f'{storage_url}/pratai-harness-check'
    body = f'pratai {uuid.uuid4()}\n'.encode()
    _swift_request('PUT', container, token)
    _swift_request('PUT', container + '/probe', token, body)
    got = _swift_request('GET', container + '/probe', token)[2]
    if got != body:
        raise ServiceError(f'object GET returned {got!r}, not {body!r}')
    _swift_request('DELETE', container + '/probe', token)
    _swift_request('DELETE', container, token)


SERVICES = {s.name: s for s in (Docker(), Memcached(), Swift(),
                                _keystone.Keystone(),
                                _keystone.SwiftKeystone())}


def _with_requirements(names):
    ordered = []
    for name in names:
        for dep in (*SERVICES[name].requires, name):
            if dep not in ordered:
                ordered.append(dep)
    return ordered


def start(state, names):
    todo = [SERVICES[n] for n in _with_requirements(names)]
    down = [s for s in todo if not s.answers()]
    for service in todo:
        if service not in down:
            pid = state.pid(service.name)
            say('%s: already up (%s), left alone', service.name,
                f'started here, pid {pid}' if pid else 'not started here')
    state.apt_install([p for s in down for p in s.apt_packages()])
    for service in down:
        if service.answers():
            # Where no policy-rc.d forbids it, a package's postinst starts
            # its service: that one is not ours to stop either.
            say('%s: started by its package, left alone', service.name)
            continue
        began = time.monotonic()
        try:
            service.launch(state)
        except BaseException:
            state.terminate(service.name, service.stop_timeout)
            raise
        say('%s: started in %.2f s (pid %d)', service.name,
            time.monotonic() - began, state.pid(service.name))


def stop(state, names):
    # Dependents first; stopping swift alone leaves its memcached up.
    for name in reversed([n for n in SERVICES if n in names]):
        service = SERVICES[name]
        if state.terminate(name, service.stop_timeout):
            say('%s: stopped', name)
        elif service.answers():
            say('%s: not started here, left running', name)


def status(state):
    all_up = True
    for name, service in SERVICES.items():
        up = service.answers()
        all_up = all_up and up
        pid = state.pid(name)
        mine = f'pid {pid} (started here)' if pid else ''
        print(f"{name:10} {'up' if up else 'down':5} {mine}")
    rabbit = 'up' if port_open(RABBIT_PORT) else 'down'
    print(f'rabbitmq   {rabbit:5} (never started here)')
    return 0 if all_up else 3


def env():
    exports = {'PRATAI_SWIFT_AUTH_URL': AUTH_URL,
               'PRATAI_SWIFT_USER': SWIFT_USER,
               'PRATAI_SWIFT_KEY': SWIFT_KEY, **_keystone.env()}
    if os.environ.get('DOCKER_HOST'):
        exports['DOCKER_HOST'] = os.environ['DOCKER_HOST']
    for key, value in exports.items():
        print(f'export {key}={shlex.quote(value)}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for command in ('start', 'stop'):
        sub.add_parser(command).add_argument(
            'names', nargs='*', metavar='|'.join([*SERVICES, 'all']))
    sub.add_parser('status')
    sub.add_parser('env')
    args = parser.parse_args(argv)
    unknown = set(getattr(args, 'names', ())) - {*SERVICES, 'all'}
    if unknown:
        parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    if args.command == 'env':
        env()
        return 0
    state = State(os.environ.get('PRATAI_STATE_DIR')
                  or REPO / '.state' / 'services')
    with open(state.root / 'lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one start/stop at a time
        if args.command == 'status':
            return status(state)
        names = args.names
        if not names or 'all' in names:
            names = list(SERVICES)
        try:
            (start if args.command == 'start' else stop)(state, names)
        except ServiceError as exc:
            say('%s', exc)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
