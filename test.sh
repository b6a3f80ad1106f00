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
dotnet test "$INLET_ROOT/Monolith.sln" -c Release --nologo --logger "trx;LogFileName=tests.trx" \
  --results-directory "$results" "$@" || status=$?
# One plain closing line that any reader understands: "N passed, N failed".
if [ -f "$results/tests.trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$results/tests.trx" | head -1)
  passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  total=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); executed=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  summary="${passed:-0} passed, ${failed:-0} failed, $(( ${total:-0} - ${executed:-0} )) skipped"
  echo "$summary"
  echo "$summary" >"$results/summary.txt" # .ci/run repeats it as its closing line
  [ "${executed:-0}" -gt 0 ] || { echo "no test was executed" >&2; status=1; }
else
  echo "0 passed, 1 failed"; status=1
fi
exit $status
