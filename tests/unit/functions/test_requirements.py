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
    ('./some/dir', 'not a requirement'),
    ('/etc/passwd', 'not a requirement'),
    ('six==1.0 --hash=sha256:00', 'not a requirement'),
])
def test_refused_requirement_lines(line, message):
    with pytest.raises(requirements_mod.RequirementsError,
                       match=f"line 2: {message}"):
        requirements_mod.check_requirements(f'six\n{line}\n')
