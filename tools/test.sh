#!/usr/bin/env bash
# The whole test suite as CI runs it, on a fresh machine or this one:
# a venv with the project, the services the functional tests need (started
# here when not running, stopped again by pid afterwards), lint, unit and
# functional tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=${CI:-}
source tools/_venv.sh

port_open() {
    python3 - "$1" <<'PY'
import socket, sys
with socket.socket() as s:
    s.settimeout(1)
    sys.exit(s.connect_ex(('127.0.0.1', int(sys.argv[1]))))
PY
}

# RabbitMQ and PostgreSQL are started by the machine before every session
# and CI run; if one has stopped, start it the machine's way.
wait_port() {  # port, seconds, start command...
    local port=$1 seconds=$2; shift 2
    port_open "$port" && return 0
    echo "port $port closed: starting $*" >&2
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq "$seconds"); do port_open "$port" && return 0; sleep 1; done
    echo "FATAL: nothing answers on 127.0.0.1:$port" >&2
    exit 1
}
wait_port 5672 60 rabbitmq-server -detached
wait_port 5432 30 pg_ctlcluster --skip-systemctl-redirect \
    "$(ls /etc/postgresql 2>/dev/null | head -1)" main start

services=${PRATAI_SERVICES:-docker memcached swift keystone swift-keystone}
if [[ $services != none ]]; then
    # Stop at the end only what this run starts, not what was up before.
    up=$(python3 tools/services.py status 2>/dev/null |
         awk '$2 == "up" {print $1}' || true)
    started=()
    for service in $services; do
        grep -qx "$service" <<<"$up" || started+=("$service")
    done
    # swift starts memcached for itself
    [[ " ${started[*]} " == *" swift "* && " ${started[*]} " != *" memcached "* ]] &&
        ! grep -qx memcached <<<"$up" && started+=(memcached)
    if ((${#started[@]})); then
        trap 'python3 tools/services.py stop "${started[@]}"' EXIT
    fi
    python3 tools/services.py start $services
    eval "$(python3 tools/services.py env)"
fi

"$venv/bin/ruff" check --config tools/ruff.toml \
    pratai_bridge tests benchmarks tools runtimes
"$venv/bin/mypy" pratai_bridge
report=$(mktemp)
status=0
"$venv/bin/pytest" -p no:cacheprovider -rs --junitxml="$report" \
    tests/unit tests/functional "$@" || status=$?
# In CI nothing may skip: not for want of a service (the functional tests
# fail then) nor for want of data (the samples are in tests/fixtures).
skipped=$("$venv/bin/python" - "$report" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == 'testsuite' else list(root)
print(sum(int(s.get('skipped', 0)) for s in suites))
PY
)
rm -f "$report"
if [[ -n $CI && $skipped != 0 ]]; then
    echo "FAIL: $skipped tests skipped; in CI nothing may skip" >&2
    status=1
fi
exit "$status"
