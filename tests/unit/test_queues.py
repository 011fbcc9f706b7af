"""The bridge's queue names and broker URL, worked out from the options."""

import pytest
from oslo_config import cfg

from pratai_bridge import conf as conf_mod
from pratai_bridge import listener
from pratai_bridge import queues


def make(text='', tmp_path=None, **listener_opts):
    conf = cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    files = []
    if text:
        path = tmp_path / 'bridge.conf'
        path.write_text(text)
        files = [str(path)]
    conf([], default_config_files=files, default_config_dirs=[])
    for name, value in listener_opts.items():
        conf.set_override(name, value, group='listener')
    return conf


@pytest.mark.parametrize('targets', [
    ['nova:notifications', 'nova:versioned_notifications',
     'swift:notifications', 'aodh:notifications', 'aodh:alarming'],
    ['aodh:alarming'],
    [' nova:notifications', 'ceilometer:alarm.all', 'nova:x'],
])
def test_the_names_are_the_listeners(targets):
    """queues.py does not import the listener (it would import the
    journal): this holds the two to one rule."""
    conf = make(targets=targets, pool='blue')
    expected = [(listener.queue_name('blue', exchange), exchange)
                for exchange in listener.parse_targets(targets)]
    assert queues.bridge_queues(conf) == expected
    assert queues.bridge_queues(conf, pool='gone')[0][0].startswith('gone.')


def test_bad_targets_are_refused_as_the_listener_refuses_them():
    conf = make(targets=['nova'])
    with pytest.raises(ValueError) as ours:
        queues.bridge_queues(conf)
    with pytest.raises(ValueError) as theirs:
        listener.parse_targets(['nova'])
    assert str(ours.value) == str(theirs.value)


def test_the_broker_url_keeps_every_host_and_the_vhost(tmp_path):
    conf = make('[DEFAULT]\n'
                'transport_url = rabbit://u:p@h1:5672,v:q@h2:5673/prod\n',
                tmp_path)
    assert queues.broker_url(conf) == (
        'amqp://u:p@h1:5672/prod;amqp://v:q@h2:5673/prod')
    conf = make('[DEFAULT]\ntransport_url = rabbit://a:b@x:1/\n'
                '[oslo_messaging_notifications]\n'
                'transport_url = rabbit://u:p@h1:5672/\n', tmp_path)
    assert queues.broker_url(conf) == 'amqp://u:p@h1:5672/'


def test_a_transport_without_queues_is_said_so(tmp_path):
    conf = make('[DEFAULT]\ntransport_url = kafka://h:9092/\n', tmp_path)
    with pytest.raises(queues.BrokerError, match='kafka'):
        queues.broker_url(conf)


def test_a_broker_that_does_not_answer_is_one_error(tmp_path):
    # Nothing listens on port 9 of this machine (discard, never served).
    conf = make('[DEFAULT]\ntransport_url = rabbit://u:p@127.0.0.1:9/\n',
                tmp_path)
    with pytest.raises(queues.BrokerError, match='does not answer'):
        with queues.Queues(conf):
            pass
