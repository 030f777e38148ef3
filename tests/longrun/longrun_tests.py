#!/usr/bin/env python3
"""Long runs: rollups.json and lifetime.json as the shim's writer keeps them
(issue 12). One test per argv[1]; ctest runs each. Exit 0 pass, 1 fail, 77
skip (the reason on stdout). Configured by environment variables set in
CMakeLists.txt."""
import json
import os
import random
import resource
import signal
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from verdict import check, failures, skip  # noqa: E402

ENV = os.environ
SHIM = ENV.get("STORMLOG_SHIM_LIB", "")
INSPECT = ENV.get("STORMLOG_INSPECT", "")
WORKLOAD = ENV.get("STORMLOG_WORKLOAD_CUDA", "")
PLUGIN = ENV.get("STORMLOG_WORKLOAD_PLUGIN", "")
REFERENCE = ENV.get("STORMLOG_REFERENCE", "")
HERE = os.path.dirname(os.path.abspath(__file__))
WORK = ENV.get("STORMLOG_LONGRUN_WORK", tempfile.gettempdir())
SANITIZER_PRELOAD = ENV.get("STORMLOG_SANITIZER_PRELOAD", "")


def need(reference=True):
    if not os.path.isfile(SHIM):
        skip("libstormlog_shim.so is not built")
    if "thread" in ENV.get("STORMLOG_SANITIZE", ""):
        skip("the TSan runtime cannot be preloaded into python3; the shim's TSan coverage is in tests/shim")
    if reference and not os.path.isdir(os.path.join(REFERENCE, "stormlog")):
        skip(f"the reference is not at {REFERENCE} (../shared missing)")


def shim_env(out, **extra):
    env = {k: v for k, v in ENV.items() if not k.startswith(("STORMLOG_", "TORCHELASTIC", "SLURM", "OMPI_"))}
    env["LD_PRELOAD"] = (SANITIZER_PRELOAD + ":" if SANITIZER_PRELOAD else "") + SHIM
    env["ASAN_OPTIONS"] = "detect_leaks=0"
    env["STORMLOG_OUTPUT_DIR"] = out
    env.update({k: str(v) for k, v in extra.items()})
    return env


def fresh(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def sink_dirs(out):
    found = []
    for job in sorted(os.listdir(out)):
        if not os.path.isdir(os.path.join(out, job)):
            continue
        for rank in sorted(os.listdir(os.path.join(out, job))):
            found.append(os.path.join(out, job, rank))
    return found


def workload(out, truth, ops=20000, **extra):
    args = [WORKLOAD, "--threads", "4", "--ops", str(ops), "--seed", "13", "--oom-device", "1", "--truth", truth]
    r = subprocess.run(args, env=shim_env(out, **extra), capture_output=True, text=True)
    check(r.returncode == 0, f"workload exit {r.returncode}: {r.stderr[-500:]}")
    return json.load(open(truth))


def compare_with_reference(sink, what):
    r = subprocess.run([sys.executable, os.path.join(HERE, "reference_rollups.py"), REFERENCE, sink],
                       capture_output=True, text=True)
    if not check(r.returncode == 0, f"{what}: the reference failed: {r.stderr[-800:]}"):
        return
    res = json.loads(r.stdout)
    check(res["equal"], f"{what}: rollups.json differs from the reference's:\n{res['diff']}")
    check(res["accepted"], f"{what}: read_telemetry_rollups refused rollups.json")


def lifetime_of(sink):
    doc = json.load(open(os.path.join(sink, "lifetime.json")))
    check(doc.get("format") == "stormlog.lifetime" and doc.get("schema_version") == 1, "lifetime.json header")
    return doc


def check_lifetime_against_truth(sink, truth, what):
    doc = lifetime_of(sink)
    check(len(doc["sessions"]) == 1, f"{what}: one session in lifetime.json")
    s = doc["sessions"][0]
    devs = s["devices"]
    total = lambda k: sum(d[k] for d in devs)  # noqa: E731
    check(total("allocations") == truth["allocs"], f"{what}: allocations {total('allocations')} != {truth['allocs']}")
    check(total("frees") == truth["frees"], f"{what}: frees {total('frees')} != {truth['frees']}")
    check(total("failed_allocations") == truth["failed"],
          f"{what}: failed {total('failed_allocations')} != {truth['failed']}")
    check(total("oom_count") == truth["oom"], f"{what}: OOMs {total('oom_count')} != {truth['oom']}")
    for d in devs:
        live = truth["live"].get(str(d["device_id"]))
        check(live is None or d["live_bytes"] == live, f"{what}: device {d['device_id']} live {d['live_bytes']} != {live}")
        check(d["peak_allocated_bytes"] >= d["live_bytes"], f"{what}: device {d['device_id']} peak below live")
    check(s["status"] == "completed", f"{what}: status {s['status']}")
    return s


# ---- tests ---------------------------------------------------------------------------


def t_shim_rollups_reference():
    """Defaults and a tiny retention (2 segments of 1,000 events): the
    writer's rollups.json equals the reference's, the reference reads it as
    fresh, and the lifetime figures equal the double's ground truth."""
    need()
    for name, extra in [("defaults", {}),
                        ("tiny", {"STORMLOG_ROLLOVER_EVENTS": 1000, "STORMLOG_RETENTION_FILES": 2,
                                  "STORMLOG_SAMPLING_INTERVAL_MS": 1})]:
        out = fresh("reference-" + name)
        truth = workload(out, os.path.join(out, "truth.json"), **extra)
        sinks = sink_dirs(out)
        if not check(len(sinks) == 1, f"{name}: one sink directory, got {sinks}"):
            continue
        compare_with_reference(sinks[0], name)
        s = check_lifetime_against_truth(sinks[0], truth, name)
        manifest = json.load(open(os.path.join(sinks[0], "manifest.json")))
        rollups = json.load(open(os.path.join(sinks[0], "rollups.json")))
        retained = sum(g["event_count"] for g in manifest["segments"])
        check(s["events_written"] == retained + s["events_pruned"],
              f"{name}: written {s['events_written']} != retained {retained} + pruned {s['events_pruned']}")
        check(s["pruned_segments"] == rollups["coverage"]["pruned_segment_count"], f"{name}: pruned segments")
        if name == "tiny":
            check(len(manifest["segments"]) == 2, f"tiny: 2 segments retained, got {len(manifest['segments'])}")
            check(s["events_pruned"] > 0 and s["pruned_segments"] > 0, "tiny: something was pruned")
        check_summary_and_report(sinks[0], truth, s, name)


def check_summary_and_report(sink, truth, lifetime, what):
    """summary --json keeps its keys with the lifetime values, equal to the
    ground truth, and says what was pruned; the report says it at the top."""
    r = subprocess.run([INSPECT, "summary", "--json", sink], capture_output=True, text=True)
    if not check(r.returncode == 0, f"{what}: summary --json: {r.stderr[-300:]}"):
        return
    ses = json.loads(r.stdout)["sessions"][0]
    devs = ses["devices"]
    for key, want in [("allocations", truth["allocs"]), ("frees", truth["frees"]),
                      ("failed_allocations", truth["failed"]), ("oom_count", truth["oom"])]:
        got = sum(d[key] for d in devs)
        check(got == want, f"{what}: summary {key} {got} != truth {want}")
    for d in devs:
        check(d["peak_allocated_bytes"] >= d["final_allocated_bytes"], f"{what}: device {d['device_id']} peak")
    check(ses["pruned_events"] == lifetime["events_pruned"], f"{what}: pruned_events {ses['pruned_events']}")
    check(ses["pruned_segments"] == lifetime["pruned_segments"], f"{what}: pruned_segments")
    check(ses["pruned_bytes"] == lifetime["pruned_bytes"], f"{what}: pruned_bytes")
    check(ses["coverage"]["figures_from"] == "lifetime", f"{what}: figures from lifetime.json")
    r = subprocess.run([INSPECT, "sessions", "--json", sink], capture_output=True, text=True)
    if check(r.returncode == 0, f"{what}: sessions --json"):
        row = json.loads(r.stdout)["sessions"][0]
        check(row["pruned_events"] == lifetime["events_pruned"], f"{what}: sessions --json pruned_events")
    r = subprocess.run([INSPECT, "sessions", sink], capture_output=True, text=True)
    check(("retention deleted" in r.stdout) == (lifetime["events_pruned"] > 0), f"{what}: the sessions note")
    r = subprocess.run([INSPECT, "events", sink, "--type", "error"], capture_output=True, text=True)
    check(("retention deleted" in r.stderr) == (lifetime["events_pruned"] > 0), f"{what}: the events note")
    page = os.path.join(os.path.dirname(sink), "report.html")
    r = subprocess.run([INSPECT, "report", sink, "-o", page], capture_output=True, text=True)
    if check(r.returncode == 0, f"{what}: report: {r.stderr[-300:]}"):
        html = open(page).read()
        said = "Not every event of this run is here." in html
        check(said == (lifetime["events_pruned"] > 0), f"{what}: the report's coverage sentence (shown: {said})")
        if said:
            check(html.index("Not every event") < html.index("<h2"), f"{what}: the sentence is at the top")


def t_exec_reference():
    """A Python image allocates through a plugin, then execs workload_cuda in
    the same directory: two sessions, and rollups.json still equals the
    reference's (the new image read the earlier segments once)."""
    need()
    out = fresh("exec")
    code = ("import ctypes, os, sys\n"
            "lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW | os.RTLD_LOCAL)\n"
            "lib.workload_plugin_run(2, 3000, 5, None)\n"
            "import time; time.sleep(1)  # its writer's sidecars are written by now\n"
            "os.execv(sys.argv[2], [sys.argv[2], '--threads', '2', '--ops', '2000', '--truth', sys.argv[3]])\n")
    r = subprocess.run([sys.executable, "-c", code, PLUGIN, WORKLOAD, os.path.join(out, "truth.json")],
                       env=shim_env(out), capture_output=True, text=True)
    check(r.returncode == 0, f"exec run: {r.returncode} {r.stderr[-500:]}")
    sinks = sink_dirs(out)
    if not check(len(sinks) == 1, f"one sink directory, got {sinks}"):
        return
    manifest = json.load(open(os.path.join(sinks[0], "manifest.json")))
    check(len(manifest["sessions"]) == 2, f"two sessions, got {len(manifest['sessions'])}")
    compare_with_reference(sinks[0], "exec")
    doc = lifetime_of(sinks[0])
    check(len(doc["sessions"]) == 2, f"lifetime.json keeps both images' sessions, got {len(doc['sessions'])}")


def retained_events(sink):
    """The v3 records in the sink's segments (a torn last line skipped)."""
    for name in sorted(os.listdir(sink)):
        if name.startswith("segment-") and name.endswith(".jsonl"):
            for line in open(os.path.join(sink, name), encoding="utf-8", errors="replace"):
                try:
                    yield json.loads(line)
                except ValueError:
                    pass


def read_sidecars_ok(sink, what):
    """Whatever moment a process died, each sidecar is absent or whole."""
    sys.path.insert(0, REFERENCE)
    from stormlog.telemetry_rollups import telemetry_rollup_file_from_dict
    for name in ("rollups.json", "lifetime.json"):
        p = os.path.join(sink, name)
        if not os.path.exists(p):
            continue
        try:
            doc = json.load(open(p))
        except ValueError as e:
            check(False, f"{what}: {name} is not whole JSON: {e}")
            continue
        if name == "rollups.json":
            try:
                telemetry_rollup_file_from_dict(doc)
            except Exception as e:  # noqa: BLE001
                check(False, f"{what}: the reference refuses the shape of {name}: {e}")
    if any(n.startswith("segment-") for n in os.listdir(sink)):  # else the reference's loader refuses it too
        r = subprocess.run([INSPECT, "summary", "--json", sink], capture_output=True, text=True)
        check(r.returncode == 0, f"{what}: summary after kill -9: {r.returncode} {r.stderr[-300:]}")


def t_sidecar_kill9():
    """kill -9 at random moments while the sidecars are rewritten as often as
    possible: what is left is always whole JSON the readers take (the
    deterministic kill in the middle of a rewrite is tests/shim/pipeline
    test_sidecar)."""
    need()
    rng = random.Random(int(ENV.get("STORMLOG_LONGRUN_SEED", "12")))
    for i in range(int(ENV.get("STORMLOG_KILL9_ROUNDS", "8"))):
        out = fresh(f"kill9-{i}")
        p = subprocess.Popen([WORKLOAD, "--threads", "4", "--ops", "400000", "--seed", str(i)],
                             env=shim_env(out, STORMLOG_SIDECAR_INTERVAL_MS=0, STORMLOG_ROLLOVER_EVENTS=300,
                                          STORMLOG_RETENTION_FILES=3, STORMLOG_FLUSH_EVERY_EVENTS=10),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait()
        for sink in sink_dirs(out):
            read_sidecars_ok(sink, f"round {i}")


def t_sigkill_after_rollover():
    """SIGKILL after the first rollover under a tiny retention: lifetime.json
    holds the figures as of its last rewrite, consistent with the rollups
    written at the same moment."""
    need()
    out = fresh("sigkill")
    p = subprocess.Popen([WORKLOAD, "--threads", "4", "--ops", "2000000", "--seed", "3", "--oom-device", "1"],
                         env=shim_env(out, STORMLOG_ROLLOVER_EVENTS=1000, STORMLOG_RETENTION_FILES=2),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sink = None
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        dirs = sink_dirs(out) if os.path.isdir(out) else []
        if dirs and os.path.exists(os.path.join(dirs[0], "lifetime.json")):
            try:
                m = json.load(open(os.path.join(dirs[0], "manifest.json")))
            except ValueError:
                m = {"segments": []}
            if len(m["segments"]) >= 2:
                sink = dirs[0]
                time.sleep(0.3)
                break
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    if not check(sink is not None, "the run rolled over before it ended"):
        return
    read_sidecars_ok(sink, "sigkill")
    s = lifetime_of(sink)["sessions"][0]
    check(s["status"] == "running", f"lifetime.json as last written: running, got {s['status']}")
    check(sum(d["allocations"] for d in s["devices"]) > 0, "allocations counted")
    rollups = json.load(open(os.path.join(sink, "rollups.json")))
    check(s["events_written"] >= rollups["coverage"]["retained_event_count"], "written covers what is retained")
    r = subprocess.run([INSPECT, "summary", "--json", sink], capture_output=True, text=True)
    if check(r.returncode == 0, f"summary: {r.stderr[-300:]}"):
        ses = json.loads(r.stdout)["sessions"][0]
        check(ses["coverage"]["writer_gone"], "the killed session is said to be interrupted")
        check(ses["coverage"]["figures_from"] == "lifetime", "figures from the last lifetime.json")
        for d in s["devices"]:
            mine = [x for x in ses["devices"] if x["device_id"] == d["device_id"]]
            if check(len(mine) == 1, f"device {d['device_id']} in the summary"):
                check(mine[0]["allocations"] == d["allocations"] and mine[0]["oom_count"] == d["oom_count"],
                      f"device {d['device_id']}: the summary's counts are the last lifetime.json's")
        after = sum(1 for e in retained_events(sink) if e["timestamp_ns"] > s["last_timestamp_ns"])
        check(ses["coverage"]["events_after_lifetime"] == after,
              f"events after the last lifetime.json: {ses['coverage']['events_after_lifetime']}, expected {after}")
        r = subprocess.run([INSPECT, "summary", sink], capture_output=True, text=True)
        check("interrupted" in r.stdout, "the text summary says interrupted")
        check((after > 0) == ("came after that rewrite" in r.stdout), "the text says what came after the record")


# ---- summary and sessions from the sidecars (issue 12 part 5, issue 13 point 16): the
# answer from rollups.json + lifetime.json equals --full's on recordings the shim made; stale
# sidecars are said and the segments parsed; the sidecar answer needs memory for the
# sessions, not the events.

# What --full and the sidecars must agree on, per session and per device.
SESSION_KEYS = ["summary", "default", "event_count", "counts_from", "dropped_events", "failed_frees",
                "failed_calls", "pruned_events", "pruned_segments", "pruned_bytes", "coverage"]
DEVICE_KEYS = ["device_id", "peak_allocated_bytes", "peak_timestamp_ns", "final_allocated_bytes", "leaked_bytes",
               "allocations", "frees", "failed_allocations", "unmatched_frees", "dropped_events", "oom_count"]


def record(out, rank, world, ops=4000, job="j", **extra):
    """One rank of a job under the shim, OOMs injected on device 1."""
    env = shim_env(out, STORMLOG_JOB_ID=job, RANK=rank, LOCAL_RANK=rank, WORLD_SIZE=world, **extra)
    args = [WORKLOAD, "--threads", "2", "--ops", str(ops), "--seed", str(7 + rank), "--oom-device", "1",
            "--truth", f"{out}-truth-{job}-{rank}.json"]  # beside the recordings: not one of them
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


def report_page(path, *flags, limit_bytes=None):
    page = f"{path.rstrip('/')}{flags[0] if flags else ''}.html"

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    r = subprocess.run([INSPECT, "report", path, "-o", page, *flags], capture_output=True, text=True,
                       preexec_fn=limit if limit_bytes else None)
    return r.returncode, (open(page).read() if r.returncode == 0 else None), r.stderr


def cross_rank_table(html):
    start = html.index("Cross-rank peaks")
    return html[start:html.index("</table>", start)]


def compare_reports(path, what):
    """report draws the same job from the sidecars: the same cross-rank
    table and sessions, and says where it comes from."""
    rc_f, full, err_f = report_page(path, "--full")
    rc_s, side, err_s = report_page(path, "--sidecars")
    if not check(rc_f == 0 and rc_s == 0 and err_s == "", f"{what}: report exit {rc_f} / {rc_s}: {err_f} {err_s}"):
        return
    check("Drawn from rollups.json and lifetime.json" in side and "Drawn from" not in full,
          f"{what}: the sidecar page says where it comes from, the --full page does not")
    check(cross_rank_table(full) == cross_rank_table(side), f"{what}: the cross-rank table differs")
    check(side.count("<h2>Session") == full.count("<h2>Session") > 0, f"{what}: the same sessions drawn")
    check(side.count("<svg") == full.count("<svg"), f"{what}: the same charts")


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


def t_sidecars_equal_full():
    """A job of three ranks under the shipped defaults, and one rank under a
    tiny retention (2 segments of 1,000 events): the sidecars' answer is
    --full's."""
    need(reference=False)
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
    compare_reports(job, "job")
    # A folder of two jobs: one block per job, newest first, either way.
    record(out, 0, 1, job="k")
    rc_f, full, err_f = summary(out, "--full")
    rc_s, side, err_s = summary(out, "--sidecars")
    if check(rc_f == 0 and rc_s == 0, f"folder: exit {rc_f} / {rc_s}: {err_f} {err_s}"):
        check(len(side["jobs"]) == 2, f"folder: two jobs, got {len(side['jobs'])}")
        compare(full, side, "folder")
    compare_sessions(out, "folder")
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


def t_sidecars_stale():
    """Sidecars that do not cover the segments are said in one line, and
    the segments are parsed."""
    need(reference=False)
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


def t_sidecars_bounded_memory():
    """The sidecar answer of a job whose segments are larger than the
    address space it is given: it succeeds, where parsing cannot."""
    need(reference=False)
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
    rc, page, err = report_page(job, "--sidecars", limit_bytes=limit)
    check(rc == 0 and "Drawn from rollups.json" in page, f"report within {limit} bytes: exit {rc}: {err[-300:]}")


TESTS = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        print("usage: longrun_tests.py " + "|".join(sorted(TESTS)))
        sys.exit(2)
    TESTS[sys.argv[1]]()
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("ok")
