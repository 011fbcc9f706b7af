"""[builder] docker_url and its TLS settings, read as the runner is built."""

import pytest

from pratai_bridge.runners import base
from pratai_bridge.runners.docker import _connect
from pratai_bridge.runners.docker import DockerRunner
from tests.unit.runners.helpers import make_conf


def _files(tmp_path):
    for name in ('ca.pem', 'cert.pem', 'key.pem'):
        (tmp_path / name).write_text('PEM\n')
    return {name: tmp_path / f'{name}.pem' for name in ('ca', 'cert', 'key')}


def test_no_tls_without_its_settings(tmp_path):
    conf = make_conf(tmp_path, '[builder]\ndocker_url = tcp://h:2375\n')
    assert _connect._tls(conf.builder) is None


def test_the_certificates_make_a_verified_tls_config(tmp_path):
    files = _files(tmp_path)
    conf = make_conf(tmp_path, f"""[builder]
docker_url = tcp://engine.example:2376
docker_ca_file = {files['ca']}
docker_cert_file = {files['cert']}
docker_key_file = {files['key']}
""")
    tls = _connect._tls(conf.builder)
    assert (tls.cert, tls.verify) == ((str(files['cert']), str(files['key'])),
                                      str(files['ca']))


def test_verification_can_be_turned_off(tmp_path):
    files = _files(tmp_path)
    conf = make_conf(tmp_path, f"""[builder]
docker_url = tcp://engine.example:2376
docker_ca_file = {files['ca']}
docker_tls_verify = false
""")
    tls = _connect._tls(conf.builder)
    assert (tls.cert, tls.verify, tls.ca_cert) == (None, False, None)


@pytest.mark.parametrize('text, message', [
    ('docker_cert_file = {cert}\n',
     r'\[builder\] docker_cert_file is set without docker_key_file'),
    ('docker_key_file = {key}\n',
     r'\[builder\] docker_key_file is set without docker_cert_file'),
    ('docker_ca_file = {tmp}/missing.pem\n',
     r'\[builder\] docker_ca_file: .*missing.pem is not a file'),
])
def test_settings_that_cannot_work_stop_the_runner_being_built(
        tmp_path, text, message):
    files = _files(tmp_path)
    conf = make_conf(tmp_path, '[builder]\ndocker_url = tcp://h:2376\n'
                     + text.format(tmp=tmp_path, **files))
    with pytest.raises(base.RunnerError, match=message):
        DockerRunner(conf)


def test_certificates_need_a_tcp_engine(tmp_path):
    files = _files(tmp_path)
    conf = make_conf(tmp_path, f'[builder]\ndocker_ca_file = {files["ca"]}\n')
    with pytest.raises(base.RunnerError, match='need a tcp:// or https://'):
        _connect.check(conf)
