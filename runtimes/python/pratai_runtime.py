"""Run a pratai function and report each outcome as one JSON line.

::

    pratai_runtime.py --handler MODULE [--function-dir DIR]
                      [--deps-dir DIR] [--payload-file PATH|-]
    pratai_runtime.py --handler MODULE [--function-dir DIR]
                      [--deps-dir DIR] --serve [--scratch DIR]

The payload is JSON read from ``--payload-file`` or, by default, from
stdin; never from the environment or the command line, where it would be
visible to every process and bounded in size. The runtime imports MODULE
from the function dir, calls ``main(payload)`` and writes exactly one line
to its original stdout::

    {"status": "succeeded", "result": <what main returned>}
    {"status": "failed", "error": {"type", "message", "traceback"}}
    {"status": "error", "error": {"type", "message", "traceback"}}

``failed`` means the function raised, while being imported or called
(``SystemExit`` included: a function's ``sys.exit()`` is its failure).
``error`` means the runtime could not do its job: the payload is not JSON,
the handler module or its ``main`` is missing, or the result is not JSON
(NaN and infinities included). The exit code says the same: 0 succeeded,
1 failed, 2 error.

Before the function is imported, file descriptor 1 is pointed at 2: all
that the function prints, to ``sys.stdout``, ``sys.stderr`` or from a child
process, reaches stderr, which the runner keeps as the execution's logs,
and stdout carries nothing but the result line. Both streams are line
buffered so that a function killed at its timeout still leaves its logs.

With ``--serve`` the runtime serves invocations one at a time, for a warm
container, over the same two streams:

* each request is one JSON line on stdin, ``{"payload": ..., "timeout":
  SECONDS, "end": MARKER}``; the handler is imported at the first one, and
  ``main`` (with its module's globals) is kept for the next ones;
* each answer is one JSON line on stdout, the result line above plus
  ``"reusable"``: whether this process may serve another request;
* what the function printed during the invocation goes to stderr, as
  above, followed by MARKER (ASCII, as the request gave it) once the
  function's own output is flushed, so a reader of stderr knows where one
  invocation's logs end;
* between two invocations the scratch directory (``--scratch``, /tmp by
  default) is emptied and the working directory is the function dir again;
  an invocation that cannot be cleaned up after is answered with
  ``"reusable": false``, and the runtime exits after answering any request
  that did not succeed;
* the runtime ends itself (exit 2) when an invocation is still running
  ``timeout`` seconds after its request was read, or when stdin is closed
  under it (the bridge is gone); at the end of stdin between invocations
  it exits 0. The function's ``sys.stdin`` is empty: the requests are
  read from a private copy of fd 0.

Standard library only, Python 3.11: the same file runs as a container's
entry point and as a plain subprocess of the local runner.
"""

import importlib
import json
import os
import select
import site
import sys
import threading
import time
import types

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_ERROR = 2
# Bounds on what an error report carries: the runner stores it in the
# journal, and a deep recursion can print a very long traceback.
MAX_MESSAGE = 4096
MAX_TRACEBACK = 16384


class RuntimeFailure(Exception):
    """The runtime, not the function, could not run the function."""


#: the options with a value, and their defaults (see the docstring)
_OPTIONS = {'--handler': None, '--function-dir': '.', '--deps-dir': None,
            '--payload-file': '-', '--scratch': '/tmp'}
#: the options without one
_FLAGS = ('--serve',)


def _parse(argv):
    """The command line as a namespace; RuntimeFailure when it is wrong.

    By hand, not argparse: argparse (and the modules it imports) would be
    a sizeable part of a cold start, paid by every container.
    """
    values = dict(_OPTIONS)
    values.update(dict.fromkeys(_FLAGS, False))
    words = list(argv)
    while words:
        word = words.pop(0)
        name, equals, value = word.partition('=')
        if name in _FLAGS and not equals:
            values[name] = True
        elif name in _OPTIONS:
            if not equals:
                if not words:
                    raise RuntimeFailure(f'argument {name}: expected one '
                                         'argument')
                value = words.pop(0)
            values[name] = value
        else:
            raise RuntimeFailure(f'unrecognized arguments: {word}')
    if values['--handler'] is None:
        raise RuntimeFailure('the following arguments are required: '
                             '--handler')
    return types.SimpleNamespace(**{
        name[2:].replace('-', '_'): value for name, value in values.items()})


def _read_payload(path):
    try:
        if path == '-':
            text = sys.stdin.buffer.read()
        else:
            with open(path, 'rb') as source:
                text = source.read()
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise RuntimeFailure(f'cannot read the payload: {exc}') from exc


def _load_main(handler, function_dir, deps_dir):
    sys.path.insert(0, os.path.abspath(function_dir))
    if deps_dir and os.path.isdir(deps_dir):
        site.addsitedir(deps_dir)  # .pth files of the deps are honoured
    # Last, so it shadows nothing: the helpers beside the runtime
    # (pratai_openstack: a keystoneauth1 session from the payload).
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))
    try:
        module = importlib.import_module(handler)
    except ModuleNotFoundError as exc:
        if exc.name and (handler == exc.name
                         or handler.startswith(exc.name + '.')):
            raise RuntimeFailure(f'no module {handler!r} in '
                                 f'{function_dir}') from exc
        raise  # the function imports something that is not there
    main = getattr(module, 'main', None)
    if not callable(main):
        raise RuntimeFailure(f'module {handler!r} has no callable main')
    return main


def _encode(status, **fields):
    # allow_nan=False: NaN and Infinity are not JSON, and a reader in
    # another language would choke on the line.
    return json.dumps(dict(status=status, **fields), allow_nan=False)


def _error(exc, skip_frames=0):
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    kind = type(exc)
    name = kind.__qualname__
    if kind.__module__ not in ('builtins', '__main__'):
        name = f'{kind.__module__}.{name}'
    try:
        import traceback  # only for errors: it costs a cold start otherwise

        text = ''.join(traceback.format_exception(type(exc), exc, tb))
    except Exception as failure:  # no file left to import it (EMFILE)...
        # ...the error is still reported, without its traceback.
        text = (f'(no traceback: {type(failure).__name__}: {failure})\n'
                f'{name}: {str(exc)[:MAX_MESSAGE]}\n')
    return {'type': name, 'message': str(exc)[:MAX_MESSAGE],
            'traceback': text[-MAX_TRACEBACK:]}


def _call(main_of, payload):
    """Call the function on ``payload``; return (result fields, exit code).

    ``main_of()`` imports the handler (once) and returns its ``main``.
    Raises RuntimeFailure and KeyboardInterrupt, the runtime's failures.
    """
    try:
        result = main_of()(payload)
    except (RuntimeFailure, KeyboardInterrupt):
        raise
    except BaseException as exc:  # SystemExit too: the function's doing
        # Skip our own frame: the traceback starts in the function.
        return {'status': 'failed', 'error': _error(exc, 1)}, EXIT_FAILED
    return {'status': 'succeeded', 'result': result}, EXIT_SUCCEEDED


def _failure(exc):
    """The result fields and exit code of the runtime's own failure.

    KeyboardInterrupt is one: SIGINT from outside (a stop, a timeout),
    not something the function did.
    """
    return {'status': 'error', 'error': _error(exc)}, EXIT_ERROR


def _line(fields, code, **extra):
    """(result line, exit code): a runtime error if the result is not
    JSON (NaN and infinities included), and then never ``reusable``."""
    try:
        return _encode(**fields, **extra), code
    except (TypeError, ValueError, RecursionError) as exc:
        fields, code = _failure(RuntimeFailure(
            f'main returned a result that is not JSON: {exc}'))
        if 'reusable' in extra:
            extra = dict(extra, reusable=False)
        return _encode(**fields, **extra), code


def _run_once(args):
    """Read the payload, call the function; (result line, exit code)."""
    try:
        payload = _read_payload(args.payload_file)
        fields, code = _call(lambda: _load_main(
            args.handler, args.function_dir, args.deps_dir), payload)
    except (RuntimeFailure, KeyboardInterrupt) as exc:
        fields, code = _failure(exc)
    return _line(fields, code)


def _split_stdout():
    """Keep the real stdout for the result; send fd 1 to stderr."""
    sys.stdout.flush()
    result_stream = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    return result_stream


class _Watchdog:
    """Ends the process when an invocation outlives its time, or when the
    bridge goes away (its end of stdin hangs up) while one runs.

    The bridge kills a container at the invocation's timeout; this is for
    a bridge that is no longer there to do it.
    """

    def __init__(self, fd):
        self._fd = fd
        self._deadline = None
        self._changed = threading.Condition()
        self._thread = None

    def arm(self, seconds):
        with self._changed:
            self._deadline = time.monotonic() + seconds
            self._changed.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, daemon=True,
                                            name='pratai-watchdog')
            self._thread.start()

    def disarm(self):
        with self._changed:
            self._deadline = None

    def _watch(self):
        poller = select.poll()
        poller.register(self._fd, select.POLLHUP | select.POLLERR)
        while True:
            with self._changed:
                while self._deadline is None:
                    self._changed.wait()
                left = self._deadline - time.monotonic()
            if left <= 0 or poller.poll(min(left, 0.5) * 1000):
                with self._changed:
                    # Hung up (nobody awaits the result) or overdue, while
                    # an invocation still runs: not once it has ended.
                    if self._deadline is not None:
                        os._exit(EXIT_ERROR)


def _read_request(line):
    try:
        request = json.loads(line)
        payload = request['payload']
        timeout = float(request['timeout'])
        end = request['end'].encode('ascii')
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RuntimeFailure(f'cannot read the request: {exc!r}') from exc
    return payload, timeout, end


def _empty(directory):
    """Remove everything in ``directory``; whether that worked."""
    import shutil  # here: a cold start does not pay for it

    try:
        for entry in os.scandir(directory):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    except OSError:
        return False
    return True


class _Loaded:
    """The handler's ``main``, imported at the first invocation."""

    def __init__(self, args):
        self._args = args
        self._main = None

    def __call__(self):
        if self._main is None:
            args = self._args
            self._main = _load_main(args.handler, args.function_dir,
                                    args.deps_dir)
        return self._main


def _serve(args, result_stream):
    """Serve requests until stdin ends; return the exit code."""
    requests = os.fdopen(os.dup(0), 'rb')
    # The function's stdin is empty, never the bridge's requests.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    watchdog = _Watchdog(requests.fileno())
    main_of = _Loaded(args)
    while True:
        line = requests.readline()
        if not line:
            return EXIT_SUCCEEDED
        try:
            payload, timeout, end = _read_request(line)
        except RuntimeFailure as exc:
            _write(result_stream, *_line(*_failure(exc), reusable=False))
            return EXIT_ERROR
        os.chdir(args.function_dir)
        watchdog.arm(timeout)
        try:
            fields, code = _call(main_of, payload)
        except (RuntimeFailure, KeyboardInterrupt) as exc:
            fields, code = _failure(exc)
        watchdog.disarm()
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(2, end)
        clean = code == EXIT_SUCCEEDED and _empty(args.scratch)
        line, code = _line(fields, code, reusable=clean)
        _write(result_stream, line, code)
        if not clean or code != EXIT_SUCCEEDED:
            return code or EXIT_ERROR


def _write(result_stream, line, code):
    result_stream.write(line + '\n')
    result_stream.flush()
    return code


def main(argv=None):
    result_stream = _split_stdout()
    try:
        args = _parse(sys.argv[1:] if argv is None else argv)
    except RuntimeFailure as exc:  # a bad command line: a result line too
        return _write(result_stream, *_line(*_failure(exc)))
    if args.serve:
        return _serve(args, result_stream)
    line, code = _run_once(args)
    sys.stdout.flush()
    sys.stderr.flush()
    return _write(result_stream, line, code)


if __name__ == '__main__':
    # os._exit: the function's lifetime ends with main(). Lingering
    # non-daemon threads and atexit hooks of the function must not keep
    # the process (and its container) alive once the result is out.
    os._exit(main())
