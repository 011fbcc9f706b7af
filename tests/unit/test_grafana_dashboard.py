"""etc/grafana-dashboard.json shows the bridge's metrics, and only them."""

import json
import pathlib
import re

from prometheus_client.parser import text_string_to_metric_families

from pratai_bridge.metrics import Metrics

DASHBOARD = (pathlib.Path(__file__).resolve().parents[2] / 'etc'
             / 'grafana-dashboard.json')
_SUFFIXES = ('_total', '_bucket', '_count', '_sum')


def _family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def test_every_metric_has_a_panel_and_every_panel_a_metric():
    dashboard = json.loads(DASHBOARD.read_text())
    defined = {f.name for f in text_string_to_metric_families(
        Metrics().render().decode())}
    shown = set()
    for panel in dashboard['panels']:
        assert panel['targets'], panel['title']
        for target in panel['targets']:
            names = {_family(n) for n in re.findall(r'pratai_\w+',
                                                    target['expr'])}
            assert names <= defined, (panel['title'], names - defined)
            shown |= names
    assert shown == defined
