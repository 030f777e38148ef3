#!/usr/bin/env bash
# Bounded libFuzzer run over the loader's record, JSONL and manifest readers
# (tests/loader/fuzz). Usage: scripts/fuzz.sh [seconds, default 60]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
CC=clang cmake -S "$root" -B "$build" -DSTORMLOG_BUILD_FUZZ=ON -DSTORMLOG_SANITIZE=address,undefined \
  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DSTORMLOG_BUILD_BENCH=OFF >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" --target fuzz_loader -j "$(nproc)"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
"$build/tests/loader/fuzz/fuzz_loader" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 "$corpus" "$root/tests/loader/fuzz/corpus"
echo "fuzz: ${seconds} s without a crash, leak or hang"
