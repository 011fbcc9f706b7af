"""Build: seconds to make a function image with one small requirement.

Each round builds, with the real builder on the real Docker engine:

* ``first``: a zip never seen, its image absent and no layer of its
  requirements cached: the host downloads the wheel (pip's own HTTP cache
  helps, as it would on a bridge), the engine installs it offline and
  adds the code;
* ``new code``: another zip with the same requirements, while the first
  one's image exists: the requirements' layers are reused;
* ``cached``: the first zip again: the image exists, nothing is built.

Then both images are removed (their requirement layers too), so the next
round starts cold again. The runtime image must exist (it does after any
build, or ``pratai-bridge-manage runtime build``); it is not timed.

Usage: python benchmarks/build.py [--runs 7] [--requirement six]
Prints each round and the medians.
"""

import argparse
import pathlib
import statistics
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pratai_bridge.runners.docker import builder  # noqa: E402
from tests.unit.runners.helpers import make_conf  # noqa: E402
from tests.unit.runners.helpers import make_function  # noqa: E402

SOURCE = '''# {nonce}
import six
def main(payload=None):
    return six.__version__
'''


def timed(call, *args) -> float:
    started = time.monotonic()
    call(*args)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--requirement', default='six')
    args = parser.parse_args()
    rows: dict[str, list[float]] = {'first': [], 'new code': [],
                                    'cached': []}
    with tempfile.TemporaryDirectory(prefix='pratai-build-bench-') as tmp:
        made = builder.Builder(make_conf(pathlib.Path(tmp)))
        made.ensure_runtime_image(progress=print)
        for n in range(1, args.runs + 1):
            functions = [make_function(
                {'handler.py': SOURCE.format(nonce=uuid.uuid4().hex),
                 'requirements.txt': args.requirement + '\n'},
                name=f'bench-{n}') for _ in range(2)]
            try:
                (first, first_zip), (second, second_zip) = functions
                rows['first'].append(timed(made.build, first, first_zip))
                rows['new code'].append(timed(made.build, second,
                                              second_zip))
                rows['cached'].append(timed(made.build, first, first_zip))
            finally:
                for function, _ in functions:
                    made.remove(function)
            print(f'round {n}: ' + ', '.join(
                f'{name} {values[-1]:.2f} s' for name, values in rows.items()))
        made.close()
    print(f'\nmedians of {args.runs} runs, one requirement '
          f'({args.requirement}):')
    for name, values in rows.items():
        print(f'  {name:10} {statistics.median(values):.3f} s')


if __name__ == '__main__':
    main()
