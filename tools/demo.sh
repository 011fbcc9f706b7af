#!/usr/bin/env bash
# The main job on one machine, from nothing: the daemon on the local
# RabbitMQ with the example subscriptions, the local function store, and the
# docker runner (dockerd started when it is not running; the local runner
# when no engine can run here). Uploads etc/functions/hello, publishes a
# Nova notification as Nova would, and prints the execution and its result.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/_venv.sh
bin=$venv/bin
state=${PRATAI_DEMO_DIR:-$PWD/.state/demo}
rm -rf "$state" && mkdir -p "$state"

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
directory = $PWD/etc/subscriptions.d
[store]
driver = local
[runner]
driver = $runner
CONF
manage() { "$bin/pratai-bridge-manage" --config-file "$state/pratai-bridge.conf" "$@"; }

echo "== runner: $runner (first docker use builds the base image: ~1 min)"
(cd etc/functions/hello && python3 -m zipfile -c "$state/hello.zip" hello.py)
manage function create hello --zip "$state/hello.zip" --timeout 60
manage subscriptions validate

"$bin/pratai-bridge" --config-file "$state/pratai-bridge.conf" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon' EXIT
until grep -q 'pratai-bridge started' "$state/pratai-bridge.log" 2>/dev/null; do
    kill -0 $daemon || { echo "daemon died; see $state/pratai-bridge.log"; exit 1; }
    sleep 0.2
done

echo "== publishing a compute.instance.create.end as Nova does"
manage notify --exchange nova etc/notifications/instance-create-end.json
for _ in $(seq 600); do
    id=$(manage executions list --function hello -f value -c id -c status |
         awk '$2 != "pending" && $2 != "running" {print $1; exit}')
    [[ -n $id ]] && break
    sleep 0.5
done
[[ -n ${id:-} ]] || { echo "no execution finished; see $state/pratai-bridge.log"; exit 1; }
manage executions show "$id"
