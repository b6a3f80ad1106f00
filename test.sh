#!/usr/bin/env bash
# Runs every test against real services: a throw-away PostgreSQL cluster and Azurite (separate ports
# and data from run.sh, wiped each run) and the real AzCopy. Extra arguments go to `dotnet test`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/eng/services.sh"
install_prerequisites
rm -rf "$INLET_ROOT/.local/test" "$(pg_data_dir test)"
export INLET_PG_FSYNC=off
inlet_prepare test "${INLET_TEST_PG_PORT:-55433}" "${INLET_TEST_BLOB_PORT:-10501}"
results="$INLET_ROOT/.local/test/results"
status=0
# One .trx per test project (a fixed LogFileName would let the last project overwrite the others).
dotnet test "$INLET_ROOT/Monolith.sln" -c Release --nologo --logger "trx;LogFilePrefix=tests" \
  --results-directory "$results" "$@" || status=$?
# One plain closing line that any reader understands: "N passed, N failed".
shopt -s nullglob
trx_files=("$results"/tests*.trx)
if [ ${#trx_files[@]} -gt 0 ]; then
  passed=0; failed=0; total=0; executed=0
  for trx in "${trx_files[@]}"; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    count() { local n; n=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"); echo "${n:-0}"; }
    passed=$(( passed + $(count passed) )); failed=$(( failed + $(count failed) ))
    total=$(( total + $(count total) )); executed=$(( executed + $(count executed) ))
  done
  summary="$passed passed, $failed failed, $(( total - executed )) skipped"
  echo "$summary"
  echo "$summary" >"$results/summary.txt" # .ci/run repeats it as its closing line
  [ "$executed" -gt 0 ] || { echo "no test was executed" >&2; status=1; }
else
  echo "0 passed, 1 failed"; status=1
fi
exit $status
