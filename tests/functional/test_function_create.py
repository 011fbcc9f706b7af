"""``function create`` builds the image before it stores anything: with
the real CLI, the real Docker engine and pip (the requirement test needs
the package index the host uses). ``engine`` is the Docker engine
fixture of tests/functional/docker_engine.py."""

import io
import uuid
import zipfile



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
                                                       tmp_path):
    bridge = make_bridge('[runner]\ndriver = docker\n')
    name = f'six-{uuid.uuid4().hex[:8]}'
    path = _zip(tmp_path / 'six.zip', {
        'handler.py': f'# {name}\nimport six\n'
                      'def main(payload=None):\n    return six.PY3\n',
        'requirements.txt': 'six\n'})
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
                                                  tmp_path):
    bridge = make_bridge('[runner]\ndriver = docker\n')
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
