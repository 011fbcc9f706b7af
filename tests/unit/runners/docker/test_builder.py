"""The builder on a fake engine; tests/functional/test_docker_runner.py
builds for real."""

import os
import pathlib
import threading
import time

import pytest
from docker import errors as docker_errors

from pratai_bridge.runners._runtime import runtime_digest
from pratai_bridge.runners.base import BuildFailed
from pratai_bridge.runners.base import RunnerError
from pratai_bridge.runners.docker import builder as builder_mod
from tests.unit.runners.helpers import make_conf
from tests.unit.runners.helpers import make_function

REPO_RUNTIME = pathlib.Path(__file__).resolve().parents[4] / 'runtimes' / \
    'python'
HELLO = 'def main(payload=None):\n    return payload\n'
#: the runtime label of images built from this checkout's runtime
CURRENT = runtime_digest(REPO_RUNTIME)
RUNTIME = 'pratai/python-runtime:latest'


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)


class FakeAPI:
    """Images by name; builds that record what they were given."""

    def __init__(self, images=(), fail=None, build_time=0.0,
                 runtime=CURRENT):
        self.present = set(images)
        # Image -> its runtime label; an image built inherits its base's.
        self.runtimes = dict.fromkeys(images, runtime)
        self.fail = fail
        self.build_time = build_time
        self.builds = []
        self.calls = []

    def inspect_image(self, name):
        if name not in self.present:
            raise docker_errors.ImageNotFound(name)
        labels = {builder_mod.RUNTIME_LABEL: self.runtimes.get(name)}
        # A build of the same tag makes another image, with another id.
        built = sum(build['tag'] == name for build in self.builds)
        return {'Id': f'id-{built}-of-{name}', 'Config': {'Labels': labels}}

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
        labels = kwargs.get('labels') or {}
        self.runtimes[kwargs['tag']] = labels.get(
            builder_mod.RUNTIME_LABEL, self.runtimes.get(RUNTIME))

    def remove_image(self, name):
        self.calls.append(('remove', name))
        if name.startswith('id-'):
            return  # an image by id: one the tag no longer names
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
    with pytest.raises(BuildFailed, match='mmdebstrap is not installed') \
            as info:
        _builder(conf, FakeAPI()).ensure_base_image()
    assert ('install mmdebstrap (apt-get install mmdebstrap) and run '
            '"pratai-bridge-manage runtime build" as root') in str(info.value)
    assert 'set [builder] base_image to an image it has' in str(info.value)


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


def test_images_of_another_runtime_are_built_again(conf):
    function, data = make_function({'handler.py': HELLO})
    tag = builder_mod.image_tag(function.sha256)
    # Built before an upgrade of the bridge: the runtime changed since.
    api = FakeAPI(RUNTIME_IMAGES + (tag,), runtime='older')
    builder = _builder(conf, api)
    assert builder.current_image(tag) is None
    assert builder.build(function, data) == tag
    runtime, rebuilt = api.builds
    assert runtime['tag'] == RUNTIME
    assert runtime['labels'] == {builder_mod.RUNTIME_LABEL: CURRENT}
    assert rebuilt['tag'] == tag
    assert builder.current_image(tag) is not None
    # The older image, untagged by the rebuild, is removed.
    assert ('remove', f'id-0-of-{tag}') in api.calls
    assert builder.build(function, data) == tag
    assert len(api.builds) == 2


def test_a_build_past_its_timeout_fails(conf, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(builder_mod.time, 'monotonic', lambda: clock[0])

    class SlowAPI(FakeAPI):
        def build(self, **kwargs):
            for chunk in super().build(**kwargs):
                clock[0] += 600  # each step takes ten minutes
                yield chunk

    function, data = make_function({'handler.py': HELLO})
    with pytest.raises(BuildFailed, match='took longer than \\[builder\\] '
                                          'build_timeout \\(900 s\\)'):
        _builder(conf, SlowAPI(RUNTIME_IMAGES)).build(function, data)
