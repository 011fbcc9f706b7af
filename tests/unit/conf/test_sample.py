"""The committed etc/pratai-bridge.conf.sample must match the options."""

import pathlib
import re

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslo_config import generator

from pratai_bridge import conf
from pratai_bridge.conf import opts

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLE = ROOT / 'etc' / 'pratai-bridge.conf.sample'
STALE = 'etc/pratai-bridge.conf.sample is stale: run tox -e genconfig'


def _generate(tmp_path) -> str:
    """The sample for our namespace alone (oslo's own options vary with
    their releases and are not ours to check)."""
    out = tmp_path / 'ours.conf'
    generator.main(['--namespace', 'pratai_bridge', '--wrap-width', '79',
                    '--output-file', str(out)])
    return out.read_text()


def _blocks(text: str) -> dict[str, set[str]]:
    """{group: {option block text}} of a generated sample."""
    groups: dict[str, set[str]] = {}
    for section in re.split(r'^\[', text, flags=re.M)[1:]:
        name, _, body = section.partition(']\n')
        chunks = [c.strip() for c in body.split('\n\n')]
        groups.setdefault(name, set()).update(
            c for c in chunks if re.search(r'^#\w+ =', c, re.M))
    return groups


def test_sample_is_current(tmp_path):
    committed = _blocks(SAMPLE.read_text())
    for group, blocks in _blocks(_generate(tmp_path)).items():
        missing = blocks - committed.get(group, set())
        assert not missing, f'{STALE}; [{group}] differs:\n' + '\n\n'.join(
            missing)


def test_sample_has_no_removed_options():
    committed = _blocks(SAMPLE.read_text())
    ours = {group for group, _ in opts.list_opts() if group != 'DEFAULT'}
    for group in ours:
        names = {re.search(r'^#(\w+) =', b, re.M).group(1)
                 for b in committed.get(group, ())}
        expected = {o.dest for g, group_opts in opts.list_opts()
                    if g == group for o in group_opts}
        assert names == expected, STALE


def test_every_module_is_listed_and_registered():
    fresh = cfg.ConfigOpts()
    conf.register_opts(fresh)
    # keystoneauth registers an auth plugin's options when it loads the
    # plugin [swift] auth_type names; the sample shows the password one's.
    dynamic = {o.dest for o in
               ks_loading.get_auth_plugin_conf_options('password')}
    for group, group_opts in opts.list_opts():
        for opt in group_opts:
            section = fresh if group == 'DEFAULT' else fresh[group]
            assert opt.dest in section or opt.dest in dynamic, (
                f'[{group}] {opt.name}')
        for opt in group_opts:
            assert opt.help, f'[{group}] {opt.name} has no help text'


def test_daemon_defaults_need_only_transport_url():
    fresh = cfg.ConfigOpts()
    conf.register_opts(fresh)
    fresh([], default_config_files=[])
    assert fresh.listener.pool == 'pratai-bridge'
    assert fresh.journal.connection.startswith('sqlite:///')
    assert fresh.subscriptions.directory
