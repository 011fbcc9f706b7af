"""pratai_runtime.py --serve: invocations one after another, as a warm
container runs them (one JSON request line in, one answer line out, the
logs on stderr up to the request's end marker). No Docker, no network.
"""

import json
import os
import select
import subprocess
import sys
import time
import uuid

import pytest

from tests.unit.runtime.test_pratai_runtime import RUNTIME
from tests.unit.runtime.test_pratai_runtime import write

COUNTER = '''
    import os
    calls = 0
    def main(payload=None):
        global calls
        calls += 1
        print("call", calls, "cwd", os.getcwd())
        os.chdir("/")
        before = sorted(os.listdir(payload["scratch"]))
        with open(os.path.join(payload["scratch"], "left"), "w") as out:
            out.write("x")
        os.mkdir(os.path.join(payload["scratch"], "dir"))
        return {"calls": calls, "scratch_before": before}
'''


class Served:
    """A runtime in serve mode, with the bridge's side of its protocol."""

    def __init__(self, function_dir, scratch, handler='handler'):
        self.process = subprocess.Popen(
            [sys.executable, '-I', str(RUNTIME), '--handler', handler,
             '--function-dir', str(function_dir), '--serve',
             '--scratch', str(scratch)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self._logs = b''

    def invoke(self, payload, timeout=10.0):
        """(answer, logs) of one invocation."""
        end = f'\x1e{uuid.uuid4().hex}\x1e'
        self.send({'payload': payload, 'timeout': timeout, 'end': end})
        answer = json.loads(self._read(self.process.stdout, b'\n'))
        logs = self._read(self.process.stderr, end.encode())
        return answer, logs.decode()[:-len(end)]

    def send(self, request):
        self.process.stdin.write(json.dumps(request).encode() + b'\n')
        self.process.stdin.flush()

    def _read(self, stream, until):
        data = b''
        deadline = time.monotonic() + 10
        while not data.endswith(until):
            assert time.monotonic() < deadline, data
            ready, _, _ = select.select([stream], [], [], 10)
            assert ready, f'nothing after {data!r}'
            chunk = os.read(stream.fileno(), 1)
            assert chunk, f'stream ended after {data!r}'
            data += chunk
        return data

    def wait(self, timeout=10):
        return self.process.wait(timeout)

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout,
                       self.process.stderr):
            stream.close()


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(source, handler='handler', scratch=None):
        function_dir = tmp_path / 'function'
        write(function_dir, f'{handler}.py', source)
        scratch = scratch or tmp_path / 'scratch'
        scratch.mkdir(exist_ok=True)
        started.append(Served(function_dir, scratch, handler))
        return started[-1]

    yield start
    for served in started:
        served.close()


def test_module_state_persists_and_the_scratch_is_emptied(serve, tmp_path):
    served = serve(COUNTER)
    scratch = str(tmp_path / 'scratch')
    function_dir = str(tmp_path / 'function')
    for call in (1, 2, 3):
        answer, logs = served.invoke({'scratch': scratch})
        assert answer == {'status': 'succeeded', 'reusable': True,
                          'result': {'calls': call, 'scratch_before': []}}
        # Each invocation's logs alone, and the function dir as cwd.
        assert logs == f'call {call} cwd {function_dir}\n'
    assert os.listdir(scratch) == []
    served.process.stdin.close()
    assert served.wait() == 0


def test_a_failure_is_answered_then_the_runtime_exits(serve):
    served = serve('''
        def main(payload=None):
            print("failing")
            raise ValueError("boom")
    ''')
    answer, logs = served.invoke({})
    assert answer['status'] == 'failed'
    assert answer['reusable'] is False
    assert answer['error']['traceback'].rstrip().endswith('ValueError: boom')
    assert logs == 'failing\n'
    assert served.wait() == 1


def test_an_import_error_fails_the_first_invocation(serve):
    served = serve('import nothing_here\ndef main(payload=None): pass\n')
    answer, _ = served.invoke({})
    assert (answer['status'], answer['reusable']) == ('failed', False)
    assert answer['error']['type'] == 'ModuleNotFoundError'
    assert served.wait() == 1


def test_a_result_that_is_not_json_is_an_error_and_not_reused(serve):
    served = serve('def main(payload=None):\n    return float("nan")\n')
    answer, _ = served.invoke({})
    assert (answer['status'], answer['reusable']) == ('error', False)
    assert 'not JSON' in answer['error']['message']
    assert served.wait() == 2


def test_a_bad_request_is_an_error(serve):
    served = serve('def main(payload=None):\n    return 1\n')
    served.send({'payload': {}})  # no timeout, no end marker
    answer = json.loads(served.process.stdout.readline())
    assert (answer['status'], answer['reusable']) == ('error', False)
    assert 'cannot read the request' in answer['error']['message']
    assert served.wait() == 2


def test_the_function_cannot_read_the_requests(serve):
    served = serve('''
        import sys
        def main(payload=None):
            return sys.stdin.read()
    ''')
    first, _ = served.invoke({})
    assert first == {'status': 'succeeded', 'result': '', 'reusable': True}
    second, _ = served.invoke({})
    assert second == first


def test_a_scratch_that_cannot_be_emptied_is_not_reused(serve, tmp_path):
    served = serve('def main(payload=None):\n    return 1\n',
                   scratch=tmp_path / 'gone')
    (tmp_path / 'gone').rmdir()
    answer, _ = served.invoke({})
    assert answer == {'status': 'succeeded', 'result': 1, 'reusable': False}
    assert served.wait() == 2


def test_an_invocation_past_its_time_ends_the_runtime(serve):
    served = serve('''
        import time
        def main(payload=None):
            while True:
                time.sleep(0.05)
    ''')
    started = time.monotonic()
    served.send({'payload': {}, 'timeout': 0.5, 'end': 'END'})
    assert served.wait() == 2
    assert time.monotonic() - started < 5


def test_a_bridge_gone_while_a_function_runs_ends_the_runtime(serve):
    served = serve('''
        import time
        def main(payload=None):
            print("started", flush=True)
            time.sleep(60)
    ''')
    served.send({'payload': {}, 'timeout': 60, 'end': 'END'})
    assert served._read(served.process.stderr, b'started\n')
    started = time.monotonic()
    served.process.stdin.close()
    assert served.wait() == 2
    assert time.monotonic() - started < 5
