"""runtimes/python/pratai_runtime.py, run as the container runs it.

Each test writes a tiny function into a tmp dir and runs the runtime as a
subprocess of this Python with ``-I``, like the image's entry point, then
checks the one result line on stdout, the logs on stderr and the exit
code. No Docker, no network.
"""

import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

RUNTIME = (pathlib.Path(__file__).resolve().parents[3]
           / 'runtimes' / 'python' / 'pratai_runtime.py')


def write(directory, name, source):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def run(function_dir, handler='handler', payload=b'{}', extra=(),
        timeout=20):
    """Run the runtime; return (parsed result line, stderr, exit code)."""
    argv = [sys.executable, '-I', str(RUNTIME), '--handler', handler,
            '--function-dir', str(function_dir), *extra]
    done = subprocess.run(argv, input=payload, capture_output=True,
                          timeout=timeout)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1, done
    return json.loads(lines[0]), done.stderr.decode(), done.returncode


def test_success_returns_the_result_of_main(tmp_path):
    write(tmp_path, 'handler.py', '''
        def main(payload=None):
            return {"seen": payload, "n": len(payload["items"])}
    ''')
    payload = {'items': [1, 2, 3], 'name': 'caf\u00e9'}
    out, _, code = run(tmp_path, payload=json.dumps(payload).encode())
    assert code == 0
    assert out == {'status': 'succeeded',
                   'result': {'seen': payload, 'n': 3}}


def test_null_payload_and_none_result(tmp_path):
    write(tmp_path, 'handler.py', '''
        def main(payload=None):
            assert payload is None
    ''')
    out, _, code = run(tmp_path, payload=b'null')
    assert (out, code) == ({'status': 'succeeded', 'result': None}, 0)


def test_function_output_goes_to_stderr_only(tmp_path):
    write(tmp_path, 'handler.py', '''
        import os, subprocess, sys
        print("at import")
        def main(payload=None):
            print("to stdout", payload["x"])
            sys.stdout.write("no newline")
            print("to stderr", file=sys.stderr)
            os.write(1, b"raw fd 1\\n")
            subprocess.run(["echo", "from a child"], check=True)
            return "ok"
    ''')
    out, err, code = run(tmp_path, payload=b'{"x": 7}')
    assert (out, code) == ({'status': 'succeeded', 'result': 'ok'}, 0)
    for text in ('at import', 'to stdout 7', 'no newline', 'to stderr',
                 'raw fd 1', 'from a child'):
        assert text in err


def test_exception_is_a_failure_with_traceback(tmp_path):
    write(tmp_path, 'handler.py', '''
        def helper(value):
            raise ValueError("bad value %r" % value)

        def main(payload=None):
            print("before the fall")
            helper(payload["v"])
    ''')
    out, err, code = run(tmp_path, payload=b'{"v": 42}')
    assert code == 1
    assert out['status'] == 'failed'
    error = out['error']
    assert error['type'] == 'ValueError'
    assert error['message'] == 'bad value 42'
    assert 'handler.py' in error['traceback']
    assert 'in helper' in error['traceback']
    # The runtime's own frames are left out.
    assert 'pratai_runtime' not in error['traceback']
    assert 'before the fall' in err


def test_custom_exception_type_is_qualified(tmp_path):
    write(tmp_path, 'handler.py', '''
        class Oops(Exception):
            pass

        def main(payload=None):
            raise Oops("nope")
    ''')
    out, _, code = run(tmp_path)
    assert code == 1
    assert out['error']['type'] == 'handler.Oops'


@pytest.mark.parametrize('body, kind', [
    ('import sys\n    sys.exit(3)', 'SystemExit'),
    ('raise KeyError("k")', 'KeyError'),
    ('class Odd(BaseException): pass\n    raise Odd("odd")',
     'handler.main.<locals>.Odd'),
])
def test_sys_exit_and_base_exceptions_are_failures(tmp_path, body, kind):
    write(tmp_path, 'handler.py',
          'def main(payload=None):\n    ' + body + '\n')
    out, _, code = run(tmp_path)
    assert (out['status'], out['error']['type'], code) == ('failed', kind, 1)


def test_keyboard_interrupt_is_a_runtime_error(tmp_path):
    write(tmp_path, 'handler.py', '''
        def main(payload=None):
            raise KeyboardInterrupt
    ''')
    out, _, code = run(tmp_path)
    assert (out['status'], out['error']['type'], code) == (
        'error', 'KeyboardInterrupt', 2)


def test_error_at_import_is_a_failure(tmp_path):
    write(tmp_path, 'handler.py', '''
        raise RuntimeError("broken at import")
        def main(payload=None):
            return 1
    ''')
    out, _, code = run(tmp_path)
    assert (out['status'], code) == ('failed', 1)
    assert out['error']['message'] == 'broken at import'


def test_missing_dependency_is_a_failure_not_a_runtime_error(tmp_path):
    write(tmp_path, 'handler.py', '''
        import pratai_no_such_dependency
        def main(payload=None):
            return 1
    ''')
    out, _, code = run(tmp_path)
    assert (out['status'], code) == ('failed', 1)
    assert out['error']['type'] == 'ModuleNotFoundError'


def test_missing_handler_module_is_a_runtime_error(tmp_path):
    out, _, code = run(tmp_path, handler='absent')
    assert (out['status'], code) == ('error', 2)
    assert out['error']['type'] == 'RuntimeFailure'
    assert "no module 'absent'" in out['error']['message']


def test_missing_package_of_dotted_handler_is_a_runtime_error(tmp_path):
    out, _, code = run(tmp_path, handler='pkg.mod')
    assert (out['status'], code) == ('error', 2)


def test_dotted_handler_in_a_package(tmp_path):
    write(tmp_path, 'pkg/__init__.py', '')
    write(tmp_path, 'pkg/mod.py', '''
        from . import helper
        def main(payload=None):
            return helper.VALUE
    ''')
    write(tmp_path, 'pkg/helper.py', 'VALUE = "from the package"\n')
    out, _, code = run(tmp_path, handler='pkg.mod')
    assert (out, code) == ({'status': 'succeeded',
                            'result': 'from the package'}, 0)


@pytest.mark.parametrize('source', [
    'x = 1\n', 'main = 42\n',
])
def test_no_callable_main_is_a_runtime_error(tmp_path, source):
    write(tmp_path, 'handler.py', source)
    out, _, code = run(tmp_path)
    assert (out['status'], code) == ('error', 2)
    assert 'no callable main' in out['error']['message']


@pytest.mark.parametrize('value', [
    '{1, 2}', 'object()', 'float("nan")', 'float("inf")', 'b"bytes"',
])
def test_result_that_is_not_json_is_a_runtime_error(tmp_path, value):
    write(tmp_path, 'handler.py',
          f'def main(payload=None):\n    return {value}\n')
    out, _, code = run(tmp_path)
    assert (out['status'], code) == ('error', 2)
    assert 'not JSON' in out['error']['message']


@pytest.mark.parametrize('payload', [b'{not json', b'', b'\xff\xfe\x00'])
def test_bad_payload_is_a_runtime_error(tmp_path, payload):
    write(tmp_path, 'handler.py', '''
        print("imported")
        def main(payload=None):
            return 1
    ''')
    out, err, code = run(tmp_path, payload=payload)
    assert (out['status'], code) == ('error', 2)
    assert 'cannot read the payload' in out['error']['message']
    # The function is not even imported.
    assert 'imported' not in err


def test_payload_from_a_file(tmp_path):
    write(tmp_path, 'handler.py', '''
        def main(payload=None):
            return payload["from"]
    ''')
    payload_file = tmp_path / 'payload.json'
    payload_file.write_text('{"from": "file"}')
    out, _, code = run(tmp_path, payload=b'{"from": "stdin"}',
                       extra=['--payload-file', str(payload_file)])
    assert (out, code) == ({'status': 'succeeded', 'result': 'file'}, 0)


def test_missing_payload_file_is_a_runtime_error(tmp_path):
    write(tmp_path, 'handler.py', 'def main(payload=None):\n    return 1\n')
    out, _, code = run(tmp_path,
                       extra=['--payload-file', str(tmp_path / 'nope')])
    assert (out['status'], code) == ('error', 2)


def test_bad_command_line_still_gives_a_result_line(tmp_path):
    argv = [sys.executable, '-I', str(RUNTIME), '--no-such-flag']
    done = subprocess.run(argv, input=b'{}', capture_output=True,
                          timeout=20)
    out = json.loads(done.stdout)
    assert (out['status'], done.returncode) == ('error', 2)


def test_deps_dir_is_importable(tmp_path):
    function_dir = tmp_path / 'function'
    deps = tmp_path / 'deps'
    write(deps, 'pratai_fake_dep/__init__.py', 'ANSWER = 42\n')
    write(function_dir, 'handler.py', '''
        import pratai_fake_dep
        def main(payload=None):
            return pratai_fake_dep.ANSWER
    ''')
    out, _, code = run(function_dir, extra=['--deps-dir', str(deps)])
    assert (out, code) == ({'status': 'succeeded', 'result': 42}, 0)


def test_lingering_thread_does_not_keep_the_process(tmp_path):
    write(tmp_path, 'handler.py', '''
        import threading, time
        def main(payload=None):
            threading.Thread(target=time.sleep, args=(60,)).start()
            return "done"
    ''')
    out, _, code = run(tmp_path, timeout=10)
    assert (out, code) == ({'status': 'succeeded', 'result': 'done'}, 0)


def test_long_traceback_is_bounded(tmp_path):
    write(tmp_path, 'handler.py', '''
        def main(payload=None):
            raise ValueError("x" * 100000)
    ''')
    out, _, code = run(tmp_path)
    assert code == 1
    assert len(out['error']['message']) <= 4096
    assert len(out['error']['traceback']) <= 16384


@pytest.mark.parametrize('argv, message', [
    ([], 'the following arguments are required: --handler'),
    (['--handler'], 'argument --handler: expected one argument'),
    (['--handler', 'h', 'extra'], 'unrecognized arguments: extra'),
])
def test_command_line_errors_say_what_is_wrong(tmp_path, argv, message):
    done = subprocess.run([sys.executable, '-I', str(RUNTIME), *argv],
                          input=b'{}', capture_output=True, timeout=20)
    out = json.loads(done.stdout)
    assert (out['status'], out['error']['message'], done.returncode) == (
        'error', message, 2)


def test_options_take_their_value_after_an_equals_sign(tmp_path):
    write(tmp_path / 'fn', 'handler.py', '''
        def main(payload=None):
            return payload
    ''')
    out, _, code = run(tmp_path, extra=[f'--function-dir={tmp_path / "fn"}'])
    assert (out, code) == ({'status': 'succeeded', 'result': {}}, 0)


def test_a_failure_is_reported_with_no_file_descriptor_left(tmp_path):
    # The traceback module cannot be imported then: the error still is.
    (tmp_path / 'handler.py').write_text(
        'import resource\n'
        'class Denied(Exception):\n    pass\n'
        'def main(payload=None):\n'
        '    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n'
        '    kept = []\n'
        '    try:\n'
        '        while True:\n'
        '            kept.append(open("/dev/null"))\n'
        '    except OSError as exc:\n'
        '        raise Denied(str(exc))\n')
    line, _, code = run(tmp_path)
    assert code == 1
    assert line['status'] == 'failed'
    error = line['error']
    assert (error['type'], error['message']) == (
        'handler.Denied', '[Errno 24] Too many open files: \'/dev/null\'')
    assert error['traceback'].startswith('(no traceback: ')
    assert error['traceback'].endswith(
        "handler.Denied: [Errno 24] Too many open files: '/dev/null'\n")
