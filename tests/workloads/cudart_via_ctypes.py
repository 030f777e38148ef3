#!/usr/bin/env python3
"""Python calls the CUDA runtime double directly through ctypes (as CuPy's
and numba's pure-Python bindings do): no C code of ours in between, and the
library is opened with dlopen(RTLD_LOCAL) after process start. Several
Python threads allocate and free; the script keeps its own books and
compares them with the double's ground truth, then writes them as one JSON
line.

usage: cudart_via_ctypes.py --lib PATH --truth FILE [--threads T] [--ops N] [--seed S]
"""
import argparse
import ctypes
import json
import os
import random
import sys
import threading

CUDA_SUCCESS = 0
CUDA_ERROR_INVALID_VALUE = 1
CUDA_ERROR_MEMORY_ALLOCATION = 2


def bind(lib):
    c_void_pp = ctypes.POINTER(ctypes.c_void_p)
    signatures = {
        "cudaMalloc": ([c_void_pp, ctypes.c_size_t], ctypes.c_int),
        "cudaFree": ([ctypes.c_void_p], ctypes.c_int),
        "cudaMallocHost": ([c_void_pp, ctypes.c_size_t], ctypes.c_int),
        "cudaFreeHost": ([ctypes.c_void_p], ctypes.c_int),
        "cudaMallocAsync": ([c_void_pp, ctypes.c_size_t, ctypes.c_void_p], ctypes.c_int),
        "cudaFreeAsync": ([ctypes.c_void_p, ctypes.c_void_p], ctypes.c_int),
        "cudaSetDevice": ([ctypes.c_int], ctypes.c_int),
        "cudaGetDeviceCount": ([ctypes.POINTER(ctypes.c_int)], ctypes.c_int),
        "cudaDeviceGetDefaultMemPool": ([c_void_pp, ctypes.c_int], ctypes.c_int),
        "cudaMemPoolTrimTo": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_int),
        "stormlog_double_live_bytes": ([ctypes.c_int], ctypes.c_longlong),
        "stormlog_double_reserved_bytes": ([ctypes.c_int], ctypes.c_longlong),
        "stormlog_double_allocs": ([], ctypes.c_ulonglong),
        "stormlog_double_frees": ([], ctypes.c_ulonglong),
        "stormlog_double_failed": ([], ctypes.c_ulonglong),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
    return lib


class Books:
    def __init__(self, devices):
        self.live = {str(d): 0 for d in range(devices)}
        self.live["-1"] = 0
        self.allocs = self.frees = self.failed = self.leaked = 0


def worker(lib, devices, ops, seed, keep, books, errors):
    rng = random.Random(seed)
    held = []  # (pointer, size, device)
    try:
        for _ in range(ops):
            if held and (len(held) >= 32 or rng.random() < 0.5):
                ptr, size, device = held.pop(rng.randrange(len(held)))
                if device == -1:
                    code = lib.cudaFreeHost(ptr)
                elif rng.random() < 0.5:
                    code = lib.cudaFreeAsync(ptr, None)
                else:
                    code = lib.cudaFree(ptr)
                if code != CUDA_SUCCESS:
                    raise RuntimeError(f"free returned {code}")
                books.live[str(device)] -= size
                books.frees += 1
                continue
            device = rng.randrange(-1, devices)
            size = rng.randrange(1, 1 << 20)
            ptr = ctypes.c_void_p()
            if device == -1:
                code = lib.cudaMallocHost(ctypes.byref(ptr), size)
            else:
                if lib.cudaSetDevice(device) != CUDA_SUCCESS:
                    raise RuntimeError(f"cudaSetDevice({device}) failed")
                if rng.random() < 0.5:
                    code = lib.cudaMalloc(ctypes.byref(ptr), size)
                else:
                    code = lib.cudaMallocAsync(ctypes.byref(ptr), size, None)
            if code == CUDA_ERROR_MEMORY_ALLOCATION:
                books.failed += 1
                continue
            if code != CUDA_SUCCESS or not ptr.value:
                raise RuntimeError(f"allocation of {size} on {device} returned {code}")
            if device == -1:
                ctypes.memset(ptr.value, 0x5A, size)  # pinned memory is real memory
            held.append((ptr.value, size, device))
            books.live[str(device)] += size
            books.allocs += 1
        while len(held) > keep:
            ptr, size, device = held.pop()
            code = lib.cudaFreeHost(ptr) if device == -1 else lib.cudaFree(ptr)
            if code != CUDA_SUCCESS:
                raise RuntimeError(f"final free returned {code}")
            books.live[str(device)] -= size
            books.frees += 1
        books.leaked = len(held)
    except RuntimeError as error:
        errors.append(str(error))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("STORMLOG_WORKLOAD_THREADS", 4)))
    parser.add_argument("--ops", type=int, default=int(os.environ.get("STORMLOG_WORKLOAD_OPS", 20000)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=int, default=3)
    args = parser.parse_args()

    lib = bind(ctypes.CDLL(args.lib, mode=os.RTLD_NOW | os.RTLD_LOCAL))
    count = ctypes.c_int()
    if lib.cudaGetDeviceCount(ctypes.byref(count)) != CUDA_SUCCESS or count.value < 1:
        print("cudart_via_ctypes: no device", file=sys.stderr)
        return 1
    devices = min(2, count.value)
    before = {d: lib.stormlog_double_live_bytes(d) for d in range(-1, devices)}
    counters_before = (lib.stormlog_double_allocs(), lib.stormlog_double_frees(), lib.stormlog_double_failed())

    books_per_thread = [Books(devices) for _ in range(args.threads)]
    errors = []
    threads = [
        threading.Thread(target=worker,
                         args=(lib, devices, args.ops // args.threads, args.seed * 1000 + i, args.keep,
                               books_per_thread[i], errors))
        for i in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print("cudart_via_ctypes: " + "; ".join(errors), file=sys.stderr)
        return 1

    total = Books(devices)
    for books in books_per_thread:
        for key, value in books.live.items():
            total.live[key] += value
        total.allocs += books.allocs
        total.frees += books.frees
        total.failed += books.failed
        total.leaked += books.leaked

    reserved = {}
    for device in range(devices):
        pool = ctypes.c_void_p()
        if lib.cudaDeviceGetDefaultMemPool(ctypes.byref(pool), device) != CUDA_SUCCESS \
                or lib.cudaMemPoolTrimTo(pool, 0) != CUDA_SUCCESS:
            print("cudart_via_ctypes: cannot trim the default pool", file=sys.stderr)
            return 1
        reserved[str(device)] = lib.stormlog_double_reserved_bytes(device)

    problems = []
    for device in range(-1, devices):
        truth = lib.stormlog_double_live_bytes(device) - before[device]
        if truth != total.live[str(device)]:
            problems.append(f"device {device}: books {total.live[str(device)]}, double {truth}")
    counters_after = (lib.stormlog_double_allocs(), lib.stormlog_double_frees(), lib.stormlog_double_failed())
    deltas = [a - b for a, b in zip(counters_after, counters_before)]
    if deltas != [total.allocs, total.frees, total.failed]:
        problems.append(f"allocs/frees/failed: books {[total.allocs, total.frees, total.failed]}, double {deltas}")
    if any(reserved.values()):
        problems.append(f"reserved after trim: {reserved}")

    line = {"program": "cudart_via_ctypes", "runtime": "cuda", "live": total.live, "reserved": reserved,
            "ops": args.ops, "threads": args.threads, "devices": devices, "seed": args.seed,
            "allocs": total.allocs, "frees": total.frees, "failed": total.failed,
            "leaked_allocations": total.leaked}
    with open(args.truth, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(line, separators=(",", ":")) + "\n")
    if problems:
        print("cudart_via_ctypes: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"cudart_via_ctypes: {total.allocs} allocations, {total.frees} frees, live {total.live}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
