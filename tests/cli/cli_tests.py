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

SKIP = 77
ENV = os.environ
INSPECT = ENV.get("STORMLOG_INSPECT", "")
RUN = ENV.get("STORMLOG_RUN", "")
CASES = ENV.get("STORMLOG_CONFORMANCE", "")
GOLDEN = ENV.get("STORMLOG_CLI_GOLDEN", "")
WORK = ENV.get("STORMLOG_CLI_WORK", tempfile.gettempdir())
SANITIZER_PRELOAD = ENV.get("STORMLOG_SANITIZER_PRELOAD", "")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def skip(reason):
    print("SKIP:", reason)
    sys.exit(SKIP)


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
        ranks = {x["summary"]["rank"] for x in ref["sessions"]}
        check((s["job"] is None) == (len(ranks) < 2), f"{name}: job table only for two or more ranks")


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
            check(len(r.stderr.strip().splitlines()) == 1 and rel in r.stderr, f"{name}: one error line naming the path")
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
            # The sink format: manifest as upstream writes it, one sorted-key v3 record per line.
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
        # Rollover at upstream's 10,000 events.
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
        check(r.returncode == 127 and "libstormlog_shim.so" in r.stderr, "no shim: exit 127 with a reason")


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
            golden("summary_mpi_job", normalize(text[text.index("\njob "):].replace(jobs[0], "<job>")))


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
