#!/usr/bin/env python3
"""Differential test of `stormlog-inspect rollups` against the reference's
build_telemetry_rollups (../shared/reference, run in place): random sink
directories (sessions in and out of the manifest, several segments, ranks,
windows, alerts with odd severities, OOM markers, collector transitions,
torn last lines, huge counters), the same bytes from both, or both refuse.

usage: fuzz_rollups.py REFERENCE_DIR INSPECT [--seeds A:B] [--work DIR]
ctest runs a fixed seed set; a longer run: --seeds 0:5000 (README, bench)."""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

SEVERITIES = ["warning", " Error\t", "CRITICAL", "info", "Sev 2", "P0 0xDEADbeef   page", "12.5% degraded",
              "", "   ", "\u00a0warning\u3000", "AVERTISSEMENT \u00c9", "niveau \u0663", "a\u2003\u2003b",
              "warn\x1cing", "\x1ferror\x1c", "1.5a", "5%a", "x_1", "\u0130stanbul", "\u03a3\u039f\u03a3"]
TYPES = ["sample", "sample", "allocation", "deallocation", "warning", "error", "critical", "peak",
         "collector_degraded", "collector_recovered", "start", "stop", "Sample", "custom"]
STATUSES = ["completed", "running", "interrupted", " Completed ", "failed"]


def record(rng, session_id, ts, rank):
    big = rng.random() < 0.05
    meta = {}
    if rng.random() < 0.4:
        meta["severity"] = rng.choice(SEVERITIES + [3, None, True])
    if rng.random() < 0.2:
        meta["oom_reason"] = rng.choice(["cuda_oom", None, ""])
    if rng.random() < 0.15:
        meta["oom_dump_path"] = rng.choice(["/d", " /d", "/e", "", "  ", None, 7])
    if rng.random() < 0.2:
        meta["collector_health_status"] = rng.choice(["Healthy", " DEGRADED ", "d\u00c9grad\u00c9", "", 5])
    used = rng.choice([0, 100, 2 ** 63 - 1]) if big else rng.randrange(0, 10 ** 9)
    return {
        "allocator_active_bytes": None, "allocator_allocated_bytes": rng.randrange(0, 10 ** 9) if not big else 2 ** 63 - 1,
        "allocator_change_bytes": 0, "allocator_inactive_bytes": None,
        "allocator_reserved_bytes": rng.randrange(0, 10 ** 9), "collector": "stormlog.fuzz", "context": None,
        "device_free_bytes": None, "device_id": rng.randrange(-1, 3), "device_total_bytes": None,
        "device_used_bytes": used, "event_type": rng.choice(TYPES), "host": "h", "job_id": None,
        "local_rank": rank % 2, "metadata": meta, "pid": 42, "rank": rank, "sampling_interval_ms": 0,
        "schema_version": 3, "session_id": session_id, "timestamp_ns": ts, "world_size": 4,
    }


def make_case(rng, d):
    os.makedirs(d)
    base = 1_700_000_000_000_000_000
    sessions = []
    for i in range(rng.randint(1, 3)):
        start = base + rng.randrange(0, 10 ** 11)
        ended = rng.choice([None, 0, start + rng.randrange(0, 3 * 10 ** 11)])
        sessions.append({"session_id": f"s{i}-{rng.randrange(1000)}", "status": rng.choice(STATUSES),
                         "started_at_ns": start, "ended_at_ns": ended, "host": "h", "pid": 42, "job_id": None,
                         "rank": 0, "local_rank": 0, "world_size": 4, "source": "stormlog.fuzz"})
    extra_ids = [f"inferred-{rng.randrange(100)}"] if rng.random() < 0.3 else []
    segments = []
    for k in range(1, rng.randint(1, 4) + 1):
        name = f"segment-{k:06d}.jsonl"
        lines = []
        for _ in range(rng.randint(0, 40)):
            sid = rng.choice([s["session_id"] for s in sessions] + extra_ids)
            start = next((s["started_at_ns"] for s in sessions if s["session_id"] == sid), base)
            ts = max(0, start + rng.randrange(-10 ** 9, 2 * 10 ** 11))
            if rng.random() < 0.1 and lines:
                ts = json.loads(lines[-1])["timestamp_ns"]  # ties
            lines.append(json.dumps(record(rng, sid, ts, rng.randrange(0, 4))))
        text = "".join(line + "\n" for line in lines)
        if rng.random() < 0.15:
            text += "\n"
        if rng.random() < 0.15:
            text += '{"schema_ver'  # a torn last line
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
        owner = rng.choice([s["session_id"] for s in sessions] + [None])
        if rng.random() < 0.9:
            segments.append({"filename": name, "event_count": len(lines) + rng.choice([0, 0, 1]),
                             "size_bytes": len(text.encode()), "closed": True, "session_id": owner})
    if rng.random() < 0.1:
        segments.append({"filename": "segment-000099.jsonl", "event_count": 3, "size_bytes": 10,
                         "closed": True, "session_id": None})
    if rng.random() < 0.9:
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump({"schema_version": 2, "format": "stormlog.append_only_telemetry_sink",
                       "sessions": sessions, "segments": segments}, f, indent=2)
    window = rng.choice([60_000_000_000, 1_000_000_000, 7_000_000_000, 1])
    pruned = (rng.randrange(0, 5), rng.randrange(0, 10 ** 6)) if rng.random() < 0.3 else None
    return window, pruned


def reference(refdir, d, window, pruned):
    code = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from stormlog.telemetry import load_telemetry_sessions
from stormlog.telemetry_rollups import build_telemetry_rollups, rollup_coverage_from_manifest, telemetry_rollup_file_to_dict
from stormlog.telemetry_sink import read_telemetry_sink_manifest
d, window = sys.argv[2], int(sys.argv[3])
m = read_telemetry_sink_manifest(d)
cov = None
if sys.argv[4] != "-":
    a, b = sys.argv[4].split(",")
    cov = rollup_coverage_from_manifest(m, pruned_segment_count=int(a), pruned_bytes=int(b))
doc = telemetry_rollup_file_to_dict(build_telemetry_rollups(load_telemetry_sessions(d), m, window_duration_ns=window, coverage=cov))
doc["generated_at_ns"] = 0
sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
"""
    arg = "-" if pruned is None else f"{pruned[0]},{pruned[1]}"
    return subprocess.run([sys.executable, "-c", code, refdir, d, str(window), arg], capture_output=True, text=True)


def ours(inspect, d, window, pruned, parts):
    args = [inspect, "rollups", d, "--window-duration-ns", str(window), "--merge-parts", str(parts)]
    if pruned is not None:
        args += ["--pruned-segment-count", str(pruned[0]), "--pruned-bytes", str(pruned[1])]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode == 0:
        doc = json.loads(r.stdout)
        r.stdout = r.stdout.replace(f'"generated_at_ns": {doc["generated_at_ns"]},', '"generated_at_ns": 0,', 1)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("inspect")
    ap.add_argument("--seeds", default="0:40")
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.seeds.split(":"))
    work = a.work or tempfile.mkdtemp(prefix="fuzz-rollups-")
    failed = refused = 0
    for seed in range(lo, hi):
        d = os.path.join(work, f"case-{seed}")
        shutil.rmtree(d, ignore_errors=True)
        rng = random.Random(seed)
        window, pruned = make_case(rng, d)
        parts = rng.choice([1, 1, 2, 3, 5])  # also the writer's merge of partials
        theirs, mine = reference(a.reference, d, window, pruned), ours(a.inspect, d, window, pruned, parts)
        if (theirs.returncode == 0) != (mine.returncode == 0):
            failed += 1
            print(f"seed {seed}: reference exit {theirs.returncode}, ours {mine.returncode}: "
                  f"{(theirs.stderr or mine.stderr).strip().splitlines()[-1:]} ({d})")
        elif theirs.returncode == 0 and theirs.stdout != mine.stdout:
            failed += 1
            import difflib
            diff = list(difflib.unified_diff(theirs.stdout.splitlines(True), mine.stdout.splitlines(True),
                                             "reference", "ours"))[:30]
            print(f"seed {seed}: documents differ ({d})\n" + "".join(diff))
        else:
            refused += theirs.returncode != 0
            shutil.rmtree(d, ignore_errors=True)
    print(f"{hi - lo - failed} passed ({refused} refused by both), {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
