#!/bin/sh
# Runs nvtx_workload under the shim, attached the way stormlog-run attaches
# it (LD_PRELOAD and NVTX_INJECTION64_PATH both naming libstormlog_shim.so),
# then nvtx_check on what it recorded.
#
#   run_nvtx.sh SHIM WORKLOAD CHECKER WORK_DIR MODE [SANITIZER_RUNTIME]
#
# MODE: "phases" (contexts, nesting, counters) or "stage" (the projection;
# exits 77 when the records carry no metadata.phase_scope).
set -eu
shim=$1
workload=$2
checker=$3
work=$4
mode=$5
sanitizer=${6:-}

rm -rf "$work"
mkdir -p "$work"
preload="$shim"
if [ -n "$sanitizer" ]; then
    preload="$sanitizer $shim"
fi

if ! LD_PRELOAD="$preload" NVTX_INJECTION64_PATH="$shim" STORMLOG_OUTPUT_DIR="$work/out" STORMLOG_QUIET=1 \
    "$workload" >"$work/workload.log" 2>&1; then
    echo "the workload failed under the shim:"
    cat "$work/workload.log"
    exit 1
fi
if [ "$mode" = stage ]; then
    exec "$checker" "$work/out" stage
fi
exec "$checker" "$work/out"
