#!/usr/bin/env bash
# The scale profile on one machine (README "Deployment (scale profile)"): PostgreSQL and Redis,
# IPH_WORKERS web workers on 127.0.0.1 at IPH_PORT, IPH_PORT+1, … for nginx to spread requests
# over (deploy/nginx/iph.conf), and one queue worker.
#
#   deploy/run-scale.sh              prepare, then every worker; Ctrl-C or SIGTERM stops them all
#   deploy/run-scale.sh prepare      migrate, and write the static files nginx serves
#   deploy/run-scale.sh web PORT     one web worker (what a systemd unit per port runs)
#   deploy/run-scale.sh queue        the queue worker
#
# Unset, IPH_DATABASE_URL and IPH_REDIS_URL are this machine's PostgreSQL and Redis (set to
# empty, the embedded SQLite file and file stores under IPH_VAR_DIR: tests only, one machine).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${IPH_BIN:-.venv/bin}
export PICCOLO_CONF=backend.piccolo_conf
export IPH_DATABASE_URL=${IPH_DATABASE_URL-postgresql://postgres@127.0.0.1:5432/test}
export IPH_REDIS_URL=${IPH_REDIS_URL-redis://127.0.0.1:6379/0}
IPH_HOST=${IPH_HOST:-127.0.0.1}
IPH_PORT=${IPH_PORT:-8000}
IPH_WORKERS=${IPH_WORKERS:-$(nproc)}
# The only proxy whose X-Forwarded-For and X-Forwarded-Proto a worker believes: nginx on this
# machine. Anyone else's claim is ignored, so rate limits count the address nginx saw.
IPH_TRUSTED_PROXIES=${IPH_TRUSTED_PROXIES:-127.0.0.1}
# Seconds a stopping web worker gives its requests in flight before cancelling them.
IPH_GRACEFUL_SECONDS=${IPH_GRACEFUL_SECONDS:-30}

# The web workers' request counts are summed on /metrics (prometheus_client's multiprocess mode)
# through files of theirs in one folder, emptied by `prepare`, before the workers start.
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-${IPH_VAR_DIR:-var}/metrics}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"  # before any process imports the app

litestar() { "$BIN/litestar" --app backend.app:app "$@"; }

prepare() {
  litestar iph migrate
  litestar iph static-export
  forget_metrics
}

web() {
  # On SIGTERM uvicorn closes its listening socket at once (nginx sends new requests to the
  # other workers), finishes the requests in flight, then runs the app's shutdown.
  exec "$BIN/uvicorn" backend.app:app --host "$IPH_HOST" --port "$1" \
    --proxy-headers --forwarded-allow-ips "$IPH_TRUSTED_PROXIES" \
    --timeout-graceful-shutdown "$IPH_GRACEFUL_SECONDS" --no-access-log
}

queue() {
  exec "$BIN/litestar" --app backend.app:app iph worker
}

forget_metrics() {
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
}

everything() {
  prepare
  local pids=() i
  # Set before the first start, so that a signal at any moment stops and waits for them all.
  trap 'kill -TERM "${pids[@]}" 2>/dev/null || true; wait; exit 0' INT TERM
  for ((i = 0; i < IPH_WORKERS; i++)); do
    "$0" web $((IPH_PORT + i)) &
    pids+=($!)
  done
  "$0" queue &
  pids+=($!)
  echo "scale profile: ${IPH_WORKERS} web worker(s) on ${IPH_HOST}:${IPH_PORT}-$((IPH_PORT + IPH_WORKERS - 1))," \
    "1 queue worker; database ${IPH_DATABASE_URL##*@}, Redis ${IPH_REDIS_URL##*@} (Ctrl-C to stop)"
  local status=0
  wait -n || status=$?
  echo "a worker stopped (status ${status}): stopping the others" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
  exit "${status}"
}

case "${1:-}" in
  "") everything ;;
  prepare) prepare ;;
  web) web "${2:?web needs a port}" ;;
  queue) queue ;;
  *) echo "usage: $0 [prepare | web PORT | queue]" >&2; exit 2 ;;
esac
