"""docs/configuration-reference.md is generated from the options."""

import subprocess
import sys

from tools import config_reference


def test_the_committed_reference_is_current():
    assert config_reference.OUTPUT.read_text() == config_reference.render(), (
        'docs/configuration-reference.md is stale: run '
        'python3 tools/config_reference.py')


def test_every_option_is_in_it():
    text = config_reference.render()
    for group, group_opts in config_reference.opts.list_opts():
        assert f'## [{group}]' in text
        for opt in group_opts:
            assert f'| `{opt.dest}` |' in text, (group, opt.dest)


def test_check_says_when_it_is_stale():
    result = subprocess.run([sys.executable, str(
        config_reference.ROOT / 'tools' / 'config_reference.py'), '--check'],
        capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, '')
