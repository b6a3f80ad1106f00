#!/usr/bin/env bash
# Benchmarks Inlet against the baselines a user would otherwise use (psql \copy, plain AzCopy, the
# Azure SDK), in the same run against the same real services (docs/adr/0010-benchmarks.md).
#   ./bench.sh            every scenario at full size (10–15 minutes on 2 cores)
#   ./bench.sh --quick    a small version of each (a few minutes): proves the bench works
# Results: bench/results.json and a table on stdout. Generated inputs stay in .local/bench/data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/eng/services.sh"
install_prerequisites
# Fresh services every run (like test.sh), so one run's tokens and tables do not slow the next.
rm -rf "$INLET_ROOT/.local/bench/azurite" "$INLET_ROOT/.local/bench/run" "$(pg_data_dir bench)"
inlet_prepare bench "${INLET_BENCH_PG_PORT:-55434}" "${INLET_BENCH_BLOB_PORT:-10502}"
export INLET_BENCH_AZURITE_PID="$AZURITE_PID"
log "building the bench and the Host (Release)"
dotnet build "$INLET_ROOT/bench/Inlet.Bench/Inlet.Bench.csproj" -c Release -nologo -v quiet >/dev/null \
  || die "build failed: run 'dotnet build bench/Inlet.Bench -c Release' to see why"
rm -f "$INLET_ROOT/bench/results.json" # a failed run must not leave an earlier run's figures looking current
dotnet "$INLET_ROOT/bench/Inlet.Bench/bin/Release/net10.0/Inlet.Bench.dll" "$@"
