#!/usr/bin/env python3
"""Process-level tests of stormlog-inspect (sessions, summary, events,
validate, convert) and stormlog-run. One test per argv[1]; ctest runs each.

Everything is configured by environment variables set in CMakeLists.txt.
Exit 0 pass, 1 fail, 77 skip (with the reason on stdout).

Golden files (golden/*.txt) are reviewed snapshots of the text output; set
STORMLOG_UPDATE_GOLDEN=1 to rewrite them after a deliberate change, then
read the diff before committing it.
"""
import csv
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from verdict import check, failures, skip  # noqa: E402

ENV = os.environ
INSPECT = ENV.get("STORMLOG_INSPECT", "")
RUN = ENV.get("STORMLOG_RUN", "")
CASES = ENV.get("STORMLOG_CONFORMANCE", "")
GOLDEN = ENV.get("STORMLOG_CLI_GOLDEN", "")
WORK = ENV.get("STORMLOG_CLI_WORK", tempfile.gettempdir())
SANITIZER_PRELOAD = ENV.get("STORMLOG_SANITIZER_PRELOAD", "")


def inspect(*args, cwd=None, env=None, stdin=None):
    return subprocess.run([INSPECT, *args], capture_output=True, text=True, cwd=cwd, env=env, stdin=stdin)


def jsonl(text):
    """Lines of JSONL output: split at "\n" only (str.splitlines would also
    split inside a string holding U+2028, which JSON leaves unescaped)."""
    return [x for x in text.split("\n") if x]


def need_cases():
    if not os.path.isdir(CASES):
        skip(f"conformance cases not found at {CASES} (set STORMLOG_SHARED_DIR)")


def load_cases():
    """(name, case dict, input path relative to CASES, loader args) for load-mode cases."""
    out = []
    for name in sorted(os.listdir(CASES)):
        path = os.path.join(CASES, name, "case.json")
        if not os.path.isfile(path):
            continue
        case = json.load(open(path))
        if case.get("mode") != "load":
            continue
        args = ["--permissive-legacy", str(case.get("permissive_legacy", 1))]
        if case.get("events_key"):
            args += ["--events-key", case["events_key"]]
        out.append((name, case, os.path.join(name, case["input"]), args))
    return out


def golden(name, text):
    path = os.path.join(GOLDEN, name + ".txt")
    if ENV.get("STORMLOG_UPDATE_GOLDEN") == "1":
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        print("updated", path)
        return
    if not check(os.path.isfile(path), f"golden file {path} exists"):
        return
    want = open(path).read()
    if want != text:
        import difflib

        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True), path, "actual"))
        check(False, f"output differs from {path}:\n{diff}")


# The conformance inputs shown in the golden files: plain v3, several
# sessions, legacy conversions, distributed identity, sinks (completed,
# interrupted, running, rolled over, crash tail), an OOM-free job of one rank.
GOLDEN_INPUTS = [
    "002_v3_list_two_sessions/input.json",
    "005_v3_nullable_fields/input.json",
    "007_v3_distributed_local_rank_defaults_to_rank/input.json",
    "029_legacy_tensorflow_memory_mb/input.json",
    "034_legacy_device_strings/input.json",
    "176_jsonl_many_sessions/input.jsonl",
    "178_select_latest_completed/input.json",
    "182_sink_manifest_completed/input",
    "184_sink_manifest_interrupted/input",
    "225_gen_sink_normal_close/input",
    "226_gen_sink_rollover/input",
    "228_gen_sink_running/input",
    "232_gen_sink_crash_tail/input",
]


def mask_path_ids(text, rel):
    """A legacy JSON file's session id is uuid5 of its resolved path (as
    session.py derives it), so it differs between checkouts. Check it against
    the id computed here from the path, then show it as a placeholder so the
    golden file does not depend on where the conformance cases live."""
    path = os.path.realpath(os.path.join(CASES, rel))
    key = "sink" if os.path.isdir(path) else "json"
    want = "legacy-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{path}::{key}"))
    for found in set(re.findall(r"legacy-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)):
        check(found == want, f"{rel}: legacy id {found} is uuid5 of its resolved path ({want})")
    # Same width as the id, so the tables keep their columns.
    return text.replace(want, "legacy-<uuid5 of the input's resolved path>")


def golden_run(command):
    need_cases()
    parts = []
    for rel in GOLDEN_INPUTS:
        if not os.path.exists(os.path.join(CASES, rel)):
            check(False, f"conformance input {rel} exists")
            continue
        r = inspect(command, rel, cwd=CASES)
        check(r.returncode == 0, f"{command} {rel}: exit {r.returncode}: {r.stderr}")
        parts.append(f"$ stormlog-inspect {command} {rel}\n{mask_path_ids(r.stdout, rel)}")
    golden(f"{command}_conformance", "\n".join(parts))


def t_sessions_golden():
    golden_run("sessions")


def t_summary_golden():
    golden_run("summary")


# ---- loader output as the reference -------------------------------------------


def loaded(rel, args):
    r = inspect("load", rel, *args, cwd=CASES)
    return json.loads(r.stdout) if r.returncode == 0 else None


def t_json_fields():
    """sessions --json and summary --json agree with the loader, field by field."""
    need_cases()
    for name, case, rel, args in load_cases():
        ref = loaded(rel, args)
        r = inspect("sessions", "--json", rel, *args, cwd=CASES)
        if ref is None:
            check(r.returncode == 1, f"{name}: sessions rejects what load rejects (exit {r.returncode})")
            err = json.loads(r.stdout) if r.stdout.strip() else {}
            check(err.get("path") == rel and err.get("error"), f"{name}: --json error names the path: {r.stdout}")
            continue
        doc = json.loads(r.stdout)
        check(doc["default_session_id"] == ref["default_session_id"], f"{name}: default session")
        check(len(doc["sessions"]) == len(ref["sessions"]), f"{name}: session count")
        for got, want in zip(doc["sessions"], ref["sessions"]):
            for key, value in want["summary"].items():
                check(got.get(key) == value and type(got.get(key)) is type(value),
                      f"{name}: sessions.{key} {got.get(key)!r} == {value!r}")
            check(got["event_count"] == len(want["events"]), f"{name}: event_count")
            check(got["default"] == (got["session_id"] == ref["default_session_id"]), f"{name}: default flag")
            ended, started = want["summary"]["ended_at_ns"], want["summary"]["started_at_ns"]
            check(got["duration_ns"] == (None if ended is None else ended - started), f"{name}: duration_ns")

        s = json.loads(inspect("summary", "--json", rel, *args, cwd=CASES).stdout)
        check([x["summary"] for x in s["sessions"]] == [x["summary"] for x in ref["sessions"]],
              f"{name}: summary sessions in the loader's order")
        for got, want in zip(s["sessions"], ref["sessions"]):
            if not case.get("python_specific"):  # integers beyond int64 saturate in C
                expect_summary_from_events(name, got, want["events"])
        jobs = {}
        for x in ref["sessions"]:
            job_id = x["summary"]["job_id"] if isinstance(x["summary"]["job_id"], str) else None
            jobs.setdefault(job_id, set()).add(x["summary"]["rank"])
        check(sorted(map(str, (g["job_id"] for g in s["jobs"]))) == sorted(map(str, jobs)),
              f"{name}: one entry per job id")
        for g in s["jobs"]:
            check((g["cross_rank"] is None) == (len(jobs[g["job_id"]]) < 2),
                  f"{name}: a job's table only for two or more ranks")
        check((s["job"] is None) == (len(jobs) != 1 or len(next(iter(jobs.values()))) < 2),
              f"{name}: the top-level table only for one job of two or more ranks")


def expect_summary_from_events(name, got, events):
    """Recompute the per-device figures from the events, independently."""
    devices = {}
    for ev in events:
        d = devices.setdefault(ev["device_id"], {"peak": None, "final": 0, "allocs": 0, "frees": 0, "n": 0,
                                                 "peak_ts": None})
        d["n"] += 1
        if d["peak"] is None or ev["allocator_allocated_bytes"] > d["peak"]:
            d["peak"], d["peak_ts"] = ev["allocator_allocated_bytes"], ev["timestamp_ns"]
        d["final"] = ev["allocator_allocated_bytes"]
        d["allocs"] += ev["event_type"] == "allocation"
        d["frees"] += ev["event_type"] == "deallocation"
    stop_books = any(ev["event_type"] == "stop" and isinstance(ev["metadata"].get("devices"), dict)
                     for ev in events)
    check(got["counts_from"] == ("stop_summary" if stop_books else "events"), f"{name}: counts_from")
    if stop_books:
        return
    check([d["device_id"] for d in got["devices"]] == sorted(devices), f"{name}: devices")
    for d in got["devices"]:
        want = devices[d["device_id"]]
        check(d["peak_allocated_bytes"] == want["peak"], f"{name}: device {d['device_id']} peak")
        check(d["peak_timestamp_ns"] == want["peak_ts"], f"{name}: device {d['device_id']} peak time")
        check(d["final_allocated_bytes"] == want["final"], f"{name}: device {d['device_id']} final")
        check(d["allocations"] == want["allocs"] and d["frees"] == want["frees"], f"{name}: counts")
        check(d["events"] == want["n"], f"{name}: device events")
        check(d["unmatched_frees"] is None, f"{name}: unmatched unknown without the shim's books")


def t_events():
    need_cases()
    for name, case, rel, args in load_cases():
        ref = loaded(rel, args)
        r = inspect("events", rel, *args, cwd=CASES)
        if ref is None:
            check(r.returncode == 1, f"{name}: events rejects what load rejects")
            # The path given, or the file inside it where the problem is.
            check(len(r.stderr.strip().splitlines()) == 1 and os.path.dirname(rel) in r.stderr,
                  f"{name}: one error line naming the path: {r.stderr!r}")
            continue
        check(r.returncode == 0, f"{name}: events exit {r.returncode} {r.stderr}")
        got = [json.loads(line) for line in jsonl(r.stdout)]
        want = [ev for s in ref["sessions"] for ev in s["events"]]
        key = lambda e: json.dumps(e, sort_keys=True)
        check(sorted(map(key, got)) == sorted(map(key, want)), f"{name}: streamed events == loaded events")
        if not want:
            continue
        # Filters.
        sid = ref["sessions"][0]["summary"]["session_id"]
        r = inspect("events", rel, *args, "--session", sid, cwd=CASES)
        check(sorted(map(key, (json.loads(x) for x in jsonl(r.stdout)))) ==
              sorted(map(key, ref["sessions"][0]["events"])), f"{name}: --session")
        etype, dev = want[0]["event_type"], want[0]["device_id"]
        r = inspect("events", rel, *args, "--type", etype, "--device", str(dev), cwd=CASES)
        check(sorted(map(key, (json.loads(x) for x in jsonl(r.stdout)))) ==
              sorted(map(key, (e for e in want if e["event_type"] == etype and e["device_id"] == dev))),
              f"{name}: --type --device")
        # CSV: a header of the 23 fields, one row per event, values as in JSON.
        r = inspect("events", rel, *args, "--format", "csv", cwd=CASES)
        rows = list(csv.reader(io.StringIO(r.stdout)))
        check(rows[0] == list(want[0].keys()), f"{name}: csv header")
        check(len(rows) == len(want) + 1, f"{name}: csv rows")
        by_ts = sorted(want, key=key)
        got_csv = []
        for row in rows[1:]:
            rec = dict(zip(rows[0], row))
            got_csv.append(rec)
        for rec in got_csv:
            check(json.loads(rec["metadata"]) in [e["metadata"] for e in by_ts], f"{name}: csv metadata is JSON")
    # Usage errors.
    for bad in (["events"], ["events", "x", "--format", "xml"], ["events", "x", "--device", "one"],
                ["events", "x", "--json", "--format", "csv"]):
        r = inspect(*bad)
        check(r.returncode == 2 and "usage:" in r.stderr and r.stdout == "", f"{bad}: usage, exit 2")
    r = inspect("events", "--help")
    check(r.returncode == 0 and "usage:" in r.stdout, "events --help")


def t_validate():
    need_cases()
    for name, case, rel, args in load_cases():
        r = inspect("validate", rel, *args, cwd=CASES)
        bad = case["expected_exit"] != 0
        check(r.returncode == (1 if bad else 0), f"{name}: validate exit {r.returncode}, expected {int(bad)}")
        j = inspect("validate", "--json", rel, *args, cwd=CASES)
        doc = json.loads(j.stdout)
        check(doc["valid"] == (not bad), f"{name}: --json valid")
        if not bad:
            check(r.stdout.startswith(f"{rel}: valid, "), f"{name}: valid line {r.stdout!r}")
            continue
        if "problems" not in doc:
            check(False, f"{name}: problems list")
            continue
        check(len(doc["problems"]) >= 1, f"{name}: at least one problem")
        if "error" in doc:  # the path itself could not be read: one line on stderr
            check(r.stdout == "" and len(r.stderr.strip().split("\n")) == 1, f"{name}: one error line")
        else:
            check(len(r.stdout.splitlines()) == len(doc["problems"]), f"{name}: one line per problem")
        if case.get("python_specific") or not case.get("expected_error"):
            continue
        inp = os.path.join(name, case["input"])
        msgs = [p["message"].replace(inp, "<input>").replace(os.path.dirname(inp) + "/", "<input-dir>/")
                for p in doc["problems"]]
        check(case["expected_error"] in msgs, f"{name}: the spec's message {case['expected_error']!r} in {msgs}")
        for p in doc["problems"]:
            if p["line"] is not None:
                check(f"{p['file']}:{p['line']}: {p['message']}" in r.stdout, f"{name}: file:line: message")

    # Every problem, not only the first: a file with four.
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        good = json.dumps(json.loads(open(os.path.join(CASES, "004_v3_jsonl_basic/input.jsonl")).readline()))
        rec = json.loads(good)
        neg = dict(rec, device_used_bytes=-1)
        nopid = {k: v for k, v in rec.items() if k != "pid"}
        lines = [good, json.dumps(neg), "{torn", "[1]", "", json.dumps(nopid), good]
        path = os.path.join(tmp, "four.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = inspect("validate", "four.jsonl", cwd=tmp)
        want = ["four.jsonl:2: device_used_bytes must be >= 0",
                "four.jsonl:3: Malformed telemetry JSONL record in four.jsonl at line 3",
                "four.jsonl:4: Telemetry record in four.jsonl at line 4 must be an object",
                "four.jsonl:6: Missing required telemetry fields: pid"]
        check(r.stdout.splitlines() == want, f"four problems listed: {r.stdout!r}")
        check(r.returncode == 1 and "4 problems" in r.stderr, "exit 1, count on stderr")
        # A JSON array: problems by index.
        with open(os.path.join(tmp, "arr.json"), "w") as f:
            json.dump([rec, 5, nopid, rec], f)
        r = inspect("validate", "./arr.json", cwd=tmp)
        check(r.stdout.splitlines() == ["arr.json: index 1: Event at index 1 must be an object",
                                        "arr.json: index 2: Missing required telemetry fields: pid"],
              f"array problems by index: {r.stdout!r}")


def canonical_events(doc):
    return [[json.dumps(e, sort_keys=True) for e in s["events"]] for s in doc["sessions"]]


def t_convert():
    need_cases()
    os.makedirs(WORK, exist_ok=True)
    converted = 0
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        for name, case, rel, args in load_cases():
            ref = loaded(rel, args)
            out = os.path.join(tmp, name)
            r = inspect("convert", rel, *args, "--to", out, "--json", cwd=CASES)
            if ref is None:
                check(r.returncode == 1 and not os.path.exists(os.path.join(out, "manifest.json")),
                      f"{name}: convert rejects what load rejects, writes nothing")
                continue
            if not check(r.returncode == 0, f"{name}: convert exit {r.returncode}: {r.stderr}"):
                continue
            converted += 1
            report = json.loads(r.stdout)
            check(report["sessions"] == len(ref["sessions"]), f"{name}: sessions reported")
            check(report["events"] == sum(len(s["events"]) for s in ref["sessions"]), f"{name}: events reported")
            # The sink format: manifest as the reference writes it, one sorted-key v3 record per line.
            manifest = json.load(open(os.path.join(out, "manifest.json")))
            check(manifest["format"] == "stormlog.append_only_telemetry_sink" and manifest["schema_version"] == 2,
                  f"{name}: manifest header")
            for seg in manifest["segments"]:
                with open(os.path.join(out, seg["filename"])) as f:
                    data = f.read()
                check(data.endswith("\n") or data == "", f"{name}: whole lines")
                recs = [json.loads(x) for x in jsonl(data)]
                check(len(recs) == seg["event_count"] and len(data.encode()) == seg["size_bytes"], f"{name}: counts")
                check(all(x["schema_version"] == 3 and x["session_id"] == seg["session_id"] for x in recs),
                      f"{name}: v3 records of the segment's session")
                check(all(list(x.keys()) == sorted(x.keys()) for x in recs), f"{name}: keys sorted")
                check(seg["closed"] is True, f"{name}: segments closed")
            # Reading it back gives the same sessions and events.
            back = json.loads(inspect("load", out).stdout)
            if case.get("python_specific") or any(
                    s["summary"]["job_id"] is not None and not isinstance(s["summary"]["job_id"], str)
                    for s in ref["sessions"]):
                # Integers beyond int64 and a manifest's non-string job_id
                # (Python keeps whatever it finds) have no v3 sink spelling.
                continue
            check(back["default_session_id"] == ref["default_session_id"], f"{name}: default session survives")
            check([s["summary"] for s in back["sessions"]] == [s["summary"] for s in ref["sessions"]],
                  f"{name}: summaries survive")
            check(canonical_events(back) == canonical_events(ref), f"{name}: events survive")
        check(converted > 50, f"converted {converted} cases")
        # The target must be new or empty.
        r = inspect("convert", "002_v3_list_two_sessions/input.json", "--to", os.path.join(tmp, "002_v3_list_two_sessions"),
                    cwd=CASES)
        check(r.returncode == 1 and "not empty" in r.stderr, "convert refuses a non-empty target")
        check(inspect("convert", "x").returncode == 2, "convert without --to: usage")
        # Rollover at the reference's 10,000 events.
        big = os.path.join(tmp, "big.jsonl")
        line = open(os.path.join(CASES, "004_v3_jsonl_basic/input.jsonl")).readline()
        rec = json.loads(line)
        with open(big, "w") as f:
            for i in range(10001):
                f.write(json.dumps(dict(rec, timestamp_ns=rec["timestamp_ns"] + i, session_id="s")) + "\n")
        r = inspect("convert", big, "--to", os.path.join(tmp, "bigsink"))
        check(r.returncode == 0, f"big convert {r.stderr}")
        m = json.load(open(os.path.join(tmp, "bigsink", "manifest.json")))
        check([s["event_count"] for s in m["segments"]] == [10000, 1], f"rollover at 10000 events: {m['segments']}")


def t_bad_input():
    """Each reading subcommand: one error line naming the path, exit 1, no crash."""
    os.makedirs(WORK, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=WORK)
    try:
        os.chmod(tmp, 0o755)
        garbage = os.path.join(tmp, "garbage.bin")
        with open(garbage, "wb") as f:
            f.write(bytes(range(256)) * 8)
        garbage_jsonl = os.path.join(tmp, "garbage.jsonl")
        with open(garbage_jsonl, "wb") as f:
            f.write(b"\x00\xff{{{\n" * 10)
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        missing = os.path.join(tmp, "does-not-exist")
        inputs = [missing, garbage, garbage_jsonl, empty]
        for path in inputs:
            for cmd in ("sessions", "summary", "events", "validate", "convert"):
                extra = ["--to", os.path.join(tmp, "out-" + cmd + os.path.basename(path))] if cmd == "convert" else []
                r = inspect(cmd, path, *extra)
                lines = r.stderr.strip().splitlines()
                if cmd == "validate" and path.endswith(".jsonl"):
                    # validate lists each bad line on stdout; stderr has the count.
                    check(r.returncode == 1 and len(r.stdout.splitlines()) == 10, f"validate {path}: 10 problems")
                    continue
                check(r.returncode == 1, f"{cmd} {path}: exit {r.returncode} (signal if negative)")
                check(len(lines) == 1 and path in lines[0], f"{cmd} {path}: one line naming the path: {lines}")
                rj = inspect(cmd, path, "--json", *extra)
                if cmd == "validate":
                    doc = json.loads(rj.stdout)
                    check(doc["path"] == path and doc["valid"] is False and doc["problems"], f"validate --json {path}")
                elif cmd != "events":
                    err = json.loads(rj.stdout)
                    check(err.get("path") == path and err.get("error"), f"{cmd} --json {path}: error object")
        # A directory this process cannot read. Root reads anything, so as
        # root the tools run as nobody (setpriv); without setpriv, skip that part.
        locked = os.path.join(tmp, "locked")
        os.mkdir(locked)
        with open(os.path.join(locked, "segment-000001.jsonl"), "w") as f:
            f.write("{}\n")
        os.chmod(locked, 0)
        prefix = []
        if os.geteuid() == 0:
            setpriv = ENV.get("STORMLOG_SETPRIV")
            if not setpriv or not os.path.exists(setpriv):
                print("note: running as root without setpriv: permission case not run")
                prefix = None
            else:
                prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        if prefix is not None:
            for cmd in ("sessions", "summary", "events", "validate"):
                r = subprocess.run(prefix + [INSPECT, cmd, locked], capture_output=True, text=True)
                lines = r.stderr.strip().splitlines()
                check(r.returncode == 1, f"{cmd} unreadable dir: exit {r.returncode} {r.stderr}")
                check(len(lines) == 1 and locked in lines[0] and "cannot read the directory: Permission denied" in lines[0],
                      f"{cmd} unreadable dir: one line naming it: {lines}")
        os.chmod(locked, 0o700)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for cmd in ("sessions", "summary", "events", "validate", "convert"):
        r = inspect(cmd)
        check(r.returncode == 2 and "usage:" in r.stderr, f"{cmd} without PATH: usage, exit 2")
        r = inspect(cmd, "--bogus", "x")
        check(r.returncode == 2, f"{cmd} --bogus: exit 2")
        r = inspect(cmd, "--help")
        check(r.returncode == 0 and r.stdout.startswith("usage:"), f"{cmd} --help")


COMMANDS = ("load", "sessions", "summary", "events", "validate", "convert", "report", "export")


def one_alloc_recording(path):
    """A one-allocation shim-shaped JSONL recording: singular words."""
    rec = {"schema_version": 3, "session_id": "one", "timestamp_ns": 1700000000000000000,
           "event_type": "allocation", "collector": "stormlog.cuda_shim", "sampling_interval_ms": 0, "pid": 7,
           "host": "h", "job_id": "j", "rank": 0, "local_rank": 0, "world_size": 1, "device_id": 0,
           "allocator_allocated_bytes": 1048576, "allocator_reserved_bytes": 1048576,
           "allocator_active_bytes": None, "allocator_inactive_bytes": None, "allocator_change_bytes": 1048576,
           "device_used_bytes": 1048576, "device_free_bytes": None, "device_total_bytes": None, "context": None,
           "metadata": {"api": "cudaMalloc", "ptr": "0x7f0000001000", "size": 1048576}}
    with open(path, "w") as f:
        f.write(json.dumps(rec) + "\n")


def t_messages():
    """Usage errors say what was wrong before the usage; filters naming
    nothing are errors; --version, help, every option explained; messages
    in our own words naming the path once; singular forms."""
    os.makedirs(WORK, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        one_alloc_recording(os.path.join(tmp, "one.jsonl"))
        os.mkdir(os.path.join(tmp, "empty"))
        with open(os.path.join(tmp, "torn.jsonl"), "w") as f:
            f.write(open(os.path.join(tmp, "one.jsonl")).read() * 3 + '{"a": [1,\n')
        lines = []
        for argv in (["summary", "x", "--bogus"], ["events", "P", "--device", "abc"], ["events", "P", "--format", "xml"],
                     ["report", "P"], ["summary", "a", "b"], ["summary"], ["events", "P", "--type"],
                     ["summary", "P", "--permissive-legacy", "2"], ["convert", "P"], ["report", "P", "-o", "x", "--json"],
                     ["export", "P", "--json"], ["export", "P", "--format", "svg"], ["help", "nosuch"],
                     ["events", "one.jsonl", "--type", "nosuch"], ["events", "one.jsonl", "--session", "nosuch"],
                     ["summary", "empty"], ["summary", "missing"], ["events", "torn.jsonl"], ["sessions", "torn.jsonl"],
                     ["summary", "--json", "missing"]):
            r = inspect(*argv, cwd=tmp)
            err = r.stderr.split("\n")
            usage_follows = len(err) > 1 and err[1].startswith("usage:")
            check(r.returncode in (1, 2) and err[0].startswith("stormlog-inspect") and
                  (r.returncode == 1) == (not usage_follows) and (r.returncode == 1 or r.stdout == "") and
                  (r.returncode == 2 or len(r.stderr.strip().split("\n")) == 1),
                  f"{argv}: one line, then the usage for a usage error: {r.returncode} {r.stderr!r}")
            lines.append(f"$ stormlog-inspect {' '.join(argv)}\nexit {r.returncode}: {err[0]}\n")
            if argv[:2] == ["summary", "--json"]:
                doc = json.loads(r.stdout)
                check(doc["error"] == "missing: no such file or directory" and doc["path"] == "missing" and
                      doc["loader_error"].startswith("[Errno 2]"), f"--json error: {doc}")
        golden("messages", "".join(lines))
        # load keeps the reference loader's words (conformance compares them).
        r = inspect("load", "empty", cwd=tmp)
        check(r.returncode == 1 and json.loads(r.stdout)["error"] == "[Errno 21] Is a directory: 'empty'",
              f"load: the reference's words: {r.stdout!r}")
        # --version, help, help COMMAND, load --help.
        r = inspect("--version")
        check(r.returncode == 0 and re.fullmatch(r"stormlog-inspect \d+\.\d+\.\d+\n", r.stdout), f"--version {r.stdout!r}")
        r = inspect("help")
        check(r.returncode == 0 and all(f"  {c} " in r.stdout for c in COMMANDS), "help lists the commands")
        for cmd in COMMANDS:
            h = inspect("help", cmd)
            d = inspect(cmd, "--help")
            check(h.returncode == 0 and d.returncode == 0 and h.stdout == d.stdout and h.stdout.startswith("usage:"),
                  f"help {cmd} == {cmd} --help, exit 0")
            text = d.stdout
            usage = text[:text.index("\n\n")] if "\n\n" in text else text
            body = text[len(usage):]
            for opt in sorted(set(re.findall(r"(--[a-z-]+|-o)\b", usage))):
                check(re.search(r"^\s+" + re.escape(opt) + r"\b", body, re.M) is not None,
                      f"{cmd} --help explains {opt}")
        # export's only format is the default.
        conf = os.path.join(tmp, "one.jsonl")
        r = inspect("export", conf)
        check(r.returncode == 0 and "traceEvents" in json.loads(r.stdout), f"export without --format: {r.stderr}")
        # Singular forms.
        out = os.path.join(tmp, "one.html")
        check(inspect("report", conf, "-o", out).returncode == 0, "report of one allocation")
        html = open(out).read()
        for phrase in ("1 session, 1 event</p>", "1 allocation live, 1.00 MiB; the largest:",
                       "1 allocation, 1.00 MiB; the largest:", "1 event over"):
            check(phrase in html, f"report says {phrase!r}")
        check("1 allocations" not in html and "the 1 largest" not in html, "no '1 allocations'")


def t_progress():
    """A progress line on a terminal, never elsewhere."""
    need_cases()
    import pty

    rel = os.path.join(CASES, "176_jsonl_many_sessions/input.jsonl")
    env = dict(ENV, STORMLOG_INSPECT_PROGRESS_DELAY_MS="0")
    for cmd in ("summary", "sessions", "validate"):
        r = inspect(cmd, rel, env=env)
        check(r.returncode == 0 and "\r" not in r.stderr and "loading" not in r.stderr and "validating" not in r.stderr,
              f"{cmd}: no progress when stderr is not a terminal: {r.stderr!r}")
        master, slave = pty.openpty()
        p = subprocess.Popen([INSPECT, cmd, rel], stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        out = p.stdout.read()
        p.wait()
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        text = b"".join(chunks).decode(errors="replace")
        check(p.returncode == 0 and out, f"{cmd} under a terminal still works")
        check("stormlog-inspect: " in text and ("loading" in text or "validating" in text),
              f"{cmd}: progress line on a terminal: {text!r}")
        check(text.endswith("\r\x1b[K"), f"{cmd}: the line is cleared at the end")


# ---- stormlog-run ------------------------------------------------------------------


def run_env(**extra):
    """A clean environment: no launcher variables; under a sanitizer build
    its runtime preloaded first (the instrumented shim is loaded into
    uninstrumented programs such as sh)."""
    env = {k: v for k, v in ENV.items() if not k.startswith(("STORMLOG_JOB_ID", "TORCHELASTIC", "SLURM", "OMPI_",
                                                             "PMIX_"))}
    env.pop("LD_PRELOAD", None)
    if SANITIZER_PRELOAD:
        env["LD_PRELOAD"] = SANITIZER_PRELOAD
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    preload = extra.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = (SANITIZER_PRELOAD + ":" if SANITIZER_PRELOAD else "") + preload
    env.update(extra)
    return env


def san_prefix():
    return SANITIZER_PRELOAD + ":" if SANITIZER_PRELOAD else ""


def need_shim():
    if not os.path.isfile(ENV.get("STORMLOG_SHIM_LIB", "")):
        skip("libstormlog_shim.so is not built")
    if "thread" in ENV.get("STORMLOG_SANITIZE", ""):
        # The TSan-instrumented shim needs libtsan preloaded first, and
        # libtsan crashes /bin/sh (not built for it), which runs stormlog-run.
        # The shim's TSan coverage is in tests/shim and tests/workloads.
        skip("under ThreadSanitizer the TSan runtime cannot be preloaded into /bin/sh, which runs stormlog-run")


def t_run_options():
    need_shim()
    show = "printf '%s|%s|%s|%s|%s|%s\\n' \"$LD_PRELOAD\" \"$STORMLOG_OUTPUT_DIR\" \"$STORMLOG_JOB_ID\" " \
           "\"${STORMLOG_SAMPLING_INTERVAL_MS:-}\" \"${STORMLOG_QUIET:-}\" \"${STORMLOG_DISABLE:-}\""
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        r = subprocess.run([RUN, "--help"], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.startswith("usage: stormlog-run") and r.stderr == "", "--help")
        r = subprocess.run([RUN, "--version"], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.startswith("stormlog-run "), "--version")
        marker = os.path.join(tmp, "ran")
        for bad in (["--bogus", "touch", marker], ["--sampling-interval", "ten", "touch", marker],
                    ["--sampling-interval", "-1", "touch", marker], ["--output", "", "touch", marker],
                    ["--sampling-interval"], ["--output"], ["--quiet"], []):
            r = subprocess.run([RUN, *bad], capture_output=True, text=True)
            check(r.returncode == 2 and "usage:" in r.stderr and not os.path.exists(marker),
                  f"bad option {bad}: usage on stderr, exit 2, command not run ({r.returncode})")
        # The variables its options map onto.
        r = subprocess.run([RUN, "--output", "rec", "--sampling-interval", "25", "--quiet", "--disable", "sh", "-c",
                            show], capture_output=True, text=True, cwd=tmp, env=run_env(LD_PRELOAD="libkeep.so"))
        pre, out, job, samp, quiet, disable = r.stdout.strip().split("|")
        shim = os.path.realpath(ENV["STORMLOG_SHIM_LIB"])
        check(pre == f"{san_prefix()}{shim}:libkeep.so", f"shim prepended, LD_PRELOAD kept: {pre}")
        check(out == os.path.join(os.path.realpath(tmp), "rec"), f"output made absolute: {out}")
        check((samp, quiet, disable) == ("25", "1", "1"), "sampling, quiet, disable")
        check(re.fullmatch(r"local-\d{8}T\d{6}Z", job) is not None, f"local job id: {job}")
        r = subprocess.run([RUN, "sh", "-c", show], capture_output=True, text=True, cwd=tmp, env=run_env())
        check(r.stdout.split("|")[1] == os.path.join(os.path.realpath(tmp), "stormlog-out"), "default ./stormlog-out")
        # Job ids from the launchers, explicit first.
        for extra, want in (({"STORMLOG_JOB_ID": "mine", "SLURM_JOB_ID": "9"}, "mine"),
                            ({"TORCHELASTIC_RUN_ID": "te1", "SLURM_JOB_ID": "9"}, "te1"),
                            ({"SLURM_JOB_ID": " 9 ", "PMIX_NAMESPACE": "x"}, " 9 "),
                            ({"SLURM_JOB_ID": "  ", "PMIX_NAMESPACE": "470810625"}, "ompi-470810625"),
                            ({"OMPI_MCA_ess_base_jobid": "12"}, "ompi-12")):
            r = subprocess.run([RUN, "sh", "-c", show], capture_output=True, text=True, env=run_env(**extra))
            check(r.stdout.split("|")[2] == want, f"job id from {extra}: {r.stdout}")
        # Exit status, signals, stdin and stdout are the command's.
        r = subprocess.run([RUN, "sh", "-c", "exit 7"], env=run_env())
        check(r.returncode == 7, "exit status passes through")
        r = subprocess.run([RUN, "sh", "-c", "kill -TERM $$"], env=run_env())
        check(r.returncode == -signal.SIGTERM, f"signal passes through ({r.returncode})")
        r = subprocess.run([RUN, "--", "cat"], input="hello\n", capture_output=True, text=True, env=run_env())
        check(r.stdout == "hello\n" and r.returncode == 0, "stdin/stdout pass through")
        r = subprocess.run([RUN, "sh", "-c", "echo $$; exec sleep 0"], capture_output=True, text=True, env=run_env())
        check(r.returncode == 0, "exec, not a child")
        # A launcher named as the command is not preloaded, and carries the job id.
        fake = os.path.join(tmp, "mpirun")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho \"launcher:${LD_PRELOAD:-none}:$STORMLOG_JOB_ID\"\n")
        os.chmod(fake, 0o755)
        r = subprocess.run([RUN, fake, "-np", "2"], capture_output=True, text=True, env=run_env())
        check(re.fullmatch("launcher:" + re.escape(SANITIZER_PRELOAD or "none") + r":local-\d{8}T\d{6}Z\n",
                           r.stdout) is not None,
              f"launcher not preloaded: {r.stdout!r}")
        # Sanitizer runtimes stay first in LD_PRELOAD.
        asan = SANITIZER_PRELOAD or "/x/libasan.so.8"
        env = run_env()
        env["LD_PRELOAD"] = f"libkeep.so {asan}"
        r = subprocess.run([RUN, "sh", "-c", show], capture_output=True, text=True, env=env)
        check(r.stdout.split("|")[0] == f"{asan}:{shim}:libkeep.so", f"sanitizer first: {r.stdout}")
        # Nested: the shim is not added twice.
        r = subprocess.run([RUN, RUN, "sh", "-c", show], capture_output=True, text=True, env=run_env())
        check(r.stdout.split("|")[0] == san_prefix() + shim, f"nested: once: {r.stdout}")
        # An unpacked install tree: bin/stormlog-run finds <libdir>/libstormlog_shim.so, also through a symlink.
        tree = os.path.join(tmp, "tree")
        libdir = os.path.join(tree, ENV.get("STORMLOG_RUN_INSTALL_LIBDIR", "lib"))
        os.makedirs(os.path.join(tree, "bin"))
        os.makedirs(libdir)
        shutil.copy(ENV["STORMLOG_RUN_INSTALL_VARIANT"], os.path.join(tree, "bin", "stormlog-run"))
        os.chmod(os.path.join(tree, "bin", "stormlog-run"), 0o755)
        shutil.copy(ENV["STORMLOG_SHIM_LIB"], os.path.join(libdir, "libstormlog_shim.so"))
        os.symlink(os.path.join(tree, "bin", "stormlog-run"), os.path.join(tmp, "link-run"))
        for runner in (os.path.join(tree, "bin", "stormlog-run"), os.path.join(tmp, "link-run")):
            r = subprocess.run([runner, "sh", "-c", show], capture_output=True, text=True, env=run_env())
            check(r.stdout.split("|")[0] == san_prefix() + os.path.join(os.path.realpath(libdir), "libstormlog_shim.so"),
                  f"install tree via {runner}: {r.stdout} {r.stderr}")
        os.remove(os.path.join(libdir, "libstormlog_shim.so"))
        r = subprocess.run([os.path.join(tree, "bin", "stormlog-run"), "true"], capture_output=True, text=True,
                           env=run_env())
        check(r.returncode == 125 and "libstormlog_shim.so" in r.stderr, "no shim: exit 125 with a reason")


def t_run_messages():
    """Where the recording goes (rank 0 only, --quiet silences it), the
    command that reads it, and distinct exit codes for what went wrong."""
    need_shim()
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        out = os.path.join(os.path.realpath(tmp), "rec")
        r = subprocess.run([RUN, "--output", out, "true"], capture_output=True, text=True,
                           env=run_env(STORMLOG_JOB_ID="j1"))
        check(r.returncode == 0 and r.stderr.splitlines() == [
            f"stormlog-run: recording to {out}/j1/ (one directory per process)",
            f"stormlog-run: done; read it with: stormlog-inspect summary {out}/j1"], f"where it goes: {r.stderr!r}")
        for env in ({"RANK": "1"}, {"OMPI_COMM_WORLD_RANK": "3"}, {"SLURM_PROCID": "2"}):
            r = subprocess.run([RUN, "--output", out, "true"], capture_output=True, text=True, env=run_env(**env))
            check(r.returncode == 0 and r.stderr == "", f"{env}: not rank 0, silent: {r.stderr!r}")
        r = subprocess.run([RUN, "--output", out, "true"], capture_output=True, text=True,
                           env=run_env(OMPI_COMM_WORLD_RANK="0"))
        check("recording to" in r.stderr, f"rank 0 under a launcher says it: {r.stderr!r}")
        r = subprocess.run([RUN, "--quiet", "--output", out, "true"], capture_output=True, text=True, env=run_env())
        check(r.stderr == "", f"--quiet: {r.stderr!r}")
        # Rank 0 waits for the command: status, signals and stdin stay the command's.
        r = subprocess.run([RUN, "--output", out, "sh", "-c", "kill -TERM $$"], capture_output=True, text=True,
                           env=run_env())
        check(r.returncode == -signal.SIGTERM and "Terminated" not in r.stderr, f"signal: {r.returncode} {r.stderr!r}")
        r = subprocess.run([RUN, "--output", out, "cat"], input="hello\n", capture_output=True, text=True,
                           env=run_env())
        check(r.stdout == "hello\n", f"stdin: {r.stdout!r}")
        p = subprocess.Popen([RUN, "--output", out, "sh", "-c", "trap 'exit 9' TERM; echo up; while :; do sleep 0.05; done"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env())
        p.stdout.readline()
        p.send_signal(signal.SIGTERM)
        check(p.wait(timeout=30) == 9, "a signal to stormlog-run reaches the command")
        p.stderr.close()
        p.stdout.close()
        # Distinct, documented exit codes.
        r = subprocess.run([RUN, "true"], capture_output=True, text=True, env=run_env(STORMLOG_SHIM="/nope"))
        check(r.returncode == 125 and r.stderr.strip() == 'stormlog-run: STORMLOG_SHIM="/nope": no such file',
              f"STORMLOG_SHIM names no file: {r.returncode} {r.stderr!r}")
        r = subprocess.run([RUN, "nosuchcmd-stormlog"], capture_output=True, text=True, env=run_env())
        check(r.returncode == 127 and r.stderr.strip() == "stormlog-run: nosuchcmd-stormlog: command not found",
              f"no such command: {r.returncode} {r.stderr!r}")
        plain = os.path.join(tmp, "plain")
        open(plain, "w").close()
        r = subprocess.run([RUN, plain], capture_output=True, text=True, env=run_env())
        check(r.returncode == 126 and "not executable" in r.stderr, f"not executable: {r.returncode} {r.stderr!r}")
        usage = subprocess.run([RUN, "--help"], capture_output=True, text=True).stdout
        check(all(f" {code} " in usage for code in ("2", "125", "126", "127")), "the codes are in --help")


def shim_env(**extra):
    return run_env(**extra)


def normalize(text):
    """Only what differs between runs: ids, hosts, pids, times."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<session>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<time>", text)
    text = re.sub(r"\+\d+(\.\d+)? (ns|us|ms|s)\b|\+\d+m\d\ds", "+<t>", text)
    text = re.sub(r"host \S+, pid \d+", "host <host>, pid <pid>", text)
    # Column widths follow the widest (time) cell: compare cells, not padding.
    return "\n".join(re.sub(r" {2,}", "  ", line) for line in text.split("\n"))


def normalize_sessions(text):
    """The sessions table with host, pid and duration masked (columns 5, 6, 9)."""
    out = []
    for line in normalize(text).split("\n"):
        cells = line.split("  ")
        if len(cells) == 10 and cells[1] == "<session>":
            cells[4], cells[5], cells[8] = "<host>", "<pid>", "<duration>"
        out.append("  ".join(cells))
    return "\n".join(out)


def check_session_against_truth(label, session, truth):
    devs = {d["device_id"]: d for d in session["devices"]}
    d0 = devs.get(0)
    if not check(d0 is not None, f"{label}: device 0 recorded"):
        return
    check(session["summary"]["status"] == "completed", f"{label}: completed")
    check(session["counts_from"] == "stop_summary", f"{label}: the shim's stop books")
    check(d0["peak_allocated_bytes"] == truth["peak_bytes"], f"{label}: peak {d0['peak_allocated_bytes']} == {truth['peak_bytes']}")
    check(d0["final_allocated_bytes"] == truth["live_bytes"] == d0["leaked_bytes"], f"{label}: leaked bytes")
    check(d0["allocations"] == truth["allocs"] and d0["frees"] == truth["frees"], f"{label}: counts")
    check(d0["unmatched_frees"] == 0 and d0["dropped_events"] == 0, f"{label}: unmatched, dropped")
    check(d0["oom_count"] == truth["oom"] and d0["failed_allocations"] == truth["oom"], f"{label}: OOM count")
    if truth["oom"]:
        check(d0["oom_errors"][0]["requested_bytes"] == truth["oom_requested"], f"{label}: OOM requested size")
    check(isinstance(d0["peak_timestamp_ns"], int), f"{label}: peak time known")


def t_shim_recording():
    need_shim()
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        out = os.path.join(tmp, "out")
        r = subprocess.run([RUN, "--output", out, ENV["STORMLOG_CLI_WORKLOAD"], "--rank", "2", "--oom",
                            "--truth-dir", tmp], capture_output=True, text=True,
                           env=shim_env(STORMLOG_JOB_ID="single"))
        check(r.returncode == 0, f"workload under stormlog-run: {r.returncode} {r.stderr}")
        truth = json.load(open(os.path.join(tmp, "rank-2.json")))
        sinks = [os.path.join(out, "single", d) for d in sorted(os.listdir(os.path.join(out, "single")))] \
            if os.path.isdir(os.path.join(out, "single")) else []
        if not check(len(sinks) == 1, f"one sink under out/single: {os.listdir(out) if os.path.isdir(out) else None}"):
            return
        sink = sinks[0]
        s = json.loads(inspect("summary", "--json", sink).stdout)
        check(len(s["sessions"]) == 1 and s["job"] is None, "one session, no job")
        check_session_against_truth("single", s["sessions"][0], truth)
        check(s["sessions"][0]["summary"]["job_id"] == "single", "STORMLOG_JOB_ID reaches the records")
        golden("summary_shim_single", normalize(inspect("summary", sink).stdout))
        golden("sessions_shim_single", normalize_sessions(inspect("sessions", sink).stdout))
        v = inspect("validate", sink)
        check(v.returncode == 0 and "valid" in v.stdout, f"validate: {v.stdout}{v.stderr}")
        ev = inspect("events", sink, "--type", "error", "--device", "0")
        errs = [json.loads(x) for x in jsonl(ev.stdout)]
        check(len(errs) == 1 and errs[0]["metadata"]["reason"] == "out_of_memory", "events: the OOM")
        n = len(jsonl(inspect("events", sink).stdout))
        check(n == json.loads(inspect("sessions", "--json", sink).stdout)["sessions"][0]["event_count"],
              "events streams every event")
        conv = os.path.join(tmp, "conv")
        check(inspect("convert", sink, "--to", conv).returncode == 0, "convert a shim sink")
        check(canonical_events(json.loads(inspect("load", conv).stdout)) ==
              canonical_events(json.loads(inspect("load", sink).stdout)), "converted shim sink loads the same")


def shim_run(out, *args, **env):
    """The rank workload preloaded with the shim, as a plain LD_PRELOAD run."""
    r = subprocess.run([ENV["STORMLOG_CLI_WORKLOAD"], *args], capture_output=True, text=True,
                       env=run_env(LD_PRELOAD=ENV["STORMLOG_SHIM_LIB"], STORMLOG_OUTPUT_DIR=out, **env))
    check(r.returncode == 0, f"workload {args} {env}: {r.returncode} {r.stderr}")


def t_jobs_folder():
    """A folder of several runs: one block per job, newest first, each job's
    cross-rank table before its sessions; never one table across jobs. A
    process without a job id is said to have none, with how to give one."""
    need_shim()
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        out = os.path.join(tmp, "out")
        for job in ("jobA", "jobB"):
            for rank in (0, 1):
                shim_run(out, "--rank", str(rank), "--truth-dir", tmp, STORMLOG_JOB_ID=job, RANK=str(rank),
                         WORLD_SIZE="2")
        shim_run(out, "--rank", "0", "--truth-dir", tmp)
        s = json.loads(inspect("summary", "--json", "out", cwd=tmp).stdout)
        check([g["job_id"] for g in s["jobs"]] == [None, "jobB", "jobA"], f"jobs newest first: {s['jobs']}")
        check(s["job"] is None and s["highest_peak"] is None, "no table across jobs")
        by_id = {x["summary"]["session_id"]: x["summary"] for x in s["sessions"]}
        for g in s["jobs"]:
            check(all(by_id[i]["job_id"] == g["job_id"] for i in g["session_ids"]), f"{g['job_id']}: its own sessions")
            if g["job_id"]:
                check(len(g["session_ids"]) == 2 and [k["rank"] for k in g["cross_rank"]["ranks"]] == [0, 1] and
                      all(k["sessions"] == 1 for k in g["cross_rank"]["ranks"]), f"{g['job_id']}: two ranks, one session each")
            else:
                check(g["cross_rank"] is None and len(g["session_ids"]) == 1, "the run without a job id")
        text = inspect("summary", "out", cwd=tmp).stdout
        check("mixed" not in text and "job -" not in text, "no mixed table, no 'job -'")
        golden("summary_jobs_folder", normalize(text))
        # The report: one overview per job, newest first, each of its own ranks.
        check(inspect("report", "out", "-o", "jobs.html", cwd=tmp).returncode == 0, "report of the folder")
        html = open(os.path.join(tmp, "jobs.html")).read()
        b, a = html.find("<h2>Job jobB</h2>"), html.find("<h2>Job jobA</h2>")
        check(0 <= b < a, "a job section each, newest first")
        check(html.count('aria-label="rank ') == 4 and html.count("<h3>Cross-rank peaks</h3>") == 2,
              "each job's two ranks, each job's own table")
        # One job's folder: its table first.
        text = inspect("summary", os.path.join("out", "jobA"), cwd=tmp).stdout
        check(text.startswith("job jobA: 2 ranks"), f"the cross-rank table comes first: {text[:80]!r}")


def t_failures():
    """Failed frees counted; each failed allocation named (API, code and its
    name, bytes asked, the device's memory); an OOM recovered or last."""
    need_shim()
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        out = os.path.join(tmp, "out")
        shim_run(out, "--oom", "--oom-last", "--api-error", "--bad-frees", "3", "--truth-dir", tmp,
                 STORMLOG_JOB_ID="fail")
        truth = json.load(open(os.path.join(tmp, "rank-0.json")))
        job = os.path.join(out, "fail")
        s = json.loads(inspect("summary", "--json", job).stdout)
        ses = s["sessions"][0]
        check(ses["failed_frees"] == truth["bad_frees"] == 3, f"failed frees {ses['failed_frees']}")
        check({"api": "cudaFree", "error_code": truth["bad_free_code"], "error_name": "cudaErrorInvalidValue",
               "count": 3} in ses["failed_calls"], f"failed cudaFree by code: {ses['failed_calls']}")
        dev = {d["device_id"]: d for d in ses["devices"]}
        d0 = dev[0]
        check(d0["oom_count"] == truth["oom"] == 2 and d0["oom_recovered"] == 1 and d0["oom_last"] == truth["oom_last"],
              f"OOMs: {d0['oom_count']} ({d0['oom_recovered']} recovered, {d0['oom_last']} last)")
        check([e["outcome"] for e in d0["oom_errors"]] == ["recovered", "last"], f"outcomes {d0['oom_errors']}")
        first = d0["oom_errors"][0]
        check(first["api"] == "cudaMalloc" and first["error_code"] == 2 and
              first["error_name"] == "cudaErrorMemoryAllocation" and first["requested_bytes"] == truth["oom_requested"],
              f"OOM named: {first}")
        check(first["device_total_bytes"] == 16 * 1024 ** 3 and isinstance(first["device_free_bytes"], int),
              f"the device's memory at the OOM: {first}")
        host = dev[-1]["failed_allocation_errors"]
        check(len(host) == 1 and host[0]["api"] == "cudaHostAlloc" and host[0]["error_code"] == truth["api_error_code"]
              and host[0]["error_name"] == "cudaErrorInvalidValue" and host[0]["requested_bytes"] == 4096,
              f"the failed cudaHostAlloc named: {host}")
        golden("summary_failures", normalize(inspect("summary", job).stdout))


def t_env_values():
    """Each bad STORMLOG_* value: one line, NAME='value', said once by the
    process that records (not by the shell around it, nor by a process that
    never records); minimums; values with spaces; a job id with '/'."""
    need_shim()
    work = ENV["STORMLOG_CLI_WORKLOAD"]
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        out = os.path.join(tmp, "out")

        def under_sh(**extra):
            env = run_env(LD_PRELOAD=ENV["STORMLOG_SHIM_LIB"], STORMLOG_OUTPUT_DIR=out, **extra)
            return subprocess.run(["sh", "-c", f"{work} --truth-dir {tmp}; true"], capture_output=True, text=True,
                                  env=env)

        for name, value, words in (
                ("STORMLOG_QUIET", "maybe", "is not 0/1/true/false/yes/no/on/off; using 0"),
                ("STORMLOG_ROLLOVER_BYTES", "1", "is not an integer in [65536, 1099511627776]; using 67108864"),
                ("STORMLOG_RETENTION_BYTES", "4096", "is not an integer in [65536, 1125899906842624]; using 4294967296"),
                ("STORMLOG_ROLLOVER_EVENTS", "1", "is not an integer in [10, 4294967295]; using 10000"),
                ("STORMLOG_FLUSH_EVERY_MS", "1", "is not an integer in [10, 3600000]; using 2000"),
                ("STORMLOG_SAMPLING_INTERVAL_MS", " 5", "is not an integer in [0, 2147483647]; using 0"),
                ("STORMLOG_PEAK_STEP_BYTES", "5 ", "is not an integer in [0, 9223372036854775807]; using 67108864"),
                ("STORMLOG_DISABLE", " 1", "is not a boolean (1/0, true/false, yes/no, on/off); using 0"),
                ("STORMLOG_CLOCK", "tsc", "is not auto or system; using auto")):
            r = under_sh(STORMLOG_JOB_ID="env", **{name: value})
            lines = [x for x in r.stderr.splitlines() if x.startswith("stormlog: ")]
            check(lines == [f"stormlog: {name}='{value}' {words}"], f"{name}={value!r}: once, quoted: {lines}")
        # Accepted at the minimum: no line.
        r = under_sh(STORMLOG_JOB_ID="env", STORMLOG_ROLLOVER_BYTES="65536", STORMLOG_RETENTION_BYTES="65536")
        check("stormlog: " not in r.stderr, f"minimums accepted: {r.stderr!r}")
        # A process that never records says nothing.
        r = subprocess.run(["sh", "-c", "true"], capture_output=True, text=True,
                           env=run_env(LD_PRELOAD=ENV["STORMLOG_SHIM_LIB"], STORMLOG_CLOCK="tsc"))
        check(r.stderr == "", f"no recording, no warning: {r.stderr!r}")
        # A job id with '/' is refused and said, not rewritten.
        r = under_sh(STORMLOG_JOB_ID="team/run1")
        check([x for x in r.stderr.splitlines() if x.startswith("stormlog: ")] ==
              ["stormlog: STORMLOG_JOB_ID='team/run1' contains '/', which a job directory name cannot; not used"],
              f"job id with '/': {r.stderr!r}")
        check(sorted(os.listdir(out)) == ["env", "local"], f"no rewritten job directory: {os.listdir(out)}")
        r = subprocess.run([RUN, "true"], capture_output=True, text=True, env=run_env(STORMLOG_JOB_ID="a/b"))
        check(r.returncode == 2 and r.stderr.startswith("stormlog-run: STORMLOG_JOB_ID='a/b': a job id names a "
                                                         "directory and cannot contain '/'"),
              f"stormlog-run refuses it: {r.returncode} {r.stderr!r}")


def t_share_group():
    """Directories 0700 and files 0600 by default; STORMLOG_SHARE_GROUP=1
    gives the group read access (0750 / 0640), for shared cluster scratch."""
    need_shim()
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        old = os.umask(0o022)
        try:
            for share, dmode, fmode in (("0", 0o700, 0o600), ("1", 0o750, 0o640)):
                out = os.path.join(tmp, "out" + share)
                shim_run(out, "--truth-dir", tmp, STORMLOG_JOB_ID="team", STORMLOG_SHARE_GROUP=share)
                modes = {}
                for root, dirs, files in os.walk(out):
                    for name in dirs + files:
                        p = os.path.join(root, name)
                        modes[os.path.relpath(p, out)] = stat.S_IMODE(os.lstat(p).st_mode)
                want = {k: dmode if os.path.isdir(os.path.join(out, k)) else fmode for k in modes}
                check(modes and modes == want and stat.S_IMODE(os.stat(out).st_mode) == dmode,
                      f"STORMLOG_SHARE_GROUP={share}: {oct(dmode)}/{oct(fmode)}: { {k: oct(v) for k, v in modes.items()} }")
        finally:
            os.umask(old)


def t_readme_first_screen():
    """The README's first screen, run as written: install into the prefix it
    names (moved to a temporary one), record a program with stormlog-run,
    and read the recording with the commands it prints; nothing guessed."""
    need_shim()
    readme = open(ENV["STORMLOG_README"]).read()
    block = re.search(r"Then install the tools.*?```sh\n(.*?)```", readme, re.S)
    if not check(block is not None, "the README shows the install step after the two commands"):
        return
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    check(commands[0] == "cmake --install build --prefix /opt/stormlog", f"the install step first: {commands[0]}")
    check(readme.count("--prefix ") == len(re.findall(r"--prefix /opt/stormlog\b", readme)),
          "one prefix in every example")
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        prefix = os.path.join(tmp, "opt-stormlog")
        env = run_env()
        env["PATH"] = os.path.join(prefix, "bin") + ":" + env["PATH"]
        job = None
        for cmd in commands:
            cmd = cmd.replace("/opt/stormlog", prefix).replace("cmake --install build",
                                                               "cmake --install " + ENV["STORMLOG_BUILD_DIR"])
            if cmd.startswith("export "):
                continue  # PATH is set above
            cmd = cmd.replace("python train.py", ENV["STORMLOG_CLI_WORKLOAD"] + " --oom")
            if job:
                cmd = cmd.replace("<job id>", job)
            r = subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=tmp, env=env)
            if not check(r.returncode == 0, f"README: {cmd}: {r.returncode} {r.stderr}"):
                return
            if cmd.startswith("stormlog-run"):
                said = re.search(r"recording to (\S+)/(\S+)/ ", r.stderr)
                if not check(said is not None, f"stormlog-run says where it writes: {r.stderr!r}"):
                    return
                job = said.group(2)
                check(f"stormlog-inspect summary {said.group(1)}/{job}" in r.stderr, "and how to read it")
            if cmd.startswith("stormlog-inspect summary"):
                check("OOM on device 0" in r.stdout, f"the summary shows the recording: {r.stdout}")
        check(os.path.getsize(os.path.join(tmp, "report.html")) > 1000, "the report was written")


def t_mpi_job():
    need_shim()
    mpirun = ENV.get("STORMLOG_MPIRUN")
    if not mpirun or not os.path.exists(mpirun):
        skip("mpirun not found (openmpi-bin)")
    ranks = int(ENV.get("STORMLOG_CLI_MPI_RANKS", "4"))
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        out = os.path.join(tmp, "out")
        cmd = [mpirun, "--oversubscribe", "--allow-run-as-root", "-np", str(ranks)]
        if SANITIZER_PRELOAD:
            cmd += ["-x", f"LD_PRELOAD={SANITIZER_PRELOAD}", "-x", "ASAN_OPTIONS=detect_leaks=0"]
        cmd += [RUN, "--output", out, ENV["STORMLOG_CLI_WORKLOAD"], "--truth-dir", tmp]
        env = run_env()
        env.pop("LD_PRELOAD", None)  # the launcher is not preloaded; -x gives the ranks the sanitizer runtime
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
        check(r.returncode == 0, f"mpirun: {r.returncode}\n{r.stdout}\n{r.stderr}")
        jobs = os.listdir(out) if os.path.isdir(out) else []
        if not check(len(jobs) == 1, f"one job directory: {jobs}"):
            return
        job_dir = os.path.join(out, jobs[0])
        sinks = sorted(os.listdir(job_dir))
        check(len(sinks) == ranks, f"{ranks} rank sinks: {sinks}")
        check([s.split("-")[1] for s in sinks] == [f"{i:05d}" for i in range(ranks)], f"ranks 0..{ranks - 1}: {sinks}")
        doc = json.loads(inspect("load", job_dir).stdout)
        job_ids = {ev["job_id"] for s in doc["sessions"] for ev in s["events"]}
        job_ids |= {s["summary"]["job_id"] for s in doc["sessions"]}
        check(len(job_ids) == 1 and None not in job_ids, f"one non-null job id in every record: {job_ids}")
        check(all(ev["world_size"] == ranks for s in doc["sessions"] for ev in s["events"]), "world_size")
        summary = json.loads(inspect("summary", "--json", job_dir).stdout)
        truths = {}
        for i in range(ranks):
            truths[i] = json.load(open(os.path.join(tmp, f"rank-{i}.json")))
        by_rank = {s["summary"]["rank"]: s for s in summary["sessions"]}
        check(sorted(by_rank) == list(range(ranks)), f"ranks in the summary: {sorted(by_rank)}")
        for i in range(ranks):
            if i in by_rank:
                check_session_against_truth(f"rank {i}", by_rank[i], truths[i])
        # The rank with the highest peak, from the workloads' own books.
        best = max(range(ranks), key=lambda i: (truths[i]["peak_bytes"], -i))
        hp = summary["highest_peak"]
        check(hp is not None and hp["rank"] == best and hp["device"] == 0 and
              hp["bytes"] == truths[best]["peak_bytes"] and isinstance(hp["timestamp_ns"], int),
              f"highest_peak {hp} names rank {best}")
        peaks = sorted(t["peak_bytes"] for t in truths.values())
        median = peaks[(ranks - 1) // 2] + (peaks[ranks // 2] - peaks[(ranks - 1) // 2]) // 2
        far = max(range(ranks), key=lambda i: (abs(truths[i]["peak_bytes"] - median), -i))
        check(summary["job"]["median_peak_bytes"] == median, "median peak")
        check(summary["job"]["furthest_from_median"]["rank"] == far, "furthest from the median")
        text = inspect("summary", job_dir).stdout
        check(f"highest peak: rank {best}, device 0" in text, "the table names the rank")
        if ranks == 4:
            # Sessions come most recent first, which varies between runs; the
            # per-session figures were checked above. The job table is stable.
            check(text.startswith("job "), "the cross-rank table comes first")
            golden("summary_mpi_job", normalize(text[:text.index("\nsession ")].replace(jobs[0], "<job>") + "\n"))


TESTS = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        print("usage: cli_tests.py " + "|".join(sorted(TESTS)))
        sys.exit(2)
    if not os.access(INSPECT, os.X_OK):
        print(f"FAIL: stormlog-inspect not found at {INSPECT!r}")
        sys.exit(1)
    os.makedirs(WORK, exist_ok=True)
    TESTS[sys.argv[1]]()
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
