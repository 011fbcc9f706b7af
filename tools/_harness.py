"""What every service of tools/services.py shares: state, processes, waits.

Standard library only, like tools/services.py, which imports it (this
directory is on its sys.path when it runs as a script).
"""

import os
import pathlib
import shlex
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
HOST = '127.0.0.1'
MEMCACHED_PORT = 11211
SWIFT_TEMPLATES = REPO / 'tools' / 'swift'
# The storage servers of the one-node Swift; both proxies use them.
RING_PORTS = {'object': 6200, 'container': 6201, 'account': 6202}
TIMEOUT = float(os.environ.get('PRATAI_SERVICE_TIMEOUT', '60'))
# Loopback only: never go through a proxy from the environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServiceError(Exception):
    """A service could not be installed, started or verified."""


def say(message, *args):
    print('services: ' + message % args, file=sys.stderr, flush=True)


def tail(path, lines=25):
    try:
        text = pathlib.Path(path).read_text(errors='replace')
    except OSError:
        return f'(no log at {path})'
    return '\n'.join(text.splitlines()[-lines:])


def port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class State:
    """The state dir: pid files, logs, and what one run has done."""

    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.apt_updated = False

    def log(self, name):
        return self.root / (name + '.log')

    def _pid_file(self, name):
        return self.root / (name + '.pid')

    def spawn(self, name, argv, env=None):
        """Start ``argv`` detached, its output in NAME.log; record its pid."""
        with open(self.log(name), 'ab') as log:
            log.write(b'--- %s: %s\n' % (time.ctime().encode(),
                                          shlex.join(argv).encode()))
            log.flush()
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.root, env=env,
                start_new_session=True)
        # The start time guards against a recycled pid.
        self._pid_file(name).write_text(
            f'{proc.pid} {start_time(proc.pid)}\n')
        return proc.pid

    def pid(self, name):
        """The live pid this harness started for NAME, else None."""
        try:
            pid, started = self._pid_file(name).read_text().split()
            pid = int(pid)
        except (OSError, ValueError):
            return None
        if start_time(pid) != started:
            self._pid_file(name).unlink(missing_ok=True)
            return None
        return pid

    def terminate(self, name, timeout):
        """SIGTERM what we started as NAME, SIGKILL after ``timeout``."""
        pid = self.pid(name)
        if pid is None:
            return False
        deadline = time.monotonic() + timeout
        try:
            os.kill(pid, signal.SIGTERM)
            while start_time(pid) is not None:
                if time.monotonic() > deadline:
                    say('%s (pid %d) ignored SIGTERM; killing it', name, pid)
                    os.kill(pid, signal.SIGKILL)
                    deadline = float('inf')
                time.sleep(0.1)
        except ProcessLookupError:
            pass  # it ended on its own meanwhile
        self._pid_file(name).unlink(missing_ok=True)
        return True

    def apt_install(self, packages):
        if not packages:
            return
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        if not self.apt_updated:
            run(['apt-get', 'update', '-q'], self.log('apt'), env)
            self.apt_updated = True
        say('apt-get install -y %s', ' '.join(packages))
        run(['apt-get', 'install', '-y', '-q', *packages],
             self.log('apt'), env)


def start_time(pid):
    """Kernel start time of a live process (not a zombie), else None."""
    try:
        stat = pathlib.Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return None
    fields = stat.rsplit(')', 1)[1].split()
    if fields[0] in ('Z', 'X'):
        try:
            os.waitpid(pid, os.WNOHANG)  # our own child: reap it
        except ChildProcessError:
            pass
        return None
    return fields[19]


def run(argv, log, env=None):
    with open(log, 'ab') as out:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out,
                              stderr=subprocess.STDOUT, env=env)
    if done.returncode:
        raise ServiceError(f'{shlex.join(argv)} failed (exit '
                           f'{done.returncode}); end of {log}:\n{tail(log)}')


def wait_for(check, what, log, pid=None):
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if pid is not None and start_time(pid) is None:
            raise ServiceError(f'{what} exited; end of {log}:\n{tail(log)}')
        if time.monotonic() > deadline:
            raise ServiceError(f'{what} not ready after {TIMEOUT:.0f} s; '
                               f'end of {log}:\n{tail(log)}')
        time.sleep(0.1)


class Service:
    """One service: how to tell it answers, install it and start it."""

    name = ''
    requires = ()
    stop_timeout = 10.0

    def answers(self):
        raise NotImplementedError

    def apt_packages(self):
        """Debian packages to install because a program is missing."""
        return []

    def launch(self, state):
        """Start it (it does not answer yet) and wait until it does."""
        raise NotImplementedError


def user_name():
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name



def render(template, target, values):
    """Write ``target`` from the string.Template file ``template``."""
    text = pathlib.Path(template).read_text()
    target.write_text(string.Template(text).substitute(values))
