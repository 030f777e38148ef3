#!/usr/bin/env python3
"""What call stacks cost the readers: the same generated recording with and
without stacks (N allocation/free pairs, S distinct stacks of D native and
P Python frames, each defined on its first use in each segment), read by
`summary`, `stacks --at peak` and `report`, alternating, medians of R runs.

usage: bench_stacks.py INSPECT [--pairs N] [--stacks S] [--repeats R] [--dir DIR]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

MIB = 1 << 20


def write_sink(path, pairs, stacks, with_stacks, segment_events=200_000):
    os.makedirs(path)
    seg, written, f = 0, 0, None
    defined = set()
    now = 1_700_000_000_000_000_000
    allocated = 0
    live = []

    def roll():
        """A new segment when this one is full: its stacks are defined again."""
        nonlocal seg, written, f
        if f is None or written == segment_events:
            if f:
                f.close()
            seg += 1
            written = 0
            defined.clear()
            f = open(os.path.join(path, f"segment-{seg:06d}.jsonl"), "w")

    def record(kind, change, meta):
        nonlocal written, now
        now += 1000
        written += 1
        f.write(json.dumps({
            "schema_version": 3, "session_id": "bench", "timestamp_ns": now, "event_type": kind,
            "collector": "stormlog.cuda_shim", "sampling_interval_ms": 0, "pid": 1, "host": "h", "job_id": None,
            "rank": 0, "local_rank": 0, "world_size": 1, "device_id": 0,
            "allocator_allocated_bytes": allocated, "allocator_reserved_bytes": allocated,
            "allocator_active_bytes": None, "allocator_inactive_bytes": None, "allocator_change_bytes": change,
            "device_used_bytes": allocated, "device_free_bytes": None, "device_total_bytes": None,
            "context": None, "metadata": meta}, separators=(",", ":")) + "\n")

    def stack_def(sid):
        return {"python": [{"file": f"/srv/model_{sid % 7}.py", "function": f"layer_{sid}", "line": 10 + k}
                           for k in range(4)],
                "native": [{"module": f"/opt/lib/libnet{sid % 5}.so", "offset": 4096 + 16 * sid + k,
                            "build_id": "ab" * 20} for k in range(16)]}

    roll()
    record("start", 0, {"thread_id": 1})
    for i in range(pairs):
        roll()
        sid = 1 + i % stacks
        ptr = 0x7f0000000000 + i * 0x1000
        size = (1 + i % 13) * MIB
        meta = {"api": "cudaMalloc", "ptr": hex(ptr), "size": size, "thread_id": 1}
        if with_stacks:
            meta["stack_id"] = sid
        allocated += size
        live.append((ptr, size))
        if with_stacks and sid not in defined:
            defined.add(sid)
            meta["stack"] = stack_def(sid)
        record("allocation", size, meta)
        if len(live) > 64:
            roll()
            p, s = live.pop(0)
            allocated -= s
            record("deallocation", -s, {"api": "cudaFree", "ptr": hex(p), "size": s, "thread_id": 1})
    roll()
    record("stop", 0, {"thread_id": 1})
    f.close()


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inspect")
    ap.add_argument("--pairs", type=int, default=250_000)
    ap.add_argument("--stacks", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dir")
    a = ap.parse_args()
    base = a.dir or tempfile.mkdtemp(prefix="bench-stacks-")
    plain, stacked = os.path.join(base, "plain"), os.path.join(base, "stacks")
    for d in (plain, stacked):
        shutil.rmtree(d, ignore_errors=True)
    write_sink(plain, a.pairs, a.stacks, False)
    write_sink(stacked, a.pairs, a.stacks, True)
    size = lambda d: sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
    print(f"{a.pairs} allocation/free pairs, {a.stacks} stacks (4 Python + 16 native frames); "
          f"{size(plain) / MIB:.0f} MiB without stacks, {size(stacked) / MIB:.0f} MiB with")
    report = os.path.join(base, "r.html")
    cmds = {
        "summary": lambda d: [a.inspect, "summary", d],
        "report": lambda d: [a.inspect, "report", d, "-o", report],
        "stacks --at peak": lambda d: [a.inspect, "stacks", d],
        "export --format pprof": lambda d: [a.inspect, "export", d, "--format", "pprof", "-o", report],
    }
    print(f"{'command':24} {'no stacks':>10} {'stacks':>10} {'ratio':>6}  (median of {a.repeats}, seconds)")
    for name, cmd in cmds.items():
        runs = {"plain": [], "stacks": []}
        for _ in range(a.repeats):
            if name in ("summary", "report"):
                runs["plain"].append(timed(cmd(plain)))
            runs["stacks"].append(timed(cmd(stacked)))
        p = statistics.median(runs["plain"]) if runs["plain"] else None
        s = statistics.median(runs["stacks"])
        print(f"{name:24} {p if p is not None else float('nan'):10.2f} {s:10.2f} "
              f"{(s / p) if p else float('nan'):6.2f}")
    if not a.dir:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
