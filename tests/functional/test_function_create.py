"""``function create`` builds the image before it stores anything: with
the real CLI, the real Docker engine and the host's pip, reading a package
index on disk the test makes (pip reads no configuration of this host).
``engine`` is the Docker engine fixture of
tests/functional/docker_engine.py."""

import io
import json
import uuid
import zipfile

import pytest

from tests.unit.runners.helpers import local_index

SECRET = f'pratai-secret-{uuid.uuid4().hex}'


@pytest.fixture
def docker_conf(tmp_path):
    """[runner] docker, and pip_index_url: an index holding pratai-tiny."""
    return ('[runner]\ndriver = docker\n[builder]\npip_index_url = '
            f'{local_index(tmp_path / "index")}\n')



def _zip(path, files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    path.write_bytes(buffer.getvalue())
    return str(path)


def _images(engine, sha256):
    return engine.images.list(
        filters={'reference': f'pratai/function:{sha256}'})


def test_create_builds_the_image_with_its_requirements(make_bridge, engine,
                                                       tmp_path, docker_conf):
    bridge = make_bridge(docker_conf)
    name = f'tiny-{uuid.uuid4().hex[:8]}'
    path = _zip(tmp_path / 'tiny.zip', {
        'handler.py': f'# {name}\nimport pratai_tiny\n'
                      'def main(payload=None):\n'
                      '    return pratai_tiny.VALUE\n',
        'requirements.txt': 'pratai-tiny\n'})
    done = bridge.manage('function', 'create', name, '--zip', path,
                         '-f', 'json')
    try:
        # Quiet with -f json: stdout is the JSON, stderr says nothing.
        created = bridge.manage_json('function', 'show', name)
        assert done.stdout.strip().startswith('{')
        assert done.stderr == ''
        assert len(_images(engine, created['sha256'])) == 1
    finally:
        bridge.manage('function', 'delete', name)
    assert _images(engine, created['sha256']) == []


def test_a_zip_that_cannot_be_built_is_not_stored(make_bridge, engine,
                                                  tmp_path, docker_conf):
    bridge = make_bridge(docker_conf)
    name = f'nowheel-{uuid.uuid4().hex[:8]}'
    path = _zip(tmp_path / 'bad.zip', {
        'handler.py': 'def main(payload=None):\n    return 1\n',
        'requirements.txt': 'pratai-no-such-package-anywhere==0.0.1\n'})
    failed = bridge.manage('function', 'create', name, '--zip', path,
                           check=False)
    assert failed.returncode == 1
    assert failed.stdout == ''
    assert f'{path}: {name} cannot be built, nothing was stored' in \
        failed.stderr
    assert 'pratai-no-such-package-anywhere' in failed.stderr
    assert bridge.manage_json('function', 'list') == []
    # --no-build stores it anyway; each bridge will try to build it.
    bridge.manage('function', 'create', name, '--zip', path, '--no-build')
    assert [f['name'] for f in bridge.manage_json('function', 'list')] == [
        name]


def test_builds_cannot_see_the_bridge(make_bridge, engine, tmp_path,
                                      docker_conf):
    """A secret in the bridge's environment, in pip's settings there and
    in the bridge's configuration: pip ignores them all (PIP_NO_INDEX
    would fail the build, were it seen), and neither the build's output
    nor the image holds the secret."""
    bridge = make_bridge(f'{docker_conf}[api]\ntoken = {SECRET}\n')
    pip_conf = tmp_path / 'pip.conf'
    pip_conf.write_text(f'[global]\nindex-url = file:///{SECRET}/simple\n')
    bridge.env.update({
        'PRATAI_TEST_SECRET': SECRET, 'OS_PASSWORD': SECRET,
        'PIP_INDEX_URL': f'file:///{SECRET}/simple', 'PIP_NO_INDEX': '1',
        'PIP_EXTRA_INDEX_URL': f'file:///{SECRET}/more',
        'PIP_CONFIG_FILE': str(pip_conf)})
    name = f'tiny-{uuid.uuid4().hex[:8]}'
    path = _zip(tmp_path / 'tiny.zip', {
        'handler.py': f'# {name}\ndef main(payload=None):\n    return 1\n',
        'requirements.txt': 'pratai-tiny\n'})
    done = bridge.manage('function', 'create', name, '--zip', path)
    try:
        created = bridge.manage_json('function', 'show', name)
        [image] = _images(engine, created['sha256'])
        described = json.dumps([image.attrs, image.history()])
        assert SECRET not in described
        assert SECRET not in done.stdout + done.stderr
        # A failed build quotes pip's output: nothing of the bridge there.
        missing = _zip(tmp_path / 'missing.zip', {
            'handler.py': f'# {name}\ndef main(payload=None):\n    pass\n',
            'requirements.txt': 'pratai-tiny==9\n'})
        failed = bridge.manage('function', 'create', f'{name}-x', '--zip',
                               missing, check=False)
        assert failed.returncode == 1
        assert 'pratai-tiny==9' in failed.stderr
        assert SECRET not in failed.stderr + bridge.log_text()
    finally:
        bridge.manage('function', 'delete', name)
