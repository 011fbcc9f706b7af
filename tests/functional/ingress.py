"""An HTTP ingress on loopback over a real pipeline and SQLite journal.

What the daemon builds with ``[api] enabled`` (pratai_bridge.ingress.build
around service.make_pipeline), on a free port, for tests that post to it
and read the journal behind it.
"""

import json
import pathlib
import uuid

import requests
from oslo_config import cfg

from pratai_bridge import conf as conf_mod
from pratai_bridge import ingress
from pratai_bridge.journal import Journal
from pratai_bridge.metrics import Metrics
from pratai_bridge.service import make_pipeline
from tests.unit import samples

AODH = samples.ROOT / 'aodh'

SUBSCRIPTIONS = """
subscriptions:
  - name: on-alarm
    function: scale-up
    filters:
      - event_type: alarm.update
      - pattern: {details: {state: [alarm]}}
  - name: on-instance-create
    function: hello
    filters:
      - event_type: [compute.instance.create.end, instance.create.end]
"""


def webhook(name: str = 'threshold-alarm') -> tuple[bytes, dict[str, str]]:
    """An Aodh webhook body as sent, and the headers Aodh sends with it
    (a request id of its own per call, as aodh/notifier/rest.py makes)."""
    body = (AODH / f'http-webhook.{name}.body.json').read_bytes()
    sent = json.loads((AODH / 'http-webhook.request-headers.json')
                      .read_text())['headers']
    headers = {'Content-Type': sent['content-type'],
               'X-OpenStack-Request-ID': f'req-{uuid.uuid4()}'}
    return body, headers


class Ingress:
    """The server, its journal and metrics; ``url`` to post to."""

    def __init__(self, root: pathlib.Path, extra_conf: str = '',
                 checks: dict | None = None,
                 journal_url: str | None = None) -> None:
        subscriptions = root / 'subscriptions.d'
        subscriptions.mkdir(parents=True, exist_ok=True)
        (subscriptions / 'main.yaml').write_text(SUBSCRIPTIONS)
        self.conf = cfg.ConfigOpts()
        conf_mod.register_opts(self.conf)
        path = root / f'ingress-{uuid.uuid4().hex[:8]}.conf'
        path.write_text(f'[DEFAULT]\nstate_path = {root}\n'
                        f'[subscriptions]\ndirectory = {subscriptions}\n'
                        f'[api]\nenabled = true\nport = 0\n{extra_conf}')
        self.conf(['--config-file', str(path)], default_config_files=[])
        self.journal = Journal(journal_url or
                               f'sqlite:///{root}/journal.sqlite')
        if journal_url is None:
            self.journal.start()
        self.metrics = Metrics()
        self.pipeline = make_pipeline(self.conf, self.journal,
                                      metrics=self.metrics)
        self.server = ingress.build(self.conf, self.pipeline, self.metrics,
                                    checks or {})
        self.server.start()
        self.url = f'http://127.0.0.1:{self.server.address[1]}'

    def post(self, path: str, data: bytes | str, **kwargs):
        return requests.post(self.url + path, data=data, timeout=30,
                             **kwargs)

    def get(self, path: str, **kwargs):
        return requests.get(self.url + path, timeout=30, **kwargs)

    def close(self) -> None:
        self.server.stop()
        self.journal.stop()
