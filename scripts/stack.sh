#!/usr/bin/env bash
# The embedded stack: Temporal dev server (SQLite under .state/), one CPU and one GPU worker.
# `up` reuses whatever is already running; `down` stops only what `up` started (by pid file).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.state
PIDS=$STATE/pids
LOGS=$STATE/logs
BIN=.venv/bin
mkdir -p "$PIDS" "$LOGS"

alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

start() {  # name, command...
  local name=$1; shift
  if alive "$name"; then echo "$name already running (pid $(cat "$PIDS/$name.pid"))"; return; fi
  nohup "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
  echo "$name started (pid $!, log $LOGS/$name.log)"
}

wait_for_server() {
  for _ in $(seq 1 100); do
    "$BIN/temporal" operator cluster health --address 127.0.0.1:7233 >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "Temporal did not become healthy; see $LOGS/temporal.log" >&2
  exit 1
}

register_search_attributes() {  # also for a database made before they existed
  local pair
  for pair in DubStage=Keyword DubSourceLang=Keyword DubTargetLangs=KeywordList \
              DubMediaSeconds=Double DubInputName=Keyword DubTenant=Keyword; do
    "$BIN/temporal" operator search-attribute create --address 127.0.0.1:7233 \
      --name "${pair%%=*}" --type "${pair#*=}" >/dev/null 2>&1 || true
  done
}

up() {
  start temporal "$BIN/temporal" server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 \
    --db-filename "$STATE/temporal.db" --log-level warn \
    --search-attribute DubStage=Keyword --search-attribute DubSourceLang=Keyword \
    --search-attribute DubTargetLangs=KeywordList --search-attribute DubMediaSeconds=Double \
    --search-attribute DubInputName=Keyword --search-attribute DubTenant=Keyword
  wait_for_server
  register_search_attributes
  export HF_HUB_OFFLINE=1 DUB_STORE="${DUB_STORE:-$PWD/$STATE/store}"
  start worker-cpu "$BIN/python" -m worker --role cpu
  start worker-gpu "$BIN/python" -m worker --role gpu
  start api "$BIN/python" -m api
  wait_for_api
  echo "Web UI: http://127.0.0.1:8233"
  echo "HTTP API and page: http://127.0.0.1:${DUB_API_PORT:-8000}/ (OpenAPI: /docs)"
}

wait_for_api() {
  local url="http://127.0.0.1:${DUB_API_PORT:-8000}/healthz"
  for _ in $(seq 1 100); do
    "$BIN/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "$url" >/dev/null 2>&1 && return 0
    alive api || break
    sleep 0.2
  done
  echo "the HTTP API did not answer on $url; see $LOGS/api.log" >&2
  exit 1
}

down() {
  for name in api worker-gpu worker-cpu temporal; do
    if alive "$name"; then
      kill "$(cat "$PIDS/$name.pid")"
      for _ in $(seq 1 150); do alive "$name" || break; sleep 0.2; done
      echo "$name stopped"
    fi
    rm -f "$PIDS/$name.pid"
  done
}

"${1:?usage: stack.sh up|down}"
