"""What a function image is built from: files only, no Docker here.

:func:`write` lays out a Docker build context in an empty directory::

    Dockerfile
    function/            the unpacked zip (checked again on the way)
    requirements.txt     the zip's requirements, checked (only if any)
    wheels/              every wheel they need, downloaded by the HOST

The container never reaches a package index: the host runs ``pip
download --only-binary=:all:`` for the runtime image's Python and
platform, and the image build installs those wheels with ``pip install
--no-index``. Source distributions are never built: a requirement with no
suitable wheel fails the build, and says so.

Requirements are package names with versions, extras and markers only.
Lines that pip would read as options (``--index-url``, ``-r other.txt``,
``-e``) or direct references (``pkg @ file:///...``, a path, a URL) are
refused: they would make the host fetch from, or read files at, places
the function's author chose.
"""

import io
import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import zipfile

from oslo_config import cfg
from packaging import requirements as pkg_requirements

from pratai_bridge.functions import package as package_mod
from pratai_bridge.functions.model import Function
from pratai_bridge.runners.base import RunnerError

__all__ = ['check_requirements', 'dockerfile', 'download_wheels',
           'pip_download_command', 'runtime_directory', 'unpack',
           'wheel_platforms', 'write']

#: where the runtime image expects the function and its requirements
FUNCTION_DIR = '/opt/function'
DEPS_DIR = '/opt/pratai/deps'
#: label of the untagged image of a function build's first stage
DEPS_LABEL = 'pratai.deps-of'
#: seconds the host's pip may take to download a function's wheels
PIP_TIMEOUT = 900
_MIB = 1024 * 1024
# Where setup.cfg's data_files install runtimes/python, under a prefix.
_INSTALLED = ('share', 'pratai-bridge', 'runtimes', 'python')
_MANYLINUX = re.compile(r'^manylinux_(\d+)_(\d+)_(\w+)$')
# The legacy manylinux names and the glibc version each one means.
_LEGACY = (('manylinux2014', 17), ('manylinux2010', 12), ('manylinux1', 5))


def runtime_directory(conf: cfg.ConfigOpts) -> pathlib.Path:
    """Where the runtime's Dockerfile and pratai_runtime.py are.

    ``[builder] runtime_directory`` if set; else the data files of an
    installed package, else the source checkout's. RunnerError if none.
    """
    configured = conf.builder.runtime_directory
    if configured:
        candidates = [pathlib.Path(configured)]
    else:
        # Where pip put the data files: sys.prefix in a virtualenv, the
        # scheme's data path otherwise (/usr/local on Debian).
        prefixes = dict.fromkeys([sys.prefix, sysconfig.get_path('data')])
        installed = [pathlib.Path(prefix, *_INSTALLED) for prefix in prefixes]
        checkout = pathlib.Path(__file__).resolve().parents[2]
        candidates = installed + [checkout / 'runtimes' / 'python']
    for candidate in candidates:
        if (candidate / 'pratai_runtime.py').is_file():
            return candidate
    raise RunnerError('no pratai runtime in ' + ' or '.join(
        str(c) for c in candidates) + ': set [builder] runtime_directory')


def write(conf: cfg.ConfigOpts, function: Function, package: bytes,
          context: pathlib.Path, runtime_image: str) -> bool:
    """Lay out the build context of ``function`` in ``context``.

    Returns whether the image installs requirements. Raises RunnerError
    when the zip or its requirements are refused or a wheel is missing.
    """
    info = unpack(conf, function, package, context / 'function')
    wanted = check_requirements(info.requirements or '')
    if wanted:
        (context / 'requirements.txt').write_text('\n'.join(wanted) + '\n')
        download_wheels(conf, context / 'requirements.txt',
                        context / 'wheels')
    (context / 'Dockerfile').write_text(
        dockerfile(runtime_image, function.spec.handler, function.sha256,
                   bool(wanted)))
    return bool(wanted)


def unpack(conf: cfg.ConfigOpts, function: Function, package: bytes,
           destination: pathlib.Path) -> package_mod.PackageInfo:
    """Check ``package`` again and unpack it in ``destination``.

    The store checked the zip when it was uploaded; checking it again
    here costs little and means a zip that reached the store some other
    way never lands outside ``destination``. Raises RunnerError, for the
    filesystem's errors too.
    """
    try:
        info = package_mod.inspect(
            package, function.spec.handler,
            max_files=conf.store.max_files,
            max_uncompressed=conf.store.max_uncompressed_mb * _MIB)
    except package_mod.PackageError as exc:
        raise RunnerError(f'{function.ref}: {exc}') from exc
    if info.sha256 != function.sha256:
        raise RunnerError(f'{function.ref}: the zip is not the one stored '
                          f'(sha256 {info.sha256}, not {function.sha256})')
    try:
        _extract(package, info.files, destination)
    except OSError as exc:  # a full disk, a directory we may not write
        raise RunnerError(f'{function.ref}: cannot unpack its zip in '
                          f'{destination}: {exc}') from exc
    return info


def _extract(package: bytes, files: tuple[str, ...],
             destination: pathlib.Path) -> None:
    destination.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in files:
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
            # Readable by the unprivileged user functions run as, whatever
            # the umask of the bridge.
            target.chmod(0o644)


def check_requirements(text: str) -> list[str]:
    """The requirement specifiers of a requirements.txt, normalized.

    Raises RunnerError naming the line of an option, a direct reference
    or a line that is not a requirement.
    """
    wanted = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r'(^|\s)#.*$', '', raw).strip()
        if not line:
            continue
        where = f'requirements.txt line {number}'
        if line.startswith('-') or line.endswith('\\'):
            raise RunnerError(f'{where}: pip options are not allowed, only '
                              f'requirements such as "six>=1.16" ({line})')
        try:
            requirement = pkg_requirements.Requirement(line)
        except pkg_requirements.InvalidRequirement as exc:
            raise RunnerError(f'{where}: not a requirement ({exc})') from exc
        if requirement.url:
            raise RunnerError(f'{where}: direct references (URLs, paths) '
                              f'are not allowed ({line})')
        wanted.append(str(requirement))
    return wanted


def wheel_platforms(newest: str) -> list[str]:
    """``newest`` and every older manylinux tag for the same machine.

    ``pip download --platform`` takes tags literally (it does not expand
    ``manylinux_2_36_x86_64`` to the older tags that glibc also runs), so
    the list is spelled out: a wheel tagged only ``manylinux2014`` is
    found for a ``manylinux_2_36`` image.
    """
    match = _MANYLINUX.match(newest)
    if match is None:
        return [newest]
    major, minor, arch = int(match[1]), int(match[2]), match[3]
    tags = [f'manylinux_{major}_{m}_{arch}' for m in range(minor, 4, -1)]
    if major == 2:
        tags += [f'{legacy}_{arch}' for legacy, since in _LEGACY
                 if since <= minor]
    return tags


def pip_download_command(conf: cfg.ConfigOpts, requirements: pathlib.Path,
                         destination: pathlib.Path) -> list[str]:
    """The host's ``pip download`` of the wheels ``requirements`` need."""
    options = conf.builder
    command = [sys.executable, '-m', 'pip', 'download',
               '--disable-pip-version-check', '--no-input',
               '--only-binary=:all:',
               '--python-version', options.python_version,
               '--implementation', 'cp']
    for tag in wheel_platforms(options.wheel_platform):
        command += ['--platform', tag]
    if options.pip_index_url:
        command += ['--index-url', options.pip_index_url]
    return command + ['--dest', str(destination), '-r', str(requirements)]


def download_wheels(conf: cfg.ConfigOpts, requirements: pathlib.Path,
                    destination: pathlib.Path) -> None:
    """Run the host's pip; RunnerError with the end of its output."""
    command = pip_download_command(conf, requirements, destination)
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=PIP_TIMEOUT, check=False,
            # The host's own pip configuration (index, proxy, cache)
            # applies: this runs on the host, never in a container.
            env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK='1'))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunnerError(f'pip download failed: {exc}') from exc
    if done.returncode != 0:
        output = done.stdout.decode('utf-8', errors='replace')
        raise RunnerError(
            'downloading the requirements\' wheels failed (only wheels for '
            f'Python {conf.builder.python_version} on '
            f'{conf.builder.wheel_platform} or pure Python are used):\n'
            + output[-2048:])


def dockerfile(runtime_image: str, handler: str, sha256: str,
               requirements: bool) -> str:
    """The Dockerfile of a function image (see runtimes/python/README.md).

    The requirements are installed in a first stage, from the context's
    wheels, so the wheels stay out of the final image and a new version
    of the code reuses the layer of unchanged requirements. Files are
    owned by root and only readable by the user functions run as.
    """
    lines = []
    if requirements:
        lines += [
            f'FROM {runtime_image} AS deps',
            'USER root',
            'COPY wheels/ /tmp/wheels/',
            'COPY requirements.txt /tmp/requirements.txt',
            'RUN python3 -m pip install --no-index --find-links /tmp/wheels '
            '--disable-pip-version-check --no-cache-dir --no-compile '
            f'--target {DEPS_DIR} -r /tmp/requirements.txt',
            # Last, so the layers above stay a cache shared by every zip
            # with these requirements; the label lets the builder find
            # (and remove) this stage's image with the function's.
            f'LABEL {DEPS_LABEL}="{sha256}"',
            '',
        ]
    lines += [f'FROM {runtime_image}', 'USER root']
    if requirements:
        lines.append(f'COPY --from=deps {DEPS_DIR} {DEPS_DIR}')
    lines += [
        f'COPY function/ {FUNCTION_DIR}/',
        # Precompiled as root: the root filesystem is read-only at run
        # time. A file that does not compile is not a build failure: it
        # may never be imported, and the runtime reports it if it is.
        f'RUN (python3 -m compileall -q {FUNCTION_DIR} {DEPS_DIR} '
        '>/dev/null || true) '
        f'&& chmod -R a+rX,go-w {FUNCTION_DIR} {DEPS_DIR}',
        f'LABEL pratai.sha256="{sha256}"',
        'USER 10001',
        f'CMD ["--handler", "{handler}"]',
    ]
    return '\n'.join(lines) + '\n'
