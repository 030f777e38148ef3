#!/usr/bin/env python3
"""stormlog-inspect against recordings made to hurt the reader: terminal
escapes in the recorded strings, huge files of bad lines, segments that are
missing, FIFOs, symlinks or torn. One test per argv[1]; the helpers and the
environment are cli_tests.py's."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_tests  # noqa: E402
from cli_tests import CASES, ENV, INSPECT, WORK, check, inspect, need_cases, skip  # noqa: E402,F401


def base_record():
    need_cases()
    with open(os.path.join(CASES, "004_v3_jsonl_basic/input.jsonl")) as f:
        return json.loads(f.readline())


# ESC [ (CSI: clear screen), OSC 52 (writes the clipboard), a C1 CSI in
# UTF-8, BEL, DEL, a carriage return.
HOSTILE = "\x1b[2J\x1b]52;c;cHduZWQ=\x07job\u009b31m\x7f\r"


def raw_controls(data):
    """The control bytes a terminal acts on, found in raw output bytes:
    C0 other than \\n and \\t, DEL, C1 as UTF-8 (C2 80..9F) and lone C1 bytes."""
    found = set()
    for i, b in enumerate(data):
        if (b < 0x20 and b not in (0x0A, 0x09)) or b == 0x7F:
            found.add(hex(b))
        elif b == 0xC2 and i + 1 < len(data) and 0x80 <= data[i + 1] < 0xA0:
            found.add("c2 " + hex(data[i + 1]))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        found.add(f"not UTF-8 at {e.start}")
    return found


def hostile_sink(dir_path):
    """A sink directory whose strings carry escapes; a manifest naming the
    session with the same strings."""
    os.makedirs(dir_path)
    rec = base_record()
    rec.update(job_id=HOSTILE, host="node" + HOSTILE, context="ctx" + HOSTILE,
               session_id="sess" + HOSTILE, metadata={"phase": "ph" + HOSTILE})
    lines = []
    for i, (kind, change) in enumerate([("start", 0), ("alloc", 4096), ("sample", 0), ("stop", 0)]):
        r = dict(rec, event_type=kind, timestamp_ns=rec["timestamp_ns"] + i,
                 allocator_change_bytes=change)
        lines.append(json.dumps(r, ensure_ascii=False))
    with open(os.path.join(dir_path, "segment-000001.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return rec


def t_terminal_escapes():
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        sink = os.path.join(tmp, "sink")
        rec = hostile_sink(sink)
        bad = os.path.join(tmp, "bad.jsonl")
        with open(bad, "w", encoding="utf-8") as f:
            f.write(json.dumps(dict(rec, event_type="evil" + HOSTILE), ensure_ascii=False) + "\n")
        # A file name with an escape in it, named on the command line.
        named = os.path.join(tmp, "name\x1b[2J.jsonl")
        shutil.copy(os.path.join(sink, "segment-000001.jsonl"), named)
        runs = [
            ["sessions", sink], ["sessions", "--json", sink],
            ["summary", sink], ["summary", "--json", sink],
            ["events", sink], ["events", "--format", "csv", sink],
            ["validate", sink], ["validate", bad], ["validate", "--json", bad],
            ["load", sink], ["export", sink, "--format", "perfetto"], ["report", sink, "-o", "-"],
            ["summary", bad], ["sessions", named], ["validate", named],
            ["summary", os.path.join(tmp, "missing\x1b]52;c;eA==\x07")],
        ]
        for args in runs:
            r = subprocess.run([INSPECT, *args], capture_output=True)
            label = " ".join(a.encode("unicode_escape").decode() for a in args).replace(tmp, "<tmp>")
            check(r.returncode in (0, 1), f"{label}: exit {r.returncode}: {r.stderr[-300:]!r}")
            for stream, data in (("stdout", r.stdout), ("stderr", r.stderr)):
                found = raw_controls(data)
                check(not found, f"{label}: raw control characters on {stream}: {sorted(found)}")
        # The text is escaped, not dropped: the id is still there to read.
        text = subprocess.run([INSPECT, "sessions", sink], capture_output=True, text=True).stdout
        check("\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07job\\u009b31m\\x7f\\x0d" in text, f"escaped id shown: {text!r}")
        # JSON keeps the exact strings (escaped by the encoder).
        doc = json.loads(subprocess.run([INSPECT, "load", sink], capture_output=True).stdout)
        check(doc["sessions"][0]["events"][0]["job_id"] == HOSTILE, "load --json keeps the string exactly")


def run_measured(args, cwd=None, env=None):
    """(returncode, stdout, stderr, peak RSS in MiB) of one run, the peak
    from the child's rusage (ru_maxrss: KiB on Linux). Linux counts the
    forked Python's pages before exec in it (about 20 MiB): an upper bound."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(args, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss / 1024


def t_validate_memory():
    """A million bad lines: memory stays bounded (it grew with the input:
    1.1 GiB), every problem is counted, the first ones are listed."""
    lines = 1_000_000
    limit_mib = 100
    env = dict(os.environ)
    if "address" in ENV.get("STORMLOG_SANITIZE", ""):
        # ASan keeps freed blocks in a quarantine (256 MiB by default): that is
        # the sanitizer's memory, not ours.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16"
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        path = os.path.join(tmp, "bad.jsonl")
        with open(path, "w") as f:
            f.write("{}\n" * lines)
        rc, out, err, peak = run_measured([INSPECT, "validate", "bad.jsonl"], cwd=tmp, env=env)
        print(f"validate of {lines} bad lines: peak RSS {peak:.1f} MiB")
        check(rc == 1, f"exit {rc}")
        check(peak < limit_mib, f"peak RSS {peak:.1f} MiB, bound {limit_mib} MiB")
        listed = out.splitlines()
        check(len(listed) == 1001 and listed[-1] == f"bad.jsonl: {lines - 1000} more problems not listed "
              "(--max-findings 1000)", f"1000 listed and a count: {listed[-2:]}")
        check(listed[0].startswith("bad.jsonl:1: "), f"first problem first: {listed[0]!r}")
        check(f"{lines} problems" in err, f"the total on stderr: {err!r}")
        rc, out, err, peak = run_measured([INSPECT, "validate", "--json", "bad.jsonl"], cwd=tmp, env=env)
        doc = json.loads(out)
        check(peak < limit_mib, f"--json: peak RSS {peak:.1f} MiB")
        check(len(doc["problems"]) == 1000 and doc["problem_count"] == lines, "--json: 1000 kept, all counted")
        r = inspect("validate", "--max-findings", "0", "bad.jsonl", cwd=tmp)
        check(len(r.stdout.splitlines()) == lines, "--max-findings 0 lists them all")


def hurt_sink(tmp):
    """A sink with one of each thing loading skips: a FIFO the manifest
    lists, a symlink it does not, a listed segment that is missing, two
    unsafe names, a torn last line. Its good records: 3."""
    sink = os.path.join(tmp, "sink")
    os.makedirs(sink)
    with open(os.path.join(CASES, "004_v3_jsonl_basic/input.jsonl")) as f:
        good = f.readlines()[:3]
    with open(os.path.join(sink, "segment-000001.jsonl"), "w") as f:
        f.write("".join(good) + '{"schema_version": 3, "sess')
    os.mkfifo(os.path.join(sink, "segment-000002.jsonl"))
    os.symlink("segment-000001.jsonl", os.path.join(sink, "segment-000003.jsonl"))
    names = ["segment-000001.jsonl", "segment-000002.jsonl", "segment-000009.jsonl", "../outside.jsonl", "/etc/x"]
    with open(os.path.join(sink, "manifest.json"), "w") as f:
        json.dump({"schema_version": 2, "sessions": [], "segments": [{"filename": n} for n in names]}, f)
    return sink


def t_validate_findings():
    """Each thing loading skips is one warning of its kind; the recording is
    still valid (exit 0); load and summary warn about each skipped file once."""
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        hurt_sink(tmp)
        r = inspect("validate", "sink", cwd=tmp)
        check(r.returncode == 0, f"valid with warnings: exit {r.returncode} {r.stderr!r}")
        want = [
            "sink: valid, 3 events, 6 warnings",
            "sink/manifest.json: warning: segment filename '../outside.jsonl' is not a plain file name: ignored",
            "sink/manifest.json: warning: segment filename '/etc/x' is not a plain file name: ignored",
            "sink/segment-000002.jsonl: warning: not a regular file (symlinks are not followed): skipped",
            "sink/segment-000009.jsonl: warning: listed in the manifest but not found: skipped",
            "sink/segment-000003.jsonl: warning: not a regular file (symlinks are not followed): skipped",
            "sink/segment-000001.jsonl:4: warning: the last line has no line break and does not parse "
            "(a crash or a live writer leaves one): not read",
        ]
        check(r.stdout.splitlines() == want, f"one warning each: {r.stdout!r}")
        doc = json.loads(inspect("validate", "--json", "sink", cwd=tmp).stdout)
        kinds = sorted((w["kind"], w["severity"]) for w in doc["warnings"])
        check(kinds == sorted([("unsafe-name", "warning")] * 2 + [("not-regular", "warning")] * 2 +
                              [("missing-segment", "warning"), ("torn-line", "warning")]), f"kinds: {kinds}")
        check(doc["valid"] and doc["events"] == 3 and doc["warning_count"] == 6 and doc["problems"] == [],
              f"--json verdict: {doc}")
        torn = [w for w in doc["warnings"] if w["kind"] == "torn-line"]
        check(torn and torn[0]["line"] == 4 and torn[0]["file"] == "sink/segment-000001.jsonl", f"torn: {torn}")
        for command in ("load", "summary", "events"):
            r = inspect(command, "sink", cwd=tmp)
            warned = [x for x in r.stderr.splitlines() if "warning" in x]
            check(len(warned) == 2 and len(set(warned)) == 2, f"{command}: each skipped file once: {warned}")
        # A torn line that is not the last line of its file is an error, as before.
        with open(os.path.join(tmp, "mid.jsonl"), "w") as f:
            f.write('{"torn\n' + open(os.path.join(CASES, "004_v3_jsonl_basic/input.jsonl")).readline())
        r = inspect("validate", "mid.jsonl", cwd=tmp)
        check(r.returncode == 1 and "warning" not in r.stdout, f"torn mid-file: an error: {r.stdout!r}")


TESTS = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        print("usage: reader_tests.py " + "|".join(sorted(TESTS)))
        sys.exit(2)
    if not os.access(INSPECT, os.X_OK):
        print(f"FAIL: stormlog-inspect not found at {INSPECT!r}")
        sys.exit(1)
    os.makedirs(WORK, exist_ok=True)
    TESTS[sys.argv[1]]()
    print(f"{len(cli_tests.failures)} failure(s)")
    sys.exit(1 if cli_tests.failures else 0)
