#!/usr/bin/env bash
# Starts Inlet with its embedded defaults: a project-local PostgreSQL and Azurite, then the Host.
# Ctrl-C stops everything; data stays under .local/dev for the next run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/eng/services.sh"
HTTP_PORT="${INLET_HTTP_PORT:-5080}"
require_free_port "$HTTP_PORT" "the Inlet Host" INLET_HTTP_PORT
inlet_prepare dev "${INLET_PG_PORT:-55432}" "${INLET_BLOB_PORT:-10500}"
log "building the Host"
dotnet build "$INLET_ROOT/src/Host/Inlet.Host.csproj" -c Release -nologo -v quiet >/dev/null || die "build failed: run 'dotnet build src/Host' to see why"
log "Inlet is starting on http://127.0.0.1:$HTTP_PORT  (Ctrl-C stops it)"
ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}" \
  dotnet "$INLET_ROOT/src/Host/bin/Release/net10.0/Inlet.Host.dll" --contentRoot "$INLET_ROOT/src/Host/bin/Release/net10.0" --urls "http://127.0.0.1:$HTTP_PORT" &
INLET_PIDS+=($!)
wait "${INLET_PIDS[-1]}"
