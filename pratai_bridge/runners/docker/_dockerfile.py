"""The Dockerfile of a function image (see runtimes/python/Dockerfile)."""

__all__ = ['DEPS_DIR', 'DEPS_LABEL', 'FUNCTION_DIR', 'dockerfile']

#: where the runtime image expects the function and its requirements
FUNCTION_DIR = '/opt/function'
DEPS_DIR = '/opt/pratai/deps'
#: label of the untagged image of a function build's first stage
DEPS_LABEL = 'pratai.deps-of'


def dockerfile(runtime_image: str, handler: str, sha256: str,
               requirements: bool) -> str:
    """The Dockerfile of a function image.

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
