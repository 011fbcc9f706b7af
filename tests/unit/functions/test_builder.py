"""The builder without Docker: build contexts, and the calls it makes to a
fake engine. tests/functional/test_docker_runner.py builds for real."""

import os
import pathlib
import stat
import threading
import time

import pytest
from docker import errors as docker_errors

from pratai_bridge.functions import _build_context as context_mod
from pratai_bridge.functions import builder as builder_mod
from pratai_bridge.runners.base import RunnerError
from tests.unit.runners.helpers import make_conf
from tests.unit.runners.helpers import make_function

HELLO = 'def main(payload=None):\n    return payload\n'
REPO_RUNTIME = pathlib.Path(__file__).resolve().parents[3] / 'runtimes' / \
    'python'


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)


# --- build contexts -------------------------------------------------------

def test_dockerfile_without_requirements():
    text = context_mod.dockerfile('pratai/python-runtime:latest', 'pkg.fn',
                                  'ab' * 32, False)
    assert text == (
        'FROM pratai/python-runtime:latest\n'
        'USER root\n'
        'COPY function/ /opt/function/\n'
        'RUN (python3 -m compileall -q /opt/function /opt/pratai/deps '
        '>/dev/null || true) && chmod -R a+rX,go-w /opt/function '
        '/opt/pratai/deps\n'
        f'LABEL pratai.sha256="{"ab" * 32}"\n'
        'USER 10001\n'
        'CMD ["--handler", "pkg.fn"]\n')


def test_dockerfile_installs_requirements_offline_in_a_first_stage():
    text = context_mod.dockerfile('RT', 'fn', 'cd' * 32, True)
    first, final = text.split('\n\n')
    assert first.splitlines() == [
        'FROM RT AS deps', 'USER root', 'COPY wheels/ /tmp/wheels/',
        'COPY requirements.txt /tmp/requirements.txt',
        'RUN python3 -m pip install --no-index --find-links /tmp/wheels '
        '--disable-pip-version-check --no-cache-dir --no-compile '
        '--target /opt/pratai/deps -r /tmp/requirements.txt',
        f'LABEL pratai.deps-of="{"cd" * 32}"']
    lines = final.splitlines()
    assert lines[:3] == ['FROM RT', 'USER root',
                         'COPY --from=deps /opt/pratai/deps /opt/pratai/deps']
    # The deps layer comes before the code, and the wheels stay behind.
    assert lines.index('COPY function/ /opt/function/') == 3
    assert 'wheels' not in final
    assert lines[-2:] == ['USER 10001', 'CMD ["--handler", "fn"]']


def test_requirements_are_names_and_versions_only():
    text = ('# comment\n\nsix\nrequests[socks] >= 2.0 ; '
            'python_version >= "3"  # why\nPyYAML==6.0.1\n')
    assert context_mod.check_requirements(text) == [
        'six', 'requests[socks]>=2.0; python_version >= "3"',
        'PyYAML==6.0.1']
    assert context_mod.check_requirements('') == []


@pytest.mark.parametrize('line, message', [
    ('-r /etc/shadow', 'pip options are not allowed'),
    ('--index-url http://evil/simple', 'pip options are not allowed'),
    ('-e .', 'pip options are not allowed'),
    ('--extra-index-url=http://evil', 'pip options are not allowed'),
    ('six \\', 'pip options are not allowed'),
    ('evil @ https://evil.example/evil.whl', 'direct references'),
    ('evil @ file:///root/secret.tar.gz', 'direct references'),
    ('./some/dir', 'not a requirement'),
    ('/etc/passwd', 'not a requirement'),
    ('six==1.0 --hash=sha256:00', 'not a requirement'),
])
def test_refused_requirement_lines(line, message):
    with pytest.raises(RunnerError, match=f'line 2: {message}'):
        context_mod.check_requirements(f'six\n{line}\n')


def test_wheel_platforms_spell_out_older_manylinux_tags():
    tags = context_mod.wheel_platforms('manylinux_2_36_x86_64')
    assert tags[0] == 'manylinux_2_36_x86_64'
    assert 'manylinux_2_17_x86_64' in tags and 'manylinux_2_5_x86_64' in tags
    assert tags[-3:] == ['manylinux2014_x86_64', 'manylinux2010_x86_64',
                         'manylinux1_x86_64']
    assert not any(t.startswith('manylinux_2_37') for t in tags)
    assert context_mod.wheel_platforms('manylinux_2_12_aarch64')[-2:] == [
        'manylinux2010_aarch64', 'manylinux1_aarch64']
    assert context_mod.wheel_platforms('linux_x86_64') == ['linux_x86_64']


def test_pip_downloads_wheels_for_the_image_python(tmp_path):
    conf = make_conf(tmp_path, '[builder]\npython_version = 3.12\n'
                               'pip_index_url = https://pypi.example/simple\n'
                               'wheel_platform = manylinux_2_28_aarch64\n')
    command = context_mod.pip_download_command(
        conf, tmp_path / 'requirements.txt', tmp_path / 'wheels')
    assert command[1:4] == ['-m', 'pip', 'download']
    assert '--only-binary=:all:' in command
    joined = ' '.join(command)
    assert '--python-version 3.12 --implementation cp' in joined
    assert '--platform manylinux_2_28_aarch64 ' in joined
    assert '--platform manylinux2014_aarch64 ' in joined
    assert '--index-url https://pypi.example/simple' in joined
    assert command[-4:] == ['--dest', str(tmp_path / 'wheels'), '-r',
                            str(tmp_path / 'requirements.txt')]
    default = make_conf(tmp_path)
    assert '--index-url' not in context_mod.pip_download_command(
        default, tmp_path / 'r', tmp_path / 'w')


def test_unpack_checks_and_writes_readable_files(conf, tmp_path):
    old = os.umask(0o077)
    try:
        function, data = make_function({'handler.py': HELLO,
                                        'pkg/__init__.py': '',
                                        'pkg/data/x.json': '{}'})
        context_mod.unpack(conf, function, data, tmp_path / 'fn')
    finally:
        os.umask(old)
    names = sorted(str(p.relative_to(tmp_path / 'fn'))
                   for p in (tmp_path / 'fn').rglob('*') if p.is_file())
    assert names == ['handler.py', 'pkg/__init__.py', 'pkg/data/x.json']
    mode = stat.S_IMODE((tmp_path / 'fn' / 'pkg/data/x.json').stat().st_mode)
    assert mode == 0o644


def test_unpack_refuses_another_zip_or_a_bad_one(conf, tmp_path):
    function, _ = make_function({'handler.py': HELLO})
    _, other = make_function({'handler.py': HELLO + '\n'})
    with pytest.raises(RunnerError, match='not the one stored'):
        context_mod.unpack(conf, function, other, tmp_path / 'a')
    with pytest.raises(RunnerError, match='not a zip'):
        context_mod.unpack(conf, function, b'nope', tmp_path / 'b')


def test_unpack_errors_of_the_filesystem_are_runner_errors(
        conf, tmp_path, monkeypatch):
    function, data = make_function({'handler.py': HELLO, 'pkg/a.txt': ''})
    (tmp_path / 'file').write_text('not a directory')
    with pytest.raises(RunnerError, match=r'fn:1: cannot unpack .*file/fn'):
        context_mod.unpack(conf, function, data, tmp_path / 'file' / 'fn')

    def full(self, data):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(pathlib.Path, 'write_bytes', full)
    with pytest.raises(RunnerError, match='No space left on device'):
        context_mod.unpack(conf, function, data, tmp_path / 'fn')


def test_write_without_requirements(conf, tmp_path):
    function, data = make_function({'handler.py': HELLO})
    context = tmp_path / 'context'
    context.mkdir()
    assert not context_mod.write(conf, function, data, context, 'RT')
    assert sorted(p.name for p in context.iterdir()) == ['Dockerfile',
                                                        'function']
    assert (context / 'Dockerfile').read_text().startswith('FROM RT\n')


def test_write_with_requirements(conf, tmp_path, monkeypatch):
    downloads = []
    monkeypatch.setattr(context_mod, 'download_wheels',
                        lambda conf, req, dest: downloads.append(
                            (req.read_text(), dest)))
    function, data = make_function({'handler.py': HELLO,
                                    'requirements.txt': 'six  # why\n'})
    assert context_mod.write(conf, function, data, tmp_path, 'RT')
    assert downloads == [('six\n', tmp_path / 'wheels')]
    assert 'AS deps' in (tmp_path / 'Dockerfile').read_text()
    # The zip's own requirements.txt stays in the function as it was.
    assert (tmp_path / 'function' / 'requirements.txt').read_text() == \
        'six  # why\n'


def test_a_failing_download_quotes_pip(conf, tmp_path, monkeypatch):
    # Hermetic: this machine's pip configuration is left out.
    monkeypatch.setenv('PIP_CONFIG_FILE', os.devnull)
    for name in ('PIP_FIND_LINKS', 'PIP_EXTRA_INDEX_URL', 'PIP_INDEX_URL'):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / 'requirements.txt').write_text('pratai-no-such-thing\n')
    conf.set_override('pip_index_url', (tmp_path / 'empty').as_uri(),
                      group='builder')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(RunnerError) as info:
        context_mod.download_wheels(conf, tmp_path / 'requirements.txt',
                                    tmp_path / 'wheels')
    assert 'only wheels for Python 3.11 on manylinux_2_36_x86_64' in str(
        info.value)
    assert 'pratai-no-such-thing' in str(info.value)


def test_runtime_directory_of_an_installed_package(conf, tmp_path,
                                                    monkeypatch):
    installed = tmp_path / 'share' / 'pratai-bridge' / 'runtimes' / 'python'
    installed.mkdir(parents=True)
    (installed / 'pratai_runtime.py').write_text('')
    monkeypatch.setattr(context_mod.sys, 'prefix', str(tmp_path))
    assert context_mod.runtime_directory(conf) == installed


def test_runtime_directory(conf, tmp_path):
    assert context_mod.runtime_directory(conf) == REPO_RUNTIME
    conf.set_override('runtime_directory', str(tmp_path), group='builder')
    with pytest.raises(RunnerError, match='set \\[builder\\] runtime_dir'):
        context_mod.runtime_directory(conf)
    (tmp_path / 'pratai_runtime.py').write_text('')
    assert context_mod.runtime_directory(conf) == tmp_path


# --- the builder, on a fake engine ----------------------------------------

class FakeAPI:
    """Images by name; builds that record what they were given."""

    def __init__(self, images=(), fail=None, build_time=0.0):
        self.present = set(images)
        self.fail = fail
        self.build_time = build_time
        self.builds = []
        self.calls = []

    def inspect_image(self, name):
        if name not in self.present:
            raise docker_errors.ImageNotFound(name)
        return {'Id': name}

    def build(self, **kwargs):
        path = pathlib.Path(kwargs['path'])
        kwargs['dockerfile_text'] = (path / 'Dockerfile').read_text()
        kwargs['files'] = sorted(
            str(p.relative_to(path)) for p in path.rglob('*') if p.is_file())
        self.builds.append(kwargs)
        time.sleep(self.build_time)
        yield {'stream': 'Step 1/3 : FROM x\n'}
        yield {'stream': ' ---> abc\n'}
        if self.fail:
            yield {'error': self.fail + '\n', 'errorDetail': {}}
            return
        self.present.add(kwargs['tag'])

    def remove_image(self, name):
        self.calls.append(('remove', name))
        if name == 'pratai/function:busy':
            raise docker_errors.APIError('conflict', response=_Status(409))
        self.inspect_image(name)
        self.present.discard(name)

    def images(self, quiet, filters):
        assert quiet and filters['dangling'] is True
        label = filters['label']
        self.calls.append(('images', label))
        return [image for image in self.present
                if image == f'stage-of-{label.split("=")[1]}']

    def pull(self, repository, tag, stream, decode):
        self.calls.append(('pull', repository, tag))
        yield {'status': 'Pulling from library/python', 'id': tag}
        yield {'status': 'Downloading', 'progressDetail': {'current': 1}}
        self.present.add(f'{repository}:{tag}')

    def import_image_from_file(self, path, repository, tag, changes):
        self.calls.append(('import', pathlib.Path(path).read_bytes(),
                           repository, tag, changes))
        self.present.add(f'{repository}:{tag}')


class _Status:
    def __init__(self, code):
        self.status_code = code
        self.reason = 'Conflict'
        self.url = 'http://docker/images'


RUNTIME_IMAGES = ('pratai/python-base:bookworm',
                  'pratai/python-runtime:latest')


def _builder(conf, api):
    builder = builder_mod.Builder(conf)
    builder._client = type('Client', (), {'api': api,
                                          'close': lambda self: None})()
    return builder


def test_build_makes_the_image_once(conf):
    api = FakeAPI(RUNTIME_IMAGES)
    builder = _builder(conf, api)
    function, data = make_function({'handler.py': HELLO})
    tag = builder.build(function, data)
    assert tag == f'pratai/function:{function.sha256}'
    [build] = api.builds
    assert build['tag'] == tag
    assert build['network_mode'] == 'none' and build['pull'] is False
    assert build['rm'] and build['forcerm']
    assert build['files'] == ['Dockerfile', 'function/handler.py']
    assert build['dockerfile_text'].startswith(
        'FROM pratai/python-runtime:latest\n')
    assert not pathlib.Path(build['path']).exists()  # context removed
    # The same zip again, under another name: no second build.
    again, _ = make_function({'handler.py': HELLO}, name='other')
    assert builder.build(again, data) == tag
    assert len(api.builds) == 1


def test_concurrent_builds_of_one_zip_build_once(conf):
    api = FakeAPI(RUNTIME_IMAGES, build_time=0.2)
    builder = _builder(conf, api)
    function, data = make_function({'handler.py': HELLO})
    tags = []
    threads = [threading.Thread(target=lambda: tags.append(
        builder.build(function, data))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api.builds) == 1 and len(set(tags)) == 1 and len(tags) == 4
    assert len(builder._locks) == 0


def test_a_failing_build_quotes_its_log(conf):
    api = FakeAPI(RUNTIME_IMAGES, fail='The command returned exit code 1')
    function, data = make_function({'handler.py': HELLO})
    with pytest.raises(RunnerError) as info:
        _builder(conf, api).build(function, data)
    message = str(info.value)
    assert message.startswith(f'building pratai/function:{function.sha256} '
                              'failed: The command returned exit code 1\n')
    assert 'Step 1/3 : FROM x\n ---> abc' in message


def test_a_missing_runtime_image_is_built_first(conf):
    api = FakeAPI(['pratai/python-base:bookworm'])
    lines = []
    builder = _builder(conf, api)
    function, data = make_function({'handler.py': HELLO})
    builder.build(function, data, progress=lines.append)
    runtime, function_build = api.builds
    assert runtime['tag'] == 'pratai/python-runtime:latest'
    assert runtime['path'] == str(REPO_RUNTIME)
    assert runtime['buildargs'] == {
        'BASE_IMAGE': 'pratai/python-base:bookworm'}
    assert runtime['network_mode'] == 'none'
    assert lines[0].startswith('building pratai/python-runtime:latest from '
                               'pratai/python-base:bookworm')
    assert 'Step 1/3 : FROM x' in lines


def test_rebuild_and_another_base(conf):
    api = FakeAPI(RUNTIME_IMAGES)
    builder = _builder(conf, api)
    assert builder.ensure_runtime_image() == 'pratai/python-runtime:latest'
    assert api.builds == []
    builder.ensure_runtime_image(base_image='python:3.11-slim',
                                 rebuild=True)
    assert api.calls == [('pull', 'python', '3.11-slim')]
    assert api.builds[0]['buildargs'] == {'BASE_IMAGE': 'python:3.11-slim'}


def test_a_local_base_without_mmdebstrap_says_what_to_do(conf, monkeypatch):
    monkeypatch.setenv('PATH', '/nonexistent')
    with pytest.raises(RunnerError, match='mmdebstrap is not installed'):
        _builder(conf, FakeAPI()).ensure_base_image()


def test_a_local_base_is_made_with_mmdebstrap(conf, tmp_path, monkeypatch):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    fake = bin_dir / 'mmdebstrap'
    # A stand-in that records its arguments, prints progress and writes
    # the "rootfs" to the argument naming a .tar.
    fake.write_text('#!/bin/sh\n'
                    f'echo "$@" > {tmp_path}/args\n'
                    'echo "I: downloading packages"\n'
                    'for a; do case "$a" in *.tar) out=$a;; esac; done\n'
                    'echo rootfs > "$out"\n')
    fake.chmod(0o755)
    monkeypatch.setenv('PATH', f'{bin_dir}:{os.environ["PATH"]}')
    conf.set_override('debian_mirror', 'http://mirror.example/debian',
                      group='builder')
    api = FakeAPI()
    lines = []
    name = _builder(conf, api).ensure_base_image(progress=lines.append)
    assert name == 'pratai/python-base:bookworm'
    args = (tmp_path / 'args').read_text().split()
    assert args[:3] == ['--variant=essential',
                        '--include=python3,python3-pip',
                        '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr']
    assert args[-3] == 'bookworm' and args[-2].endswith('rootfs.tar')
    assert args[-1] == 'http://mirror.example/debian'
    [(_, content, repository, tag, changes)] = api.calls
    assert (content, repository, tag) == (b'rootfs\n', 'pratai/python-base',
                                          'bookworm')
    assert 'ENV LANG=C.UTF-8' in changes
    assert 'I: downloading packages' in lines
    assert lines[-1] == 'made pratai/python-base:bookworm'


def test_a_failing_mmdebstrap_quotes_its_output(conf, tmp_path, monkeypatch):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'mmdebstrap').write_text('#!/bin/sh\necho E: no network\n'
                                        'exit 1\n')
    (bin_dir / 'mmdebstrap').chmod(0o755)
    monkeypatch.setenv('PATH', f'{bin_dir}:{os.environ["PATH"]}')
    with pytest.raises(RunnerError, match='mmdebstrap failed \\(exit 1\\):'
                                          '\nE: no network'):
        _builder(conf, FakeAPI()).ensure_base_image(progress=print)


def test_remove(conf):
    function, _ = make_function({'handler.py': HELLO})
    tag = builder_mod.image_tag(function.sha256)
    stage = f'stage-of-{function.sha256}'
    api = FakeAPI([tag, stage, 'stage-of-another'])
    builder = _builder(conf, api)
    assert builder.remove(function) is True
    assert api.present == {'stage-of-another'}
    assert ('images', f'pratai.deps-of={function.sha256}') in api.calls
    assert builder.remove(function) is False
    busy = function.__class__(**{**function.__dict__, 'sha256': 'busy'})
    assert builder.remove(busy) is False
