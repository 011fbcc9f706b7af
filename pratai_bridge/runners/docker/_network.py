"""The network of functions created with ``--network bridge``.

Never docker0, whose containers the host may trust: a docker network of
the bridge's own, ``[runner] function_network`` (``pratai-functions``),
created when first needed, with

* a bridge interface named after it (:func:`interface`), so the host's
  rules can name it, and no traffic between its containers (``icc``
  off): one function cannot reach another;
* with ``[runner] network_firewall`` (the default), the host's rules,
  installed before the network exists, in one ``iptables-restore`` each
  (no moment with half of them):

  - chain INPUT: ``-i IFACE -j DROP``: a function reaches none of this
    host's own addresses, on any interface (RabbitMQ, PostgreSQL, the
    Docker API over TCP, the bridge's API...);
  - chain DOCKER-USER (Docker's hook before its own forwarding rules):
    ``-i IFACE -j CHAIN``, and in CHAIN (:func:`chain`), in order:
    ``-d 169.254.0.0/16 -j DROP`` (link-local: the cloud's metadata
    service at 169.254.169.254, whatever the allow-list says), one
    ``-j RETURN`` per ``network_allow`` CIDR (exceptions), one ``-j
    DROP`` per ``network_deny`` CIDR (the private ranges by default);
    what is left returns to Docker's rules (masqueraded out).

The network is IPv4 only (Docker's default): a function has no IPv6
address to leave by. What runs the engine's containers on another host
(``docker_url``) cannot be guarded by this host's iptables: set
``network_firewall = false`` and install equivalent rules there.
"""

import hashlib
import ipaddress
import logging
import shutil
import subprocess
import threading
from typing import Any

from docker import errors as docker_errors
from oslo_config import cfg

from pratai_bridge.runners import base

__all__ = ['FunctionNetwork', 'LINK_LOCAL', 'chain', 'interface', 'rules']

LOG = logging.getLogger(__name__)

#: never reachable from a function: the metadata address is in it
LINK_LOCAL = '169.254.0.0/16'
#: label of the networks this module made
LABEL = 'pratai.network'
# Seconds iptables may take (it waits for the xtables lock: -w).
_IPTABLES_TIMEOUT = 30


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:10]


def interface(name: str) -> str:
    """The bridge interface of network ``name``: 14 characters, under
    the kernel's 15."""
    return f'pfn-{_digest(name)}'


def chain(name: str) -> str:
    """The iptables chain of network ``name``'s egress rules."""
    return f'PRATAI-{_digest(name)}'


def _networks(conf: cfg.ConfigOpts, option: str) -> list[str]:
    found = []
    for value in getattr(conf.runner, option):
        try:
            found.append(str(ipaddress.IPv4Network(value.strip(),
                                                   strict=False)))
        except ValueError as exc:
            raise base.RunnerError(f'[runner] {option}: {value!r} is not '
                                   f'an IPv4 network: {exc}') from exc
    return found


def rules(conf: cfg.ConfigOpts) -> list[list[str]]:
    """The rules of the network's chain, in order, as iptables words."""
    name = chain(conf.runner.function_network)
    made = [['-A', name, '-d', LINK_LOCAL, '-j', 'DROP']]
    made += [['-A', name, '-d', cidr, '-j', 'RETURN']
             for cidr in _networks(conf, 'network_allow')]
    made += [['-A', name, '-d', cidr, '-j', 'DROP']
             for cidr in _networks(conf, 'network_deny')]
    return made


def _jumps(name: str) -> list[tuple[str, list[str]]]:
    """(chain, rule) of the rules that send the network's traffic to us."""
    iface = interface(name)
    return [('INPUT', ['-i', iface, '-j', 'DROP']),
            ('DOCKER-USER', ['-i', iface, '-j', chain(name)])]


def _iptables(*words: str, data: str | None = None,
              program: str = 'iptables') -> subprocess.CompletedProcess[str]:
    if shutil.which(program) is None:
        raise base.RunnerError(
            f'{program} is not installed: the function network cannot be '
            'firewalled (install iptables, or set [runner] '
            'network_firewall = false and firewall it yourself)')
    try:
        return subprocess.run([program, '-w', *words], input=data,
                              capture_output=True, text=True, check=False,
                              timeout=_IPTABLES_TIMEOUT,
                              env={'PATH': '/usr/sbin:/usr/bin:/sbin:/bin'})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise base.RunnerError(f'{program} failed: {exc}') from exc


def _check(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise base.RunnerError(f'cannot {what}: {done.stderr.strip()} '
                               '(the bridge needs root, or set [runner] '
                               'network_firewall = false and firewall the '
                               'function network yourself)')


def install(conf: cfg.ConfigOpts) -> None:
    """Install (or bring up to date) the network's rules; RunnerError."""
    name = conf.runner.function_network
    table = ['*filter', f':{chain(name)} - [0:0]']
    table += [' '.join(rule) for rule in rules(conf)]
    # Declaring the chain empties it: old and new rules swap at once.
    _check(_iptables('--noflush', data='\n'.join(table + ['COMMIT', '']),
                     program='iptables-restore'),
           f'install the rules of chain {chain(name)}')
    for parent, rule in _jumps(name):
        if _iptables('-C', parent, *rule).returncode != 0:
            _check(_iptables('-I', parent, '1', *rule),
                   f'add {" ".join(rule)} to chain {parent}')


def uninstall(name: str) -> None:
    """Remove network ``name``'s rules, whatever is left of them."""
    for parent, rule in _jumps(name):
        while _iptables('-C', parent, *rule).returncode == 0:
            _check(_iptables('-D', parent, *rule),
                   f'remove {" ".join(rule)} from chain {parent}')
    if _iptables('-S', chain(name)).returncode == 0:
        _check(_iptables('-F', chain(name)), f'flush {chain(name)}')
        _check(_iptables('-X', chain(name)), f'delete {chain(name)}')


class FunctionNetwork:
    """The function network of ``conf``: made (firewall first) once per
    process, then only named; thread safe."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        self.name = conf.runner.function_network
        self._lock = threading.Lock()
        self._ready = False  # guarded by _lock

    def ensure(self, api: Any) -> str:
        """The network's name, once it and its rules exist; RunnerError."""
        with self._lock:
            if not self._ready:
                if self.conf.runner.network_firewall:
                    install(self.conf)
                self._create(api)
                self._ready = True
        return self.name

    def _create(self, api: Any) -> None:
        wanted = interface(self.name)
        try:
            found = api.inspect_network(self.name)
        except docker_errors.NotFound:
            found = None
        if found is None:
            try:
                api.create_network(
                    self.name, driver='bridge', labels={LABEL: '1'},
                    options={'com.docker.network.bridge.name': wanted,
                             'com.docker.network.bridge.enable_icc':
                                 'false'})
                LOG.info('Created the function network %s (interface %s)',
                         self.name, wanted)
                return
            except docker_errors.APIError as exc:
                if exc.status_code != 409:  # 409: made meanwhile
                    raise base.RunnerError(
                        f'cannot create the function network {self.name}: '
                        f'{exc}') from exc
                found = api.inspect_network(self.name)
        options = found.get('Options') or {}
        if (options.get('com.docker.network.bridge.name') != wanted
                or options.get('com.docker.network.bridge.enable_icc')
                != 'false'):
            raise base.RunnerError(
                f'the docker network {self.name} exists but is not the '
                f'bridge\'s (its interface is not {wanted}, which the '
                'firewall names, or its containers may reach each other): '
                'remove it, or set [runner] function_network to another '
                'name')

    def remove(self, api: Any) -> None:
        """Remove the network and its rules (tests, uninstalling)."""
        with self._lock:
            self._ready = False
            try:
                api.remove_network(self.name)
            except docker_errors.NotFound:
                pass
            except docker_errors.APIError as exc:
                raise base.RunnerError(f'cannot remove the network '
                                       f'{self.name}: {exc}') from exc
            if self.conf.runner.network_firewall:
                uninstall(self.name)
