#!/usr/bin/env bash
# The demonstration: installs what is missing, builds, records a simulated
# GPU program under the shim, and shows what the recording holds.
#
# There is no GPU here: the program is tests/workloads' workload_cuda, linked
# to our CUDA runtime double (simulated devices of 16 GiB). On a GPU machine
# the same LD_PRELOAD line works on any CUDA or HIP program.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
log=${TMPDIR:-/tmp}/stormlog-demo-build.log
# The build is quiet for a minute or two: say so before it starts.
echo "== building (log: $log)"
"$root/scripts/build.sh" >"$log" 2>&1 || { tail -n 40 "$log"; exit 1; }
build=${BUILD_DIR:-$root/build}

shim=$build/shim/core/libstormlog_shim.so
workload=$build/tests/workloads/workload_cuda
inspect=$build/loader/inspect/stormlog-inspect
out=$root/stormlog-out
job=demo
rm -rf "$out/$job"

echo "== recording: LD_PRELOAD=$shim workload_cuda --threads 4 --ops 20000"
STORMLOG_OUTPUT_DIR=$out STORMLOG_JOB_ID=$job LD_PRELOAD=$shim \
  "$workload" --threads 4 --ops 20000 --seed 7 --oom-device 1 --truth "$out/demo-truth.json"
echo
echo "== the recording: $out/$job"
find "$out/$job" -type f | sort | sed 's/^/   /'
echo
echo "== what the program itself says it holds at exit (ground truth of the double)"
cat "$out/demo-truth.json"
echo
echo "== stormlog-inspect summary $out/$job"
"$inspect" summary "$out/$job"
echo
echo "== where the memory was at device 0's peak: stormlog-inspect stacks $out/$job --at peak --device 0 --top 3"
"$inspect" stacks "$out/$job" --at peak --device 0 --top 3
echo
echo "== next: install the tools (cmake --install $build --prefix /opt/stormlog), then"
echo "   stormlog-inspect report $out/$job -o report.html   (call sites at each peak, OOM and exit included)"
