"""How the docker runner and the builder reach their Docker engine.

``[builder] docker_url`` names it: the local socket by default (or
``DOCKER_HOST``), or a remote engine, ``tcp://HOST:2376``. A remote
engine is reached over TLS when ``docker_ca_file`` or
``docker_cert_file`` is set (or the URL is ``https://``): the bridge
verifies the engine's certificate against the CA (``docker_tls_verify``,
on by default) and presents its own client certificate, as an engine
run with ``--tlsverify`` demands. Nothing here connects:
:func:`check` reads the options when the runner is built, so a
misconfiguration stops the start with the option's name, and
:func:`client` makes the client on first use.
"""

import os

import docker
from docker import constants as docker_constants
from docker import tls as docker_tls
from oslo_config import cfg

from pratai_bridge.runners.base import RunnerError

__all__ = ['check', 'client']


def check(conf: cfg.ConfigOpts) -> None:
    """Raise RunnerError naming the option when ``[builder]``'s engine
    settings cannot work."""
    _tls(conf.builder)


def client(conf: cfg.ConfigOpts) -> docker.DockerClient:
    """A client of the configured engine (nothing is sent yet)."""
    options = conf.builder
    if not options.docker_url:
        return docker.from_env(timeout=options.docker_timeout)
    tls = _tls(options)
    if tls is None:
        return docker.DockerClient(base_url=options.docker_url,
                                   timeout=options.docker_timeout)
    # requests lets REQUESTS_CA_BUNDLE (set on many hosts) override a
    # session's own CA, so the engine would be verified against the
    # system's CAs instead of docker_ca_file: the session must not read
    # the environment. docker-py asks the engine its API version as the
    # client is made, before that can be set; so it is made at the
    # oldest version docker-py speaks, and the engine's is asked after.
    made = docker.DockerClient(base_url=options.docker_url,
                               timeout=options.docker_timeout, tls=tls,
                               version=docker_constants.MINIMUM_DOCKER_API_VERSION)
    made.api.trust_env = False
    made.api._version = made.api._retrieve_server_version()
    return made


def _tls(options: cfg.ConfigOpts.GroupAttr) -> docker_tls.TLSConfig | None:
    url = options.docker_url or ''
    wanted = (options.docker_ca_file or options.docker_cert_file
              or options.docker_key_file or url.startswith('https://'))
    if not wanted:
        return None
    if not url.startswith(('tcp://', 'https://')):
        raise RunnerError('[builder] docker_ca_file, docker_cert_file and '
                          'docker_key_file need a tcp:// or https:// '
                          f'docker_url, not {url or "the local socket"}')
    if bool(options.docker_cert_file) != bool(options.docker_key_file):
        given, missing = (('docker_cert_file', 'docker_key_file')
                          if options.docker_cert_file
                          else ('docker_key_file', 'docker_cert_file'))
        raise RunnerError(f'[builder] {given} is set without {missing}: '
                          'the client certificate needs its key')
    for name in ('docker_ca_file', 'docker_cert_file', 'docker_key_file'):
        path = getattr(options, name)
        if path and not os.path.isfile(path):
            raise RunnerError(f'[builder] {name}: {path} is not a file')
    cert = options.docker_cert_file
    verify = options.docker_tls_verify
    return docker_tls.TLSConfig(
        client_cert=(cert, options.docker_key_file) if cert else None,
        ca_cert=options.docker_ca_file if verify else None,
        verify=(options.docker_ca_file or True) if verify else False)
