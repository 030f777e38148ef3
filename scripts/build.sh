#!/usr/bin/env bash
# Configures and builds into $BUILD_DIR (default build/). Extra cmake
# arguments pass through. STORMLOG_SANITIZE selects a sanitiser build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  -DSTORMLOG_WERROR="${STORMLOG_WERROR:-$werror}" -DSTORMLOG_SANITIZE="${STORMLOG_SANITIZE:-}" "$@"
cmake --build "$build" -j "$jobs"
