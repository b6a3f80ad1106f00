#!/usr/bin/env bash
# Stops and starts the PostgreSQL and Azurite that test.sh (or run.sh) started, for fault tests:
#   eng/service-control.sh postgres-stop | postgres-start | azurite-stop | azurite-start | clamd-stop | clamd-start
# It reads the INLET_* variables inlet_prepare exports, so it acts on exactly those services.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
: "${INLET_PROFILE:?run from a process started by test.sh or run.sh}"
PG_BIN="${INLET_PG_BIN:-/usr/lib/postgresql/15/bin}"
pid_file="$INLET_ROOT/.local/$INLET_PROFILE/azurite.pid"
case "${1:-}" in
  postgres-stop) as_pg "$PG_BIN/pg_ctl" -D "$INLET_PG_DATA" -m fast -w stop >/dev/null ;;
  postgres-start) start_postgres "$INLET_PROFILE" "$INLET_PG_PORT_USED" ;;
  azurite-stop)
    pid="$(cat "$pid_file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done ;;
  azurite-start)
    # Detached, so that it outlives this script; test.sh's clean-up stops it through the pid file.
    setsid "$INLET_TOOLS/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$INLET_BLOB_PORT_USED" \
      --location "$INLET_ROOT/.local/$INLET_PROFILE/azurite" --skipApiVersionCheck --silent --disableTelemetry \
      >>"$INLET_ROOT/.local/$INLET_PROFILE/azurite.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    wait_for_port "$INLET_BLOB_PORT_USED" Azurite 30 ;;
  clamd-stop)
    clamd_pid_file="$INLET_ROOT/.local/$INLET_PROFILE/clamd/clamd.pid.inlet"
    pid="$(cat "$clamd_pid_file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done ;;
  clamd-start)
    # Detached like Azurite above; start_clamd records its pid for test.sh's clean-up.
    INLET_PIDS=()
    start_clamd "$INLET_PROFILE" </dev/null
    disown -a ;;
  *) die "usage: $0 postgres-stop | postgres-start | azurite-stop | azurite-start | clamd-stop | clamd-start" ;;
esac
