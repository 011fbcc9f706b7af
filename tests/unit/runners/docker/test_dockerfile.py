"""The Dockerfile of a function image."""

from pratai_bridge.runners.docker import _dockerfile as dockerfile_mod


def test_dockerfile_without_requirements():
    text = dockerfile_mod.dockerfile('pratai/python-runtime:latest', 'pkg.fn',
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
    text = dockerfile_mod.dockerfile('RT', 'fn', 'cd' * 32, True)
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
