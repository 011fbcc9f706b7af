"""Run one pratai function once and report the outcome as one JSON line.

::

    pratai_runtime.py --handler MODULE [--function-dir DIR]
                      [--deps-dir DIR] [--payload-file PATH|-]

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

Standard library only, Python 3.11: the same file runs as a container's
entry point and as a plain subprocess of the local runner.
"""

import argparse
import importlib
import json
import os
import site
import sys
import traceback

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_ERROR = 2
# Bounds on what an error report carries: the runner stores it in the
# journal, and a deep recursion can print a very long traceback.
MAX_MESSAGE = 4096
MAX_TRACEBACK = 16384


class RuntimeFailure(Exception):
    """The runtime, not the function, could not run the function."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # A bad command line is reported as a result line, like the rest.
        raise RuntimeFailure(message)


def _parse(argv):
    parser = _Parser(prog='pratai_runtime', description=__doc__)
    parser.add_argument('--handler', required=True,
                        help='module that defines main(payload)')
    parser.add_argument('--function-dir', default='.',
                        help='directory holding the unpacked function')
    parser.add_argument('--deps-dir',
                        help='directory of installed requirements '
                             '(pip install --target), if there is one')
    parser.add_argument('--payload-file', default='-',
                        help='JSON payload file, "-" for stdin (default)')
    return parser.parse_args(argv)


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
    text = ''.join(traceback.format_exception(type(exc), exc, tb))
    kind = type(exc)
    name = kind.__qualname__
    if kind.__module__ not in ('builtins', '__main__'):
        name = f'{kind.__module__}.{name}'
    return {'type': name, 'message': str(exc)[:MAX_MESSAGE],
            'traceback': text[-MAX_TRACEBACK:]}


def _call(args):
    """Import and call the function; return (result line, exit code)."""
    try:
        payload = _read_payload(args.payload_file)
        main = _load_main(args.handler, args.function_dir, args.deps_dir)
        result = main(payload)
    except (RuntimeFailure, KeyboardInterrupt):
        raise
    except BaseException as exc:  # SystemExit too: the function's doing
        # Skip our own frame: the traceback starts in the function.
        return _encode('failed', error=_error(exc, 1)), EXIT_FAILED
    try:
        return _encode('succeeded', result=result), EXIT_SUCCEEDED
    except (TypeError, ValueError, RecursionError) as exc:
        raise RuntimeFailure(
            f'main returned a result that is not JSON: {exc}') from exc


def execute(argv):
    """Run the function per ``argv``; return (result line, exit code)."""
    try:
        return _call(_parse(argv))
    except (RuntimeFailure, KeyboardInterrupt) as exc:
        # KeyboardInterrupt: SIGINT from outside (a stop, a timeout), not
        # something the function did.
        return _encode('error', error=_error(exc)), EXIT_ERROR


def _split_stdout():
    """Keep the real stdout for the result; send fd 1 to stderr."""
    sys.stdout.flush()
    result_stream = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    return result_stream


def main(argv=None):
    result_stream = _split_stdout()
    line, code = execute(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    sys.stderr.flush()
    result_stream.write(line + '\n')
    result_stream.flush()
    return code


if __name__ == '__main__':
    # os._exit: the function's lifetime ends with main(). Lingering
    # non-daemon threads and atexit hooks of the function must not keep
    # the process (and its container) alive once the result is out.
    os._exit(main())
