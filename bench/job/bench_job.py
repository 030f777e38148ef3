#!/usr/bin/env python3
"""A big job, answered: `stormlog-inspect summary` and `report` of a job of
RANKS ranks and EVENTS events, from the sidecars (the default for a job this
size) and with --full, side by side in one run: wall time and the child's
peak RSS, medians of REPEATS.

The job is made by the shim itself: each rank is the CUDA double's workload
(tests/workloads) run under LD_PRELOAD with the rank variables set, so the
segments, manifest.json, rollups.json and lifetime.json are exactly what
the shim's writer thread writes (shipped rollover and durability; retention
raised so nothing is deleted, a ring large enough that nothing is dropped).
Ranks run one after another, so the job takes one core and the ring's
memory once. About 700 bytes per event on disk: 10,000,000 events take
about 7 GB; --events sizes it, --keep keeps it (deleted otherwise).

    python3 bench/job/bench_job.py --build build [--events N] [--ranks R]
        [--repeats K] [--work DIR] [--keep]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

OPS_PER_EVENT = 1.04  # the workload's operations per written event, one thread (measured: 664,000 ops, 639,381 events)


def make_job(build, work, events, ranks):
    shim = os.path.join(build, "shim/core/libstormlog_shim.so")
    workload = os.path.join(build, "tests/workloads/workload_cuda")
    for f in (shim, workload):
        if not os.path.exists(f):
            sys.exit(f"bench_job: {f} is not built (build with the tests: STORMLOG_BUILD_TESTS=ON)")
    per_rank = events // ranks
    for rank in range(ranks):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STORMLOG_", "OMPI_", "SLURM", "TORCHELASTIC"))}
        env.update(LD_PRELOAD=shim, STORMLOG_OUTPUT_DIR=work, STORMLOG_JOB_ID="bench", RANK=str(rank),
                   LOCAL_RANK=str(rank), WORLD_SIZE=str(ranks), STORMLOG_RING_CAPACITY="1048576",
                   STORMLOG_RETENTION_BYTES=str(1 << 40))
        args = [workload, "--threads", "1", "--ops", str(int(per_rank * OPS_PER_EVENT)), "--seed", str(rank),
                "--oom-device", "1", "--truth", os.path.join(work, f"truth-{rank}.json")]
        t = time.monotonic()
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"  rank {rank}: {time.monotonic() - t:.1f} s", file=sys.stderr)
    return os.path.join(work, "bench")


def job_size(job):
    events = size = segments = dropped = 0
    for sink in os.listdir(job):
        m = json.load(open(os.path.join(job, sink, "manifest.json")))
        events += sum(s["event_count"] for s in m["segments"])
        size += sum(s["size_bytes"] for s in m["segments"])
        segments += len(m["segments"])
        life = json.load(open(os.path.join(job, sink, "lifetime.json")))
        dropped += sum(s["dropped_events"] for s in life["sessions"])
    return events, size, segments, dropped


def measure(cmd):
    """Wall seconds and the child's peak RSS in MiB (getrusage of the child)."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if status != 0:
        sys.exit(f"bench_job: {' '.join(cmd)} failed: {err[-500:]}")
    return wall, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--ranks", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--work", default=None, help="where the job is written (default: BUILD/bench/job/work)")
    ap.add_argument("--keep", action="store_true", help="keep the job afterwards")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    work = os.path.abspath(a.work or os.path.join(build, "bench/job/work"))
    inspect = os.path.join(build, "loader/inspect/stormlog-inspect")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        t = time.monotonic()
        print(f"making a job of {a.ranks} ranks, {a.events} events under the shim ...", file=sys.stderr)
        job = make_job(build, work, a.events, a.ranks)
        events, size, segments, dropped = job_size(job)
        print(f"job: {a.ranks} ranks, {events} events, {segments} segments, {size / 2**30:.2f} GiB, "
              f"{dropped} dropped, made in {time.monotonic() - t:.0f} s")
        page = os.path.join(work, "report.html")
        runs = {"summary (sidecars)": [inspect, "summary", job],
                "summary --full": [inspect, "summary", job, "--full"],
                "report (sidecars)": [inspect, "report", job, "-o", page],
                "report --full": [inspect, "report", job, "-o", page, "--full"]}
        results = {name: [] for name in runs}
        for k in range(a.repeats):  # interleaved: the same machine state for each
            for name, cmd in runs.items():
                results[name].append(measure(cmd))
                print(f"  run {k + 1}: {name}: {results[name][-1][0]:.2f} s, {results[name][-1][1]:.0f} MiB",
                      file=sys.stderr, flush=True)
        print(f"{'command':<22}{'wall s (median)':>17}{'peak RSS MiB (median)':>23}   runs")
        for name, rs in results.items():
            walls = [w for w, _ in rs]
            rss = [m for _, m in rs]
            print(f"{name:<22}{statistics.median(walls):>17.2f}{statistics.median(rss):>23.1f}   "
                  + ", ".join(f"{w:.2f} s/{m:.0f} MiB" for w, m in rs))
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
