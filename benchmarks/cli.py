"""How long ``pratai-bridge-manage`` takes to answer listings and ``show``.

Each command runs as a whole process, as an operator runs it, against a
local store holding one function and a SQLite journal holding one
execution, made in a temporary directory. Baseline, measured in the same
run: the interpreter starting and importing oslo.config alone, the floor
any oslo.config program pays. With ``--vs OTHER`` the same commands also
run with another ``pratai-bridge-manage`` (an older checkout's, say), in
turn with ours, and the ratio ours/theirs is printed per pair::

    python benchmarks/cli.py [--runs 7] [--vs /path/to/pratai-bridge-manage]
"""

import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

BIN = pathlib.Path(sys.executable).parent
COMMANDS = (('function', 'list'), ('function', 'show', 'hello'),
            ('executions', 'list'), ('executions', 'show', '1'))
HELLO = 'def main(payload=None):\n    return payload\n'
NOTIFICATION = ('{"event_type": "compute.instance.create.end", '
                '"publisher_id": "compute.host1", "priority": "INFO", '
                '"payload": {"instance_id": "x", "state": "active"}}')
SUBSCRIPTION = """subscriptions:
  - name: on-create
    function: hello
    filters:
      - event_type: compute.instance.create.end
"""


def _setup(root: pathlib.Path, manage: str) -> pathlib.Path:
    """A configuration with one function and one journaled execution."""
    (root / 'subscriptions.d').mkdir()
    (root / 'subscriptions.d' / 'main.yaml').write_text(SUBSCRIPTION)
    (root / 'fn').mkdir()
    (root / 'fn' / 'hello.py').write_text(HELLO)
    (root / 'n.json').write_text(NOTIFICATION)
    conf = root / 'pratai-bridge.conf'
    conf.write_text(f'[DEFAULT]\nstate_path = {root}\n[subscriptions]\n'
                    f'directory = {root}/subscriptions.d\n[store]\n'
                    'driver = local\n[runner]\ndriver = local\n')
    for args in (('function', 'create', 'hello', '--zip', str(root / 'fn')),
                 ('replay', str(root / 'n.json'))):
        subprocess.run([manage, '--config-file', str(conf), *args],
                       check=True, capture_output=True)
    return conf


def _time(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--vs', metavar='MANAGE',
                        help='another pratai-bridge-manage to compare with')
    args = parser.parse_args()
    ours = str(BIN / 'pratai-bridge-manage')
    baseline = [sys.executable, '-c', 'import oslo_config.cfg']
    with tempfile.TemporaryDirectory() as tmp:
        conf = _setup(pathlib.Path(tmp), ours)
        floor = statistics.median(_time(baseline) for _ in range(args.runs))
        print(f'baseline (python + oslo.config import): {floor:.3f} s')
        for command in COMMANDS:
            mine, theirs = [], []
            for _ in range(args.runs):
                mine.append(_time([ours, '--config-file', str(conf),
                                   *command]))
                if args.vs:
                    theirs.append(_time([args.vs, '--config-file',
                                         str(conf), *command]))
            median = statistics.median(mine)
            line = (f'{" ".join(command):<22} median {median:.3f} s  '
                    f'x{median / floor:.2f} baseline')
            if theirs:
                ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
                line += (f'  | --vs median {statistics.median(theirs):.3f} s'
                         f', ours/theirs {statistics.median(ratios):.2f}')
            print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
