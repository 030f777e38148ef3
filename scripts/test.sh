#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the whole suite.
#   scripts/test.sh                      plain build in build/
#   STORMLOG_SANITIZE=thread BUILD_DIR=build-tsan scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build=${BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
cd "$build"
# Tests check exactness, not the shim's 2 s shutdown deadline: on a loaded
# 2-core machine (sanitizers, parallel ctest) one fdatasync can outlast it.
# A test that checks the deadline sets its own.
export STORMLOG_SHUTDOWN_DEADLINE_MS=${STORMLOG_SHUTDOWN_DEADLINE_MS:-60000}
# Known ThreadSanitizer false positives, each explained in the file.
case "${STORMLOG_SANITIZE:-}" in
  *thread*) export TSAN_OPTIONS="suppressions=$root/tests/sanitizers/tsan.supp ${TSAN_OPTIONS:-}" ;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-} 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# Criterion's own summaries (ctest keeps test output in its log), then
# ctest's closing line again, so both runners' verdicts close the output.
echo
echo "Criterion summaries:"
grep -h "Synthesis:" Testing/Temporary/LastTest.log | sed 's/^[0-9]*: //' || echo "  (no Criterion test ran)"
grep -E "tests passed|tests failed" "$log" | tail -n 1
exit "$rc"
