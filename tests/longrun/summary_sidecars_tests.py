#!/usr/bin/env python3
"""`stormlog-inspect summary` and `sessions` from the sidecars (issue 12 part 5, issue 13
point 16): on recordings the shim made, the answer from rollups.json +
lifetime.json equals the answer from parsing every segment (--full); stale
sidecars are said and the segments parsed; the sidecar answer needs memory
for the sessions, not the events. One test per argv[1]; exit 0 pass, 1 fail,
77 skip. Configured by the environment CMakeLists.txt sets."""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
ENV = os.environ
SHIM = ENV.get("STORMLOG_SHIM_LIB", "")
INSPECT = ENV.get("STORMLOG_INSPECT", "")
WORKLOAD = ENV.get("STORMLOG_WORKLOAD_CUDA", "")
WORK = ENV.get("STORMLOG_LONGRUN_WORK", tempfile.gettempdir())
SANITIZER_PRELOAD = ENV.get("STORMLOG_SANITIZER_PRELOAD", "")

failures = []

# What --full and the sidecars must agree on, per session and per device.
SESSION_KEYS = ["summary", "default", "event_count", "counts_from", "dropped_events", "failed_frees",
                "failed_calls", "pruned_events", "pruned_segments", "pruned_bytes", "coverage"]
DEVICE_KEYS = ["device_id", "peak_allocated_bytes", "peak_timestamp_ns", "final_allocated_bytes", "leaked_bytes",
               "allocations", "frees", "failed_allocations", "unmatched_frees", "dropped_events", "oom_count"]


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def skip(reason):
    print("SKIP:", reason)
    sys.exit(SKIP)


def need():
    if not os.path.isfile(SHIM):
        skip("libstormlog_shim.so is not built")
    if "thread" in ENV.get("STORMLOG_SANITIZE", ""):
        skip("the TSan runtime cannot be preloaded into the workload here; the shim's TSan coverage is in tests/shim")


def fresh(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def record(out, rank, world, ops=4000, **extra):
    """One rank of job `j` under the shim, OOMs injected on device 1."""
    env = {k: v for k, v in ENV.items() if not k.startswith(("STORMLOG_", "TORCHELASTIC", "SLURM", "OMPI_"))}
    env["LD_PRELOAD"] = (SANITIZER_PRELOAD + ":" if SANITIZER_PRELOAD else "") + SHIM
    env["ASAN_OPTIONS"] = "detect_leaks=0"
    env.update(STORMLOG_OUTPUT_DIR=out, STORMLOG_JOB_ID="j", RANK=str(rank), LOCAL_RANK=str(rank),
               WORLD_SIZE=str(world))
    env.update({k: str(v) for k, v in extra.items()})
    args = [WORKLOAD, "--threads", "2", "--ops", str(ops), "--seed", str(7 + rank), "--oom-device", "1",
            "--truth", os.path.join(out, f"truth-{rank}.json")]
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    check(r.returncode == 0, f"workload rank {rank} exit {r.returncode}: {r.stderr[-500:]}")


def summary(path, *flags, limit_bytes=None, command="summary"):
    def limit():
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    r = subprocess.run([INSPECT, command, path, "--json", *flags], capture_output=True, text=True,
                       preexec_fn=limit if limit_bytes else None)
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else None), r.stderr


def compare_sessions(path, what):
    """`sessions` answers the same from the sidecars and from the segments."""
    rc_f, full, err_f = summary(path, "--full", command="sessions")
    rc_s, side, err_s = summary(path, "--sidecars", command="sessions")
    if check(rc_f == 0 and rc_s == 0 and err_s == "", f"{what}: sessions exit {rc_f} / {rc_s}: {err_f} {err_s}"):
        check(full == side, f"{what}: sessions --full {full} != --sidecars {side}")


def by_id(doc):
    return {s["summary"]["session_id"]: s for s in doc["sessions"]}


def compare(full, side, what, same_device_events=True):
    check([s["summary"]["session_id"] for s in full["sessions"]] ==
          [s["summary"]["session_id"] for s in side["sessions"]], f"{what}: the same sessions in the same order")
    f, s = by_id(full), by_id(side)
    for sid in f:
        if sid not in s:
            continue
        a, b = f[sid], s[sid]
        check(a["read_from"] == "segments" and b["read_from"] == "sidecars",
              f"{what}: read_from {a['read_from']} / {b['read_from']}")
        for k in SESSION_KEYS:
            check(a.get(k) == b.get(k), f"{what}: session {sid} {k}: --full {a.get(k)} != sidecars {b.get(k)}")
        check([d["device_id"] for d in a["devices"]] == [d["device_id"] for d in b["devices"]],
              f"{what}: session {sid}: the same devices")
        for da, db in zip(a["devices"], b["devices"]):
            # The writer's per-device count leaves out the session's start
            # and stop records (device -1) and, with pruning, counts what
            # was deleted: a GPU's events are comparable without pruning.
            keys = DEVICE_KEYS + (["events"] if same_device_events and da["device_id"] >= 0 else [])
            for k in keys:
                check(da.get(k) == db.get(k),
                      f"{what}: session {sid} device {da['device_id']} {k}: --full {da.get(k)} != sidecars {db.get(k)}")
    for k in ("jobs", "job", "highest_peak"):
        check(full[k] == side[k], f"{what}: {k}: --full {full[k]} != sidecars {side[k]}")


def t_equal_full():
    """A job of three ranks under the shipped defaults, and one rank under a
    tiny retention (2 segments of 1,000 events): the sidecars' answer is
    --full's."""
    need()
    out = fresh("sidecars-job")
    for rank in range(3):
        record(out, rank, 3)
    job = os.path.join(out, "j")
    rc_f, full, err_f = summary(job, "--full")
    rc_s, side, err_s = summary(job, "--sidecars")
    if check(rc_f == 0 and rc_s == 0, f"job: exit {rc_f} / {rc_s}: {err_f} {err_s}"):
        check(err_s == "", f"job: the sidecars were taken silently, not: {err_s}")
        check(full["job"] is not None and len(full["job"]["ranks"]) == 3, "job: a cross-rank table of 3 ranks")
        check(sum(d["oom_count"] for s in full["sessions"] for d in s["devices"]) > 0, "job: OOMs were injected")
        compare(full, side, "job")
    compare_sessions(job, "job")
    # The default: below 64 MiB of segments the segments are parsed.
    rc, auto, _ = summary(job)
    check(rc == 0 and all(s["read_from"] == "segments" for s in auto["sessions"]),
          "job: a small recording is parsed by default")

    out = fresh("sidecars-tiny")
    record(out, 0, 1, ops=20000, STORMLOG_ROLLOVER_EVENTS=1000, STORMLOG_RETENTION_FILES=2)
    rc_f, full, err_f = summary(os.path.join(out, "j"), "--full")
    rc_s, side, err_s = summary(os.path.join(out, "j"), "--sidecars")
    if check(rc_f == 0 and rc_s == 0, f"tiny: exit {rc_f} / {rc_s}: {err_f} {err_s}"):
        check(all(s["pruned_events"] > 0 for s in side["sessions"]), "tiny: retention deleted events")
        # Per device, the writer counted the pruned events too; --full only the retained ones.
        compare(full, side, "tiny", same_device_events=False)
    compare_sessions(os.path.join(out, "j"), "tiny")


def t_stale():
    """Sidecars that do not cover the segments are said in one line, and
    the segments are parsed."""
    need()
    out = fresh("sidecars-stale")
    record(out, 0, 1)
    sink = os.path.join(out, "j", os.listdir(os.path.join(out, "j"))[0])
    segs = sorted(n for n in os.listdir(sink) if n.startswith("segment-"))
    rc, _, err = summary(sink, "--sidecars")
    check(rc == 0 and err == "", f"fresh: taken silently ({err})")
    cases = []
    with open(os.path.join(sink, segs[-1]), "rb") as f:
        last = f.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]

    def appended():
        with open(os.path.join(sink, segs[-1]), "ab") as f:
            f.write(last + b"\n")
    cases.append(("a line appended after the manifest", appended, "not as the manifest lists it"))
    cases.append(("rollups.json deleted", lambda: os.remove(os.path.join(sink, "rollups.json")), "no rollups.json"))
    cases.append(("lifetime.json deleted", lambda: os.remove(os.path.join(sink, "lifetime.json")),
                  "no lifetime.json"))
    pristine = fresh("sidecars-stale-copy")
    shutil.rmtree(pristine)
    shutil.copytree(sink, pristine)
    for what, spoil, words in cases:
        shutil.rmtree(sink)
        shutil.copytree(pristine, sink)
        spoil()
        rc_s, side, err = summary(sink, "--sidecars")
        rc_f, full, _ = summary(sink, "--full")
        lines = err.strip().splitlines()
        if check(rc_s == 0 and rc_f == 0, f"{what}: exit {rc_s} / {rc_f}: {err}"):
            check(len(lines) == 1 and "reading every segment" in lines[0] and words in lines[0],
                  f"{what}: one line saying why ({words!r}), got {lines}")
            check(all(s["read_from"] == "segments" for s in side["sessions"]), f"{what}: the segments were parsed")
            check(side == full, f"{what}: the answer is --full's")


def t_bounded_memory():
    """The sidecar answer of a job whose segments are larger than the
    address space it is given: it succeeds, where parsing cannot."""
    need()
    if ENV.get("STORMLOG_SANITIZE"):
        skip("sanitizer runtimes reserve terabytes of address space: RLIMIT_AS cannot be applied")
    out = fresh("sidecars-memory")
    for rank in range(3):
        record(out, rank, 3, ops=60000)
    job = os.path.join(out, "j")
    size = sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(job) for n in names
               if n.startswith("segment-"))
    limit = 16 << 20
    if not check(size > limit, f"the segments ({size} bytes) are larger than the limit ({limit})"):
        return
    rc, side, err = summary(job, "--sidecars", limit_bytes=limit)
    check(rc == 0 and side and all(s["read_from"] == "sidecars" for s in side["sessions"]),
          f"summary within {limit} bytes of address space: exit {rc}: {err[-300:]}")
    rc, _, err = summary(job, "--full", limit_bytes=limit)
    check(rc != 0, "--full does need more than the limit (else this test shows nothing)")
    rc, listed, err = summary(job, "--sidecars", limit_bytes=limit, command="sessions")
    check(rc == 0 and len(listed["sessions"]) == 3, f"sessions within {limit} bytes: exit {rc}: {err[-300:]}")


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    fn = globals().get("t_" + name)
    if not fn:
        print("unknown test", name)
        sys.exit(2)
    fn()
    print(f"{len(failures)} failure(s)" if failures else "ok")
    sys.exit(1 if failures else 0)
