"""The daemon's start-up checks and config check's, with real loaders."""

import textwrap

import pytest
from oslo_config import cfg

from pratai_bridge import conf as conf_mod
from pratai_bridge import preflight
from pratai_bridge.functions.model import FunctionSpec
from pratai_bridge.functions.store import base as store_base
from pratai_bridge.functions.store.local import LocalStore

HELLO_SUBSCRIPTION = """\
subscriptions:
  - name: on-create
    function: hello
    filters:
      - event_type: compute.instance.create.end
  - name: on-delete
    function: goodbye
    filters:
      - event_type: compute.instance.delete.end
"""


@pytest.fixture
def setup(tmp_path):
    """(make_conf(extra), subscription directory) for one bridge."""
    subscriptions = tmp_path / 'subscriptions.d'
    subscriptions.mkdir()
    (subscriptions / '10-main.yaml').write_text(HELLO_SUBSCRIPTION)

    def make(extra=''):
        path = tmp_path / 'pratai-bridge.conf'
        path.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            state_path = {tmp_path}
            [subscriptions]
            directory = {subscriptions}
            [runner]
            driver = local
            """) + textwrap.dedent(extra))
        conf = cfg.ConfigOpts()
        conf_mod.register_opts(conf)
        conf([f'--config-file={path}'], default_config_files=[],
             default_config_dirs=[])
        return conf
    return make, subscriptions


def _store_with(conf, *names):
    store = LocalStore(conf)
    for name in names:
        store.put(FunctionSpec(name=name, handler='h'), b'zip')
    return store


def test_a_good_setup_starts_with_warnings_for_missing_functions(setup):
    make, _ = setup
    conf = make()
    _store_with(conf, 'hello')
    warnings = preflight.before_start(conf)
    assert [(p.error, p.line) for p in warnings] == [(False, 6)]
    assert "function 'goodbye' is not in the store" in warnings[0].message
    assert warnings[0].path.endswith('10-main.yaml')


def test_missing_functions_are_errors_for_validate(setup):
    make, _ = setup
    conf = make()
    _store_with(conf, 'hello')
    checked = preflight.run(conf, probe=False)
    assert [p.error for p in checked.problems] == [True]
    assert len(checked.subscriptions) == 2
    _store_with(conf, 'goodbye')
    assert preflight.run(conf, probe=False).problems == []


def test_a_missing_subscription_directory_stops_the_start(setup):
    make, subscriptions = setup
    conf = make(f'[subscriptions]\ndirectory = {subscriptions}-nope\n')
    with pytest.raises(preflight.StartupError) as raised:
        preflight.before_start(conf)
    (problem,) = raised.value.problems
    assert problem.message == (f'[subscriptions] directory '
                               f'{subscriptions}-nope does not exist')
    assert problem.line == 8  # the line that sets it, the last one


def test_unknown_options_and_drivers_stop_the_start(setup):
    make, _ = setup
    conf = make("""
        [listener]
        pol = blue
        [store]
        driver = lokal
        """)
    with pytest.raises(preflight.StartupError) as raised:
        preflight.before_start(conf)
    messages = [p.message for p in raised.value.problems]
    assert messages == [
        'unknown option [listener] pol (did you mean pool?)',
        "[store] driver = 'lokal' is not valid: one of local, swift"]
    assert raised.value.summary() == (
        f'{raised.value.problems[0]} (and 1 more problem)')


def test_broken_subscription_files_stop_the_start(setup):
    make, subscriptions = setup
    (subscriptions / '20-bad.yaml').write_text('subscriptions: [{name: x}]\n')
    with pytest.raises(preflight.StartupError) as raised:
        preflight.before_start(make())
    assert all(p.path.endswith('20-bad.yaml')
               for p in raised.value.problems)


def test_a_store_that_cannot_list_is_one_problem(setup):
    class Down(LocalStore):
        def list(self):
            raise store_base.StoreUnavailable('swift: 503')

    make, _ = setup
    conf = make()
    subscriptions, _ = preflight.subscriptions(conf)
    (problem,) = preflight.functions(Down(conf), subscriptions, error=False)
    assert not problem.error and problem.path is None
    assert 'swift: 503' in problem.message


def test_offline_skips_a_remote_store_but_not_a_local_one(setup):
    make, _ = setup
    remote = make('[store]\ndriver = swift\n')
    checked = preflight.run(remote, offline=True)
    assert checked.problems == []
    assert checked.notes == [
        'functions not looked for in the swift store: --offline']
    local = make()
    assert [p.error for p in preflight.run(local, offline=True).problems
            ] == [True, True]


def test_a_credential_not_configured_stops_the_start(setup):
    make, subscriptions = setup
    (subscriptions / '30-cred.yaml').write_text(
        'subscriptions:\n  - name: tagger\n    function: hello\n'
        '    credential: autoscaler\n')
    with pytest.raises(preflight.StartupError) as raised:
        preflight.before_start(make())
    (problem,) = raised.value.errors
    assert problem.path.endswith('30-cred.yaml') and problem.line == 2
    assert problem.message == (
        "subscription 'tagger': credential 'autoscaler' is not in "
        '[credentials] names (none)')
    configured = make('[credentials]\nnames = autoscaler\n'
                      '[credential:autoscaler]\n'
                      'auth_type = v3applicationcredential\n'
                      'auth_url = http://127.0.0.1:5000/v3\n'
                      'application_credential_id = i\n'
                      'application_credential_secret = s\n')
    assert [p for p in preflight.before_start(configured)
            if 'credential' in p.message] == []


TENANCY = """\
subscriptions:
  - name: a-runs-a
    function: of-a
    project: project-a
  - name: a-runs-operator
    function: of-operator
    project: project-a
  - name: b-runs-a
    function: of-a
    project: project-b
  - name: operator-runs-a
    function: of-a
  - name: operator-runs-operator
    function: of-operator
"""


def test_a_project_s_function_runs_only_for_its_project(setup):
    make, directory = setup
    (directory / '10-main.yaml').write_text(TENANCY)
    conf = make()
    store = LocalStore(conf)
    store.put(FunctionSpec(name='of-a', handler='h', project='project-a'),
              b'zip')
    store.put(FunctionSpec(name='of-operator', handler='h'), b'zip')
    problems = [(p.line, p.message, p.error)
                for p in preflight.run(conf, offline=True).problems]
    assert problems == [
        (8, "subscription 'b-runs-a' of project project-b names function "
            "'of-a' of project project-a: a project's subscription may name "
            "only its project's functions or operator-owned ones", True),
        (11, "subscription 'operator-runs-a' is operator-level (no "
             "project) and names function 'of-a' of project project-a: a "
             "project's function runs only for its own project's "
             "subscriptions (add \"project: project-a\")", True)]
    with pytest.raises(preflight.StartupError) as info:
        preflight.before_start(conf)
    assert [p.line for p in info.value.problems if p.error] == [8, 11]
    assert str(directory / '10-main.yaml') in str(info.value)
