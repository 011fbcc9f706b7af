"""docs/functions.md shows what the normalizers really hand a function.

Each JSON block there marked ``<!-- payload-of: SAMPLE EXCHANGE -->`` is
checked against the event the sample normalizes to: the same keys, and
the same ``details``, source, event type and resource (the payload is
abbreviated in the document, and times and derived ids vary).
"""

import json
import pathlib
import re

import pytest

from pratai_bridge.events import decode
from pratai_bridge.events.normalize import Normalizers
from tests.unit import samples

DOCUMENT = (pathlib.Path(__file__).resolve().parents[2] / 'docs'
            / 'functions.md')
_BLOCK = re.compile(r'<!-- payload-of: (\S+) (\S+) -->\n```json\n(.*?)\n```',
                    re.S)


def _blocks():
    return _BLOCK.findall(DOCUMENT.read_text())


def test_every_source_is_shown():
    assert {exchange for _, exchange, _ in _blocks()} == {
        'nova', 'swift', 'aodh'}


@pytest.mark.parametrize('sample, exchange, text', _blocks(),
                         ids=[b[0] for b in _blocks()])
def test_the_document_is_what_the_function_gets(sample, exchange, text):
    shown = json.loads(text)
    event = Normalizers().normalize(
        decode.load_file(str(samples.path(sample)), exchange))
    real = dict(event.as_document(), subscription=shown['subscription'])
    assert shown.keys() == real.keys()
    for key in ('source', 'event_type', 'publisher_id', 'priority',
                'project_id', 'user_id', 'resource_id', 'details'):
        assert shown[key] == real[key], key
