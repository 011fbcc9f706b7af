"""Build: ``function create`` of a function with one small requirement.

Each round uploads, with the real builder on the real Docker engine and a
local store:

* ``create, first``: a zip never seen, its image absent and no layer of
  its requirements cached: the host downloads the wheel (from
  ``--index-url``, by default an index on disk holding pratai-tiny, so
  nothing leaves this machine; pip's cache lives in the scratch HOME of
  each run, so it never helps), the engine installs it offline,
  adds the code; then the zip is stored;
* ``create, requirements cached``: another zip with the same
  requirements, while the first one's image exists: the requirements'
  layers are reused;
* ``create, same zip``: the first zip again: its image exists, nothing
  is built.

Each is timed twice: ``deploy.create_function`` in this process (what the
command does), and the whole ``pratai-bridge-manage function create``
command (its start-up included). Then the images are removed (their
requirement layers too), so the next round starts cold again. The
runtime image must exist (``pratai-bridge-manage runtime build``); it is
not timed.

Usage: python benchmarks/build.py [--runs 5] [--requirement pratai-tiny]
                                  [--index-url URL]
Prints each round and the medians.
"""

import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pratai_bridge import deploy  # noqa: E402
from pratai_bridge.functions.store.local import LocalStore  # noqa: E402
from pratai_bridge.runners.docker import DockerRunner  # noqa: E402
from tests.unit.functions.zips import make_zip  # noqa: E402
from tests.unit.runners.helpers import local_index  # noqa: E402
from tests.unit.runners.helpers import make_conf  # noqa: E402

MANAGE = pathlib.Path(sys.executable).parent / 'pratai-bridge-manage'
SOURCE = '''# {nonce}
import six
def main(payload=None):
    return six.__version__
'''
CASES = ('create, first', 'create, requirements cached', 'create, same zip')


def zip_file(directory: pathlib.Path, requirement: str) -> pathlib.Path:
    path = directory / f'{uuid.uuid4().hex}.zip'
    path.write_bytes(make_zip({
        'handler.py': SOURCE.format(nonce=uuid.uuid4().hex),
        'requirements.txt': requirement + '\n'}))
    return path


def in_process(conf, store, runner, path: pathlib.Path) -> float:
    started = time.monotonic()
    deploy.create_function(conf, store, 'bench', path.read_bytes(),
                           runner=runner)
    return time.monotonic() - started


def command(config: pathlib.Path, path: pathlib.Path) -> float:
    started = time.monotonic()
    subprocess.run([str(MANAGE), '--config-file', str(config), 'function',
                    'create', 'bench', '--zip', str(path), '-f', 'value',
                    '-c', 'version'], check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--requirement', default='pratai-tiny')
    parser.add_argument('--index-url', help='[builder] pip_index_url '
                        '(default: an index on disk with pratai-tiny)')
    args = parser.parse_args()
    rows: dict[str, list[float]] = {}
    for case in CASES:
        rows[f'{case} (in process)'] = []
        rows[f'{case} (command)'] = []
    with tempfile.TemporaryDirectory(prefix='pratai-build-bench-') as tmp:
        workdir = pathlib.Path(tmp)
        index = args.index_url or local_index(workdir / 'index')
        conf = make_conf(workdir, f'[builder]\npip_index_url = {index}\n')
        config = workdir / 'pratai-bridge.conf'
        store, runner = LocalStore(conf), DockerRunner(conf)
        runner.builder.ensure_runtime_image(progress=print)
        for n in range(1, args.runs + 1):
            for timer in ('in process', 'command'):
                paths = [zip_file(workdir, args.requirement)
                         for _ in range(2)]
                paths.append(paths[0])
                for case, path in zip(CASES, paths, strict=True):
                    took = (in_process(conf, store, runner, path)
                            if timer == 'in process'
                            else command(config, path))
                    rows[f'{case} ({timer})'].append(took)
                deploy.delete_function(conf, store, 'bench', runner)
            print(f'round {n}: ' + ', '.join(
                f'{name} {values[-1]:.2f} s' for name, values in rows.items()))
        runner.builder.close()
    print(f'\nmedians of {args.runs} runs, one requirement '
          f'({args.requirement}):')
    for name, values in rows.items():
        print(f'  {name:45} {statistics.median(values):6.2f} s')


if __name__ == '__main__':
    main()
