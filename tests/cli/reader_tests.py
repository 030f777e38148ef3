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
from cli_tests import CASES, INSPECT, WORK, check, inspect, need_cases, skip  # noqa: E402,F401


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
            ["load", sink], ["export", sink, "--format", "perfetto"],
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
