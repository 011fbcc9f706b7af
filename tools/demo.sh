#!/usr/bin/env bash
# The main job on one machine, from nothing: the daemon on the local
# RabbitMQ, the local function store, and the docker runner (dockerd
# started when it is not running; the local runner when no engine can run
# here). Uploads etc/functions/hello (packed from its directory), runs the
# example subscriptions that call it, publishes a Nova notification as
# Nova would, and prints the execution and its result.
#
# The demo's pool is pratai-demo: its queues (pratai-demo.nova, .swift,
# .aodh) are deleted before it starts, so it never pulls in a backlog, and
# when it ends, so nothing keeps filling them.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/_venv.sh
bin=$venv/bin
state=${PRATAI_DEMO_DIR:-$PWD/.state/demo}
rm -rf "$state" && mkdir -p "$state/subscriptions.d"

runner=docker
if [[ ${PRATAI_RUNNER:-docker} != docker ]] ||
        ! python3 tools/services.py start docker >"$state/services.log" 2>&1; then
    runner=local
fi
cat >"$state/pratai-bridge.conf" <<CONF
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:5672/
state_path = $state
log_file = $state/pratai-bridge.log
[listener]
pool = pratai-demo
[subscriptions]
directory = $state/subscriptions.d
[store]
driver = local
[runner]
driver = $runner
CONF
manage() { "$bin/pratai-bridge-manage" --config-file "$state/pratai-bridge.conf" "$@"; }

# The example subscriptions that run hello; the others name functions the
# demo does not upload, which validate would rightly report.
"$bin/python" - "$state/subscriptions.d/10-hello.yaml" etc/subscriptions.d/*.yaml <<'PY'
import sys
import yaml
target, *examples = sys.argv[1:]
chosen = [s for path in examples for s in yaml.safe_load(open(path))['subscriptions']
          if s['function'] == 'hello']
with open(target, 'w') as out:
    yaml.safe_dump({'subscriptions': chosen}, out, sort_keys=False)
PY

echo "== runner: $runner (first docker use builds the base image: ~1 min)"
# Two things at once, the machine has the time: the queues an earlier run
# may have left go (so the daemon starts from empty ones), the function
# is packed from its directory and uploaded.
echo "== deleting the demo's queues left by an earlier run, if any; uploading hello"
manage queues delete -f value &
deleting=$!
manage function create hello --zip etc/functions/hello --timeout 60
wait $deleting

"$bin/pratai-bridge" --config-file "$state/pratai-bridge.conf" &
daemon=$!
cleanup() {
    kill -TERM $daemon 2>/dev/null && wait $daemon || true
    echo "== deleting the demo's queues"
    manage queues delete -f value
}
trap cleanup EXIT
# While the daemon starts.
manage subscriptions validate
until grep -q 'pratai-bridge started' "$state/pratai-bridge.log" 2>/dev/null; do
    kill -0 $daemon || { echo "daemon died; see $state/pratai-bridge.log"; exit 1; }
    sleep 0.1
done

echo "== publishing a compute.instance.create.end as Nova does"
manage notify --exchange nova etc/notifications/instance-create-end.json
# The journal is new: the first execution is number 1; show waits for it
# in one process (a loop of show calls would start the CLI each time).
manage executions show 1 --wait 120 || {
    echo "no execution finished; see $state/pratai-bridge.log"
    exit 1
}
