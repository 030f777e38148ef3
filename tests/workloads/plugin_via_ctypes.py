#!/usr/bin/env python3
"""Python -> extension -> runtime: load libworkload_plugin.so with ctypes
(RTLD_LOCAL, like an extension module import) and run its workload. The
plugin audits itself against the double's ground truth; this script checks
that it says so and that the truth line it wrote is well formed.

usage: plugin_via_ctypes.py --plugin PATH --truth FILE [--threads T] [--ops N] [--seed S]
"""
import argparse
import ctypes
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("STORMLOG_WORKLOAD_THREADS", 8)))
    parser.add_argument("--ops", type=int, default=int(os.environ.get("STORMLOG_WORKLOAD_OPS", 100000)))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    plugin = ctypes.CDLL(args.plugin, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    run = plugin.workload_plugin_run
    run.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
    run.restype = ctypes.c_int
    status = run(args.threads, args.ops, args.seed, args.truth.encode())
    if status != 0:
        print(f"plugin_via_ctypes: workload_plugin_run returned {status}", file=sys.stderr)
        return 1

    with open(args.truth, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    if len(lines) != 1:
        print(f"plugin_via_ctypes: truth has {len(lines)} lines, want 1", file=sys.stderr)
        return 1
    truth = json.loads(lines[0])
    problems = []
    if truth.get("ops") != args.ops or truth.get("threads") != args.threads:
        problems.append("ops/threads differ from the request")
    if set(truth["live"]) != {str(d) for d in range(truth["devices"])} | {"-1"}:
        problems.append(f"live has keys {sorted(truth['live'])}")
    if truth["allocs"] - truth["frees"] != truth["leaked_allocations"]:
        problems.append("allocs - frees != leaked_allocations")
    if problems:
        print("plugin_via_ctypes: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"plugin_via_ctypes: {truth['allocs']} allocations, {truth['frees']} frees, live {truth['live']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
