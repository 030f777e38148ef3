#!/usr/bin/env python3
"""Segment-parallel loading must print exactly what sequential loading prints.
Runs stormlog-inspect load --threads 1 and --threads 3 over every sink
directory of the conformance corpus and over a generated 40-segment sink;
a process-level test so that it also runs under ThreadSanitizer (where the
Criterion tests cannot)."""
import json, os, subprocess, sys, tempfile

inspect, cases = sys.argv[1], sys.argv[2]
dirs = []
for name in sorted(os.listdir(cases)):
    meta = json.load(open(os.path.join(cases, name, "case.json"), encoding="utf-8"))
    path = os.path.join(cases, name, meta["input"])
    if meta["mode"] == "load" and os.path.isdir(path):
        dirs.append(path)
tmp = tempfile.mkdtemp(prefix="stormlog-par-")
line = ('{"schema_version": 3, "session_id": "%s", "timestamp_ns": %d, "event_type": "%s", '
        '"collector": "c", "sampling_interval_ms": 0, "pid": 1, "host": "h", "device_id": 0, '
        '"allocator_allocated_bytes": 1, "allocator_reserved_bytes": 1, "allocator_active_bytes": null, '
        '"allocator_inactive_bytes": null, "allocator_change_bytes": 0, "device_used_bytes": 1, '
        '"device_free_bytes": null, "device_total_bytes": null, "context": null, "metadata": {}}\n')
for s in range(1, 41):
    with open(os.path.join(tmp, "segment-%06d.jsonl" % s), "w") as fh:
        for i in range(50):
            fh.write(line % ("A" if s % 3 else "B", 10000 - s * 7 + i, "stop" if i == 49 and s == 40 else "sample"))
dirs.append(tmp)
failed = 0
for d in dirs:
    runs = [subprocess.run([inspect, "load", d, "--threads", t], capture_output=True, text=True)
            for t in ("1", "3")]
    if runs[0].stdout != runs[1].stdout or runs[0].returncode != runs[1].returncode or \
            "Sanitizer" in runs[1].stderr:
        failed += 1
        print(f"FAIL {d}: rc {runs[0].returncode}/{runs[1].returncode}\n{runs[1].stderr[-2000:]}")
for f in os.listdir(tmp):
    os.unlink(os.path.join(tmp, f))
os.rmdir(tmp)
print(f"{len(dirs)} directories, {failed} differ")
sys.exit(1 if failed else 0)
