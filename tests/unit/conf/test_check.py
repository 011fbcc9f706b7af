"""Unknown sections and options, bad values, inline comments: FILE:LINE."""

import re
import textwrap

import pytest
from oslo_config import cfg
from oslo_config import generator

from pratai_bridge import conf as conf_mod
from pratai_bridge import preflight
from pratai_bridge.conf import check

AUTH_HOOK = [preflight.auth_opts]


def parsed(tmp_path, *texts, directory=None):
    """A fresh ConfigOpts with the bridge's options, parsed from files."""
    conf = cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    args = []
    for index, text in enumerate(texts):
        path = tmp_path / f'{index}.conf'
        path.write_text(textwrap.dedent(text))
        args.append(f'--config-file={path}')
    if directory is not None:
        args.append(f'--config-dir={directory}')
    conf(args, default_config_files=[], default_config_dirs=[])
    return conf


def messages(problems):
    return [str(p).split(': ', 1)[1] for p in problems]


def test_a_valid_file_has_no_problems(tmp_path):
    conf = parsed(tmp_path, """
        [DEFAULT]
        transport_url = rabbit://guest:guest@127.0.0.1:5672/
        state_path = /var/lib/pratai-bridge
        debug = true
        log_file = /var/log/pratai-bridge.log
        control_exchange = openstack
        [listener]
        pool = pratai-bridge
        [dispatcher]
        workers = 2
        [oslo_messaging_rabbit]
        heartbeat_timeout_threshold = 30
        ssl = false
        [oslo_messaging_notifications]
        driver = messagingv2
        [swift]
        auth_type = password
        auth_url = http://keystone:5000/v3
        username = pratai
        password = secret
        project_name = service
        user_domain_name = Default
        project_domain_name = Default
        timeout = 10
        """)
    assert check.check(conf, AUTH_HOOK) == []


def test_every_group_that_authenticates_knows_its_plugin_options(tmp_path):
    conf = parsed(tmp_path, """
        [api]
        enabled = true
        auth_strategy = keystone
        [keystone_authtoken]
        www_authenticate_uri = http://keystone:5000/v3
        auth_type = password
        [nova]
        auth_type = v3applicationcredential
        auth_url = http://keystone:5000/v3
        application_credential_id = 21dced0fd20347869b93710d2b98aae0
        application_credential_secret = secret
        [credentials]
        names = backup
        [credential:backup]
        auth_type = password
        auth_url = http://keystone:5000/v3
        username = pratai
        password = secret
        user_domain_name = Default
        trust_id = 0ab4e8ba5a7c4b3b9a0b3c7f9a1d2e3f
        """)
    assert check.check(conf, AUTH_HOOK) == []


def test_a_group_that_authenticates_refuses_an_unknown_plugin_option(
        tmp_path):
    conf = parsed(tmp_path, """
        [nova]
        auth_type = password
        usrname = pratai
        """)
    assert messages(check.check(conf, AUTH_HOOK)) == [
        'unknown option [nova] usrname (did you mean username?)']


def test_unknown_option_and_section_name_file_line_and_closest(tmp_path):
    conf = parsed(tmp_path, """
        [listener]
        pol = blue
        [stroe]
        driver = swift
        [dispatcher]
        worker = 2
        [DEFAULT]
        workers = 3
        """)
    path = str(tmp_path / '0.conf')
    assert [str(p) for p in check.check(conf)] == [
        f'{path}:3: unknown option [listener] pol (did you mean pool?)',
        f'{path}:4: unknown section [stroe] (did you mean [store]?)',
        f'{path}:7: unknown option [dispatcher] worker (did you mean '
        'workers?)',
        f'{path}:9: unknown option [DEFAULT] workers (did you mean '
        '[dispatcher] workers?)',
    ]
    assert all(p.error for p in check.check(conf))


def test_allow_unknown_options_makes_them_warnings(tmp_path):
    conf = parsed(tmp_path, """
        [DEFAULT]
        allow_unknown_options = true
        nova_only = 1
        [nova_section]
        x = 1
        [dispatcher]
        workers = zero
        """)
    problems = check.check(conf)
    assert [(p.line, p.error) for p in problems] == [
        (4, False), (5, False), (8, True)]
    with pytest.raises(check.ConfigError) as raised:
        check.require_valid(conf)
    assert [p.line for p in raised.value.problems] == [8]


def test_invalid_values_say_what_is_allowed(tmp_path):
    conf = parsed(tmp_path, """
        [dispatcher]
        workers = zero
        poll_interval = 0
        [journal]
        record_unmatched_events = maybe
        [swift]
        interface = outside
        [oslo_messaging_rabbit]
        rabbit_qos_prefetch_count = many
        """)
    assert messages(check.check(conf)) == [
        "[dispatcher] workers = 'zero' is not valid: an integer >= 1 "
        'expected',
        "[dispatcher] poll_interval = '0' is not valid: a number >= 0.01 "
        'expected',
        "[journal] record_unmatched_events = 'maybe' is not valid: true or "
        'false expected',
        "[swift] interface = 'outside' is not valid: one of public, "
        'internal, admin',
        "[oslo_messaging_rabbit] rabbit_qos_prefetch_count = 'many' is not "
        'valid: an integer expected',
    ]


def test_only_the_value_oslo_config_uses_is_checked(tmp_path):
    """The last file setting an option wins; its line is the one named."""
    conf = parsed(tmp_path, '[dispatcher]\nworkers = zero\n',
                  '[dispatcher]\n\nworkers = two\n')
    (problem,) = check.check(conf)
    assert (problem.path, problem.line) == (str(tmp_path / '1.conf'), 3)
    fixed = parsed(tmp_path, '[dispatcher]\nworkers = zero\n',
                   '[dispatcher]\nworkers = 2\n')
    assert check.check(fixed) == []


def test_substitution_is_what_oslo_config_does(tmp_path):
    conf = parsed(tmp_path, """
        [DEFAULT]
        state_path = /srv/bridge
        [journal]
        connection = sqlite:///$state_path/journal.sqlite
        [store]
        local_directory = $nowhere/functions
        """)
    (problem,) = check.check(conf)
    assert problem.line == 7
    assert problem.message == ("[store] local_directory = "
                               "'$nowhere/functions' is not valid: "
                               '$nowhere names no option')


def test_inline_comments_are_errors_and_secrets_are_not_shown(tmp_path):
    conf = parsed(tmp_path, """
        [store]
        driver = local   # or swift
        [journal]
        connection = postgresql://u:pa #ss@db/j
        """)
    first, second = check.check(conf)
    assert first.error and first.line == 3
    assert "('local   # or swift')" in first.message
    assert 'put comments on lines of their own' in first.message
    # A secret may really hold " #": a warning that never shows it.
    assert not second.error and second.line == 5
    assert 'pa #ss' not in second.message


def test_config_dir_files_are_checked(tmp_path):
    directory = tmp_path / 'conf.d'
    directory.mkdir()
    (directory / '10-extra.conf').write_text('[listener]\npoool = x\n')
    (directory / 'ignored.txt').write_text('[nonsense]\n')
    conf = parsed(tmp_path, '[DEFAULT]\n', directory=directory)
    (problem,) = check.check(conf)
    assert problem.path == str(directory / '10-extra.conf')
    assert problem.line == 2 and 'poool' in problem.message


def test_deprecated_names_are_known_and_warned_about(tmp_path):
    conf = parsed(tmp_path, """
        [oslo_messaging_rabbit]
        kombu_reconnect_timeout = 10
        [DEFAULT]
        logfile = /var/log/bridge.log
        """)
    problems = check.check(conf)
    assert [(p.line, p.error) for p in problems] == [(3, False),
                                                     (5, False)]
    assert messages(problems) == [
        '[oslo_messaging_rabbit] kombu_reconnect_timeout is deprecated: '
        'use [oslo_messaging_rabbit] kombu_missing_consumer_retry_timeout',
        '[DEFAULT] logfile is deprecated: use [DEFAULT] log_file']


def test_keystoneauth_options_follow_auth_type(tmp_path):
    password = parsed(tmp_path, """
        [swift]
        auth_type = password
        username = x
        user = y
        """)
    assert messages(check.check(password, AUTH_HOOK)) == [
        'unknown option [swift] user (did you mean user_id?)']
    tempauth = parsed(tmp_path, """
        [swift]
        auth_type = tempauth
        auth_url = http://127.0.0.1:8080/auth/v1.0
        user = test:tester
        key = testing
        username = x
        """)
    assert [p.line for p in check.check(tempauth, AUTH_HOOK)] == [7]
    wrong = parsed(tmp_path, '[swift]\nauth_type = pasword\n')
    (problem,) = check.check(wrong, AUTH_HOOK)
    assert problem.line == 2
    assert "auth_type = 'pasword' is not valid" in problem.message
    assert 'password' in problem.message and 'tempauth' in problem.message


def test_every_option_of_the_generated_sample_is_known(tmp_path):
    """The sample uncommented, as an operator copies it: no name in it is
    unknown (its placeholder values are another matter)."""
    out = tmp_path / 'sample.conf'
    generator.main(['--namespace', 'pratai_bridge', '--namespace',
                    'oslo.log', '--namespace', 'oslo.messaging',
                    '--output-file', str(out)])
    lines = []
    for line in out.read_text().splitlines():
        match = re.match(r'^#(\w+) = ', line)
        if line.startswith('['):
            lines.append(line)
        elif match:
            # The sample's [swift] options are the password plugin's.
            value = {'auth_type': 'password', 'auth_section': ''}.get(
                match.group(1), 'x')
            lines.append(f'{match.group(1)} = {value}')
    conf = parsed(tmp_path, '\n'.join(lines) + '\n')
    assert len(lines) > 100
    assert [p for p in check.check(conf, AUTH_HOOK)
            if p.message.startswith('unknown')] == []


def test_locate_names_the_line_a_value_comes_from(tmp_path):
    conf = parsed(tmp_path, '[runner]\ndriver = x\n',
                  '[runner]\n\ndriver = dokcer\n')
    assert check.locate(conf, 'runner', 'driver') == (
        str(tmp_path / '1.conf'), 3)
    assert check.locate(conf, 'store', 'driver') == (None, None)
