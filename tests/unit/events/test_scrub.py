"""Secrets never stored: scrub() masks what looks like one, anywhere."""

import json

import pytest

from pratai_bridge.events import scrub as scrub_mod
from pratai_bridge.events.scrub import MASK
from pratai_bridge.events.scrub import scrub


@pytest.mark.parametrize('key', [
    '_context_auth_token', 'auth_token', 'token', 'X-Auth-Token',
    'x_auth_key', 'password', 'admin_password', 'Password', 'passwd',
    'application_credential_secret', 'client_secret', 'passcode',
    'credential', 'credentials', 'Authorization', 'api_key', 'apikey',
    'access_key', 'secret_key', 'private_key', 'signing-key',
    '_context_auth_token_info', 'subject_token', 'refresh_token',
])
def test_secret_keys(key):
    assert scrub_mod.is_secret_key(key)
    assert scrub({key: 'hunter2', 'keep': 1}) == {key: MASK, 'keep': 1}


@pytest.mark.parametrize('key', [
    'key_name', 'keypair', 'public_key', 'project_id', 'user_id',
    'state', 'display_name', 'key', 'fingerprint', 'path',
])
def test_other_keys_are_kept(key):
    assert not scrub_mod.is_secret_key(key)
    assert scrub({key: 'value'}) == {key: 'value'}


def test_nested_and_in_lists_and_whole_values():
    raw = {'ctxt': {'auth_token': 'gAAAA-tok', 'roles': ['admin'],
                    'auth_token_info': {'token': {'id': 1}}},
           'payload': [{'admin_password': 'p4ss'}, {'ok': [None, 1.5]}],
           'password': None}
    assert scrub(raw) == {
        'ctxt': {'auth_token': MASK, 'roles': ['admin'],
                 'auth_token_info': MASK},
        'payload': [{'admin_password': MASK}, {'ok': [None, 1.5]}],
        'password': None}
    # The input is never changed.
    assert raw['ctxt']['auth_token'] == 'gAAAA-tok'


def test_json_inside_a_string():
    body = json.dumps({'_context_auth_token': 'gAAAA-tok',
                       'event_type': 'x', 'nested': {'password': 'p"w'}})
    text = scrub({'oslo.version': '2.0', 'oslo.message': body + '{oops'})
    assert 'gAAAA-tok' not in json.dumps(text)
    assert 'p\\"w' not in text['oslo.message']
    assert '"event_type": "x"' in text['oslo.message']
    assert scrub('no secrets "here": "x"') == 'no secrets "here": "x"'


def test_scalars_and_non_string_keys():
    for value in (None, 1, 1.5, True, b'\xff', 'text'):
        assert scrub(value) == value
    assert scrub({1: 'x'}) == {1: 'x'}


def test_deep_documents_are_cut_not_fatal():
    deep: object = 'bottom'
    for _ in range(5000):
        deep = {'a': deep}
    scrubbed = scrub(deep)
    for _ in range(scrub_mod.MAX_DEPTH):
        scrubbed = scrubbed['a']
    assert scrubbed.startswith('(nested deeper than')
