#!/usr/bin/env python3
"""Python allocations with known call sites, for the call-stack tests
(tests/shim/stacks). The lines that allocate are marked `# SITE name`; the
test finds their line numbers in this file and the bytes in the truth file
this script writes, so neither is written twice.

Everything goes through ctypes into the CUDA runtime double:
  - three sites through ctypes.PyDLL (the call keeps the GIL, as an
    extension that calls cudaMalloc from C without releasing it does);
  - one site through ctypes.CDLL (the GIL is released around the call);
  - the plugin route: libworkload_plugin.so, called through ctypes.PyDLL
    from a fourth site (its function calls cudaMalloc: Python frames, then
    the plugin's), and its worker threads, which never ran Python;
  - an allocation too big for the device: an OOM at a known line.

usage: stacks_workload.py --lib CUDART --plugin PLUGIN --truth FILE [--plugin-ops N]
"""
import argparse
import ctypes
import json
import os
import sys

MiB = 1 << 20


def bind(lib):
    lib.cudaMalloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
    lib.cudaMalloc.restype = ctypes.c_int
    lib.cudaFree.argtypes = [ctypes.c_void_p]
    lib.cudaFree.restype = ctypes.c_int
    return lib


def weights(lib, held):
    p = ctypes.c_void_p()
    assert lib.cudaMalloc(ctypes.byref(p), 3 * MiB) == 0  # SITE weights
    held.append(p)


def activations(lib, held):
    for _ in range(4):
        p = ctypes.c_void_p()
        assert lib.cudaMalloc(ctypes.byref(p), 5 * MiB) == 0  # SITE activations
        held.append(p)


class Optimizer:
    def step(self, lib, held):
        p = ctypes.c_void_p()
        assert lib.cudaMalloc(ctypes.byref(p), 7 * MiB) == 0  # SITE optimizer
        held.append(p)


def through_plugin(plugin, held):
    p = ctypes.c_void_p()
    assert plugin.workload_plugin_alloc(ctypes.byref(p), 13 * MiB) == 0  # SITE plugin
    held.append(p)


def gil_released(lib, held):
    p = ctypes.c_void_p()
    assert lib.cudaMalloc(ctypes.byref(p), 11 * MiB) == 0  # SITE gil_released
    held.append(p)


def too_big(lib):
    p = ctypes.c_void_p()
    return lib.cudaMalloc(ctypes.byref(p), 1 << 40)  # SITE oom


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", required=True)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--plugin-ops", type=int, default=200)
    args = parser.parse_args()
    mode = os.RTLD_NOW | os.RTLD_GLOBAL
    with_gil = bind(ctypes.PyDLL(args.lib, mode=mode))
    without_gil = bind(ctypes.CDLL(args.lib, mode=mode))
    held = []
    weights(with_gil, held)
    activations(with_gil, held)
    Optimizer().step(with_gil, held)
    gil_released(without_gil, held)
    oom_code = too_big(with_gil)

    plugin_with_gil = ctypes.PyDLL(args.plugin, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    plugin_with_gil.workload_plugin_alloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
    plugin_with_gil.workload_plugin_alloc.restype = ctypes.c_int
    through_plugin(plugin_with_gil, held)

    plugin = ctypes.CDLL(args.plugin, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    run = plugin.workload_plugin_run
    run.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
    run.restype = ctypes.c_int
    plugin_truth = args.truth + ".plugin"
    assert run(2, args.plugin_ops, 7, plugin_truth.encode()) == 0

    truth = {
        "bytes": {"weights": 3 * MiB, "activations": 4 * 5 * MiB, "optimizer": 7 * MiB,
                  "plugin": 13 * MiB, "gil_released": 11 * MiB, "oom": 1 << 40},
        "allocations": {"weights": 1, "activations": 4, "optimizer": 1, "plugin": 1, "gil_released": 1},
        "functions": {"weights": "weights", "activations": "activations", "optimizer": "step",
                      "plugin": "through_plugin", "gil_released": "gil_released", "oom": "too_big"},
        "oom_code": oom_code,
    }
    with open(args.truth, "w", encoding="utf-8") as handle:
        json.dump(truth, handle)
    for p in held:
        assert with_gil.cudaFree(p) == 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
