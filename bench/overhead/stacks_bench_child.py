#!/usr/bin/env python3
"""One measurement for stacks_bench: T Python threads, each N cudaMalloc +
cudaFree pairs through ctypes.PyDLL (the GIL stays held, so the shim sees
the Python stack) at DEPTH Python frames below the thread's entry. Prints
"cpu_ns_per_pair wall_ns_per_pair" (thread CPU time, as overhead_bench).

usage: stacks_bench_child.py CUDART THREADS PAIRS DEPTH
"""
import ctypes
import os
import sys
import threading
import time


def main():
    lib = ctypes.PyDLL(sys.argv[1], mode=os.RTLD_NOW | os.RTLD_GLOBAL)
    threads, pairs, depth = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    malloc, free = lib.cudaMalloc, lib.cudaFree
    malloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
    free.argtypes = [ctypes.c_void_p]
    cpu = []
    failed = []

    def loop(n):
        p = ctypes.c_void_p()
        ref = ctypes.byref(p)
        for i in range(n):
            if malloc(ref, 256 + (i & 1023)) != 0 or free(p) != 0:
                failed.append(i)
                return

    def at_depth(d, n):
        if d > 0:
            return at_depth(d - 1, n)
        loop(1000)  # warm up: the session start, this thread's first capture
        start = time.thread_time_ns()
        loop(n)
        cpu.append(time.thread_time_ns() - start)
        return None

    wall = time.monotonic_ns()
    workers = [threading.Thread(target=at_depth, args=(depth, pairs)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.monotonic_ns() - wall
    if failed or len(cpu) != threads:
        return 1
    print(f"{sum(cpu) / (threads * pairs):.2f} {wall / (threads * pairs):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
