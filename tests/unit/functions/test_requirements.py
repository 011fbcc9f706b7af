"""The requirements.txt policy: specifiers only."""

import pytest

from pratai_bridge.functions import requirements as requirements_mod


def test_requirements_are_names_and_versions_only():
    text = ('# comment\n\nsix\nrequests[socks] >= 2.0 ; '
            'python_version >= "3"  # why\nPyYAML==6.0.1\n')
    assert requirements_mod.check_requirements(text) == [
        'six', 'requests[socks]>=2.0; python_version >= "3"',
        'PyYAML==6.0.1']
    assert requirements_mod.check_requirements('') == []


@pytest.mark.parametrize('line, message', [
    ('-r /etc/shadow', 'pip options are not allowed'),
    ('--index-url http://evil/simple', 'pip options are not allowed'),
    ('-e .', 'pip options are not allowed'),
    ('--extra-index-url=http://evil', 'pip options are not allowed'),
    ('six \\', 'pip options are not allowed'),
    ('evil @ https://evil.example/evil.whl', 'direct references'),
    ('evil @ file:///root/secret.tar.gz', 'direct references'),
    ('./some/dir', 'local paths are not allowed'),
    ('/etc/passwd', 'local paths are not allowed'),
    ('../up.tar.gz', 'local paths are not allowed'),
    ('evil.whl', 'local paths are not allowed'),
    ('evil-1.0.tar.gz', 'local paths are not allowed'),
    ('six==1.0 --hash=sha256:00', 'pip options are not allowed'),
    ('six -i http://evil/simple', 'pip options are not allowed'),
    ('-i http://evil/simple', 'pip options are not allowed'),
    ('-f http://evil/wheels', 'pip options are not allowed'),
    ('--find-links=/tmp', 'pip options are not allowed'),
    ('-c constraints.txt', 'pip options are not allowed'),
    ('--constraint constraints.txt', 'pip options are not allowed'),
    ('--trusted-host evil.example', 'pip options are not allowed'),
    ('  --pre', 'pip options are not allowed'),
    ('https://evil.example/evil.whl', 'URLs are not allowed'),
    ('git+https://evil.example/evil.git', 'URLs are not allowed'),
    ('six==${PRATAI_SECRET}', '"\\$\\{" is not allowed anywhere'),
    ('six; python_version == "${HOME}"',
     '"\\$\\{" is not allowed anywhere'),
    ('six  # see ${HOME}', '"\\$\\{" is not allowed anywhere'),
    ('six[${X}]', '"\\$\\{" is not allowed anywhere'),
    ('six ===', 'not a requirement'),
])
def test_refused_requirement_lines(line, message):
    with pytest.raises(requirements_mod.RequirementsError,
                       match=f"line 2: {message}"):
        requirements_mod.check_requirements(f'six\n{line}\n')


def test_the_error_names_the_file_line_and_why():
    with pytest.raises(requirements_mod.RequirementsError) as info:
        requirements_mod.check_requirements(
            '# ok\nsix\n\n--extra-index-url http://evil/simple\n')
    assert str(info.value) == (
        'requirements.txt line 4: pip options are not allowed, only '
        'requirements such as "six>=1.16" (--extra-index-url '
        'http://evil/simple)')


def test_markers_extras_and_versions_are_kept():
    assert requirements_mod.check_requirements(
        'A.b-c[x,y] ~= 1.2, != 1.2.5; sys_platform == "linux"\n') == [
        'A.b-c[x,y]!=1.2.5,~=1.2; sys_platform == "linux"']
