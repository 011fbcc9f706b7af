#!/usr/bin/env bash
# Make the runtime's base image, pratai/python-base:bookworm, with no
# container registry: a Debian rootfs from Debian's own packages
# (mmdebstrap), imported into the local Docker engine. Where a registry
# is reachable, skip this and build the runtime image with
#   --build-arg BASE_IMAGE=python:3.11-slim
#
#   runtimes/python/build-base.sh [IMAGE] [MIRROR]
#
# Needs root, mmdebstrap (apt-get install mmdebstrap) and a running
# dockerd. The same steps are written out in README.md beside this file,
# for the builder in pratai_bridge/runners/docker/builder.py.
set -euo pipefail
image=${1:-pratai/python-base:bookworm}
mirror=${2:-}   # empty: Debian's default mirror, as apt would use
suite=bookworm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# essential: only Essential:yes packages (no apt, no init), plus Python
# and pip (pip installs a function's wheels at build time, offline).
# The merged-usr hook makes the /usr symlinks itself, so the usrmerge
# package and the Perl it needs (~45 MB) stay out. Man pages, docs (but
# their copyright files) and translations are left out; Debian's .pyc
# files stay, they make a cold start faster.
mmdebstrap --variant=essential --include=python3,python3-pip \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    "$suite" "$work/rootfs.tar" ${mirror:+"$mirror"}

# A plain import has no configuration at all: give it a PATH and a
# UTF-8 locale like python:3.11-slim has.
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$work/rootfs.tar" "$image"
docker image ls "$image"
