"""The function network's names and rules (the real ones, on the real
engine and iptables: tests/functional/test_attacks.py)."""

import pytest

from pratai_bridge.runners import base
from pratai_bridge.runners.docker import _network


def test_names_fit_the_kernel_and_iptables():
    name = 'a-very-long-function-network-name-of-an-operator'
    assert len(_network.interface(name)) <= 15
    assert len(_network.chain(name)) <= 28
    assert _network.interface(name) != _network.interface(name + 'x')


def test_metadata_is_dropped_before_any_exception(conf):
    conf.set_override('network_allow', ['0.0.0.0/0', '10.1.2.3'], 'runner')
    conf.set_override('network_deny', ['10.0.0.0/8'], 'runner')
    chain = _network.chain('pratai-functions')
    assert _network.rules(conf) == [
        ['-A', chain, '-d', '169.254.0.0/16', '-j', 'DROP'],
        ['-A', chain, '-d', '0.0.0.0/0', '-j', 'RETURN'],
        ['-A', chain, '-d', '10.1.2.3/32', '-j', 'RETURN'],
        ['-A', chain, '-d', '10.0.0.0/8', '-j', 'DROP']]


def test_the_default_denies_private_ranges(conf):
    denied = [rule[3] for rule in _network.rules(conf)]
    assert denied[0] == '169.254.0.0/16'
    assert {'10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16',
            '127.0.0.0/8'} <= set(denied)


def test_a_bad_network_is_refused_with_its_option(conf):
    conf.set_override('network_deny', ['10.0.0.0/8', 'intranet'], 'runner')
    with pytest.raises(base.RunnerError, match=(
            r"^\[runner\] network_deny: 'intranet' is not an IPv4 network")):
        _network.rules(conf)
