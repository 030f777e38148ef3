#!/usr/bin/env python3
"""The call-site readers tested as a user runs them: `stormlog-inspect stacks`,
`export --format pprof` and `report` on a recording whose stacks the fixture
program (stacks_fixture.c) captured from its own calls, with the truth it
wrote beside it. One concern per ctest test: check_stacks.py NAME."""
import gzip
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from verdict import check, skip  # noqa: E402

INSPECT = os.environ["STORMLOG_INSPECT"]
FIXTURE = os.environ["STORMLOG_STACKS_FIXTURE"]
WORK = os.environ["STORMLOG_STACKS_WORK"]


def fail(msg):
    check(False, msg)
    sys.exit(1)


def expect(cond, msg):
    """A check whose failure ends the test: what follows reads what it checked."""
    if not check(cond, msg):
        sys.exit(1)


def run(*args, ok=True):
    p = subprocess.run([INSPECT, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        fail(f"{args}: exit {p.returncode}\n{p.stderr}")
    return p


def recording(name):
    """A fresh fixture recording in WORK/NAME: (sink dir, truth)."""
    base = os.path.join(WORK, name)
    shutil.rmtree(base, ignore_errors=True)
    sink = os.path.join(base, "sink")
    os.makedirs(sink)
    truth_path = os.path.join(base, "truth.json")
    subprocess.run([FIXTURE, sink, truth_path], check=True)
    with open(truth_path) as f:
        return sink, json.load(f)


def stacks_json(sink, *args):
    return json.loads(run("stacks", sink, "--json", *args).stdout)


def native_frames(frames):
    return [f for f in frames if not f.get("python")]


def check_site_frames(site_id, frames, truth):
    """The frames of a site name the fixture's own call: its Python frames
    first (when it has them), then the native frame of the calling line."""
    want = truth["sites"][site_id]
    if want["python"]:
        expect(frames[0].get("python") and frames[0]["file"].endswith(".py") and isinstance(frames[0]["line"], int),
               f"stack {site_id}: the Python frame nearest the allocation comes first: {frames[0]}")
    native = native_frames(frames)
    expect(native, f"stack {site_id}: no native frames")
    top = native[0]
    expect(top.get("function") == want["function"], f"stack {site_id}: function {top.get('function')} != {want['function']}")
    expect(os.path.basename(top.get("file", "")) == want["file"], f"stack {site_id}: file {top.get('file')} != {want['file']}")
    expect(top.get("line") == want["line"], f"stack {site_id}: line {top.get('line')} != {want['line']}")
    expect(isinstance(top.get("offset"), int) and top.get("module"), f"stack {site_id}: module+offset kept: {top}")
    expect(native[1].get("function") == "main", f"stack {site_id}: the caller is main: {native[1]}")


def check_view(doc, want, truth, label):
    """Sites match the truth's live bytes per stack, largest first."""
    got = {}
    for site in doc["sites"]:
        expect(set(site) >= {"bytes", "allocations", "frames"}, f"{label}: site keys {sorted(site)}")
        key = {"table_full": "table_full", "undefined": "undefined"}.get(site.get("status"), str(site.get("stack_id")))
        got[key] = site["bytes"]
        if site.get("status") is None:
            check_site_frames(key, site["frames"], truth)
        else:
            expect(site["frames"] == [], f"{label}: a site without a stack has no frames: {site}")
    expect(got == want, f"{label}: sites {got} != truth {want}")
    sizes = [s["bytes"] for s in doc["sites"]]
    expect(sizes == sorted(sizes, reverse=True), f"{label}: not largest first: {sizes}")
    expect(doc["live_bytes"] == sum(want.values()), f"{label}: live_bytes {doc['live_bytes']}")


def t_peak():
    sink, truth = recording("peak")
    doc = stacks_json(sink, "--at", "peak")
    expect(doc["at"] == "peak" and doc["device"] == 0, f"peak header: {doc}")
    check_view(doc, truth["peak"], truth, "peak")
    # --device picks the same view; a device without events is an error.
    expect(stacks_json(sink, "--at", "peak", "--device", "0")["sites"] == doc["sites"], "--device 0 differs")
    p = run("stacks", sink, "--device", "3", ok=False)
    expect(p.returncode == 1 and "device 3 has no events" in p.stderr, f"--device 3: {p.returncode} {p.stderr}")


def t_oom():
    sink, truth = recording("oom")
    doc = stacks_json(sink, "--at", "oom")
    check_view(doc, truth["oom"], truth, "oom")
    failed = doc["failed"]
    expect(doc["oom_count"] == 1, f"one OOM: {doc['oom_count']}")
    expect(failed["api"] == "cudaMalloc" and failed["requested_bytes"] == truth["oom_requested"], f"failed: {failed}")
    check_site_frames(str(truth["oom_site"]), failed["frames"], truth)


def t_exit():
    sink, truth = recording("exit")
    check_view(stacks_json(sink, "--at", "exit"), truth["exit"], truth, "exit")


def t_time():
    sink, truth = recording("time")
    # The peak is the 7th event (start + 6 allocations), 1 ms apart: +6ms is
    # right after it, absolute nanoseconds the same.
    check_view(stacks_json(sink, "--at", "+6ms"), truth["peak"], truth, "+6ms")
    start = stacks_json(sink, "--at", "exit")["timestamp_ns"] - 16_000_000  # 17 events
    check_view(stacks_json(sink, "--at", str(start + 6_000_000)), truth["peak"], truth, "absolute time")
    expect(stacks_json(sink, "--at", "+0s")["sites"] == [], "nothing is live at the start")
    p = run("stacks", sink, "--at", "yesterday", ok=False)
    expect(p.returncode == 2 and "--at takes" in p.stderr, f"--at yesterday: {p.returncode} {p.stderr}")


def t_text():
    sink, truth = recording("text")
    out = run("stacks", sink, "--at", "oom").stdout
    lines = out.splitlines()
    expect("just before the out-of-memory error" in lines[0], f"header: {lines[0]}")
    expect(lines[1].startswith("failed: cudaMalloc of 80.0 GiB at /srv/job/model.py:41 in forward"), f"failed line: {lines[1]}")
    weights = next(l for l in lines if "528 MiB" in l)
    expect(weights.split()[2:] == ["3", "/srv/job/train.py:12", "in", "build_model"], f"weights row: {weights}")
    line = truth["sites"]["3"]["line"]
    expect(f"stacks_fixture.c:{line} in alloc_workspace" in out, "the native-only site names its line")
    expect("stack not recorded: the shim's stack table was full" in out, "table-full site")
    expect("unknown call site (stack 999" in out, "undefined site")
    # --top 2: the two largest, the others (one block each) summed on one line.
    out = run("stacks", sink, "--at", "oom", "--top", "2", "--frames", "1").stdout
    expect("528 MiB" in out and "64.0 MiB" in out and "32.0 MiB" not in out, f"--top 2 rows: {out}")
    rest = sum(truth["oom"].values()) - truth["oom"]["1"] - truth["oom"]["3"]
    others = len(truth["oom"]) - 2
    expect(f"{mib(rest)} {others:12d}   {others} other call sites (--top 0 lists them)" in out, f"--top 2 rest: {out}")
    p = run("stacks", sink, "--top", "x", ok=False)
    expect(p.returncode == 2 and "--top takes a count" in p.stderr, f"--top x: {p.stderr}")


def strip_stacks(sink, plain):
    """The same recording without its stacks: as if stacks were off."""
    for name in os.listdir(sink):
        with open(os.path.join(sink, name)) as f, open(os.path.join(plain, name), "w") as g:
            for line in f:
                rec = json.loads(line)
                for k in ("stack_id", "stack", "stack_status"):
                    rec["metadata"].pop(k, None)
                g.write(json.dumps(rec) + "\n")


def t_errors():
    base = os.path.join(WORK, "errors")
    shutil.rmtree(base, ignore_errors=True)
    sink, truth = recording("errors")
    plain = os.path.join(base, "plain")
    os.makedirs(plain)
    strip_stacks(sink, plain)
    p = run("stacks", plain, ok=False)
    expect(p.returncode == 1 and "STORMLOG_STACKS" in p.stderr and len(p.stderr.splitlines()) == 1,
           f"no stacks: {p.returncode} {p.stderr!r}")
    p = run("stacks", plain, "--json", ok=False)
    expect(p.returncode == 1 and "STORMLOG_STACKS" in json.loads(p.stdout)["error"], f"--json error: {p.stdout}")
    p = run("stacks", sink, "--rank", "5", ok=False)
    expect(p.returncode == 1 and "no session of rank 5" in p.stderr, f"--rank 5: {p.stderr}")
    p = run("stacks", sink, "--at", "oom", "--device", "1", ok=False)
    expect(p.returncode == 1 and "no out-of-memory error on device 1" in p.stderr, f"oom on device 1: {p.stderr}")
    p = run("stacks", ok=False)
    expect(p.returncode == 2 and "PATH is required" in p.stderr, f"no PATH: {p.stderr}")


def t_rank():
    """A job directory: --rank picks the rank's session; each rank's stacks
    are its own (the same ids mean different stacks in different sessions)."""
    sink, truth = recording("rank")
    job = os.path.join(WORK, "rank", "job")
    shutil.rmtree(job, ignore_errors=True)
    for rank in (0, 1):
        out = os.path.join(job, f"rank-{rank}")
        os.makedirs(out)
        for name in os.listdir(sink):
            with open(os.path.join(sink, name)) as f, open(os.path.join(out, name), "w") as g:
                for line in f:
                    rec = json.loads(line)
                    rec.update(session_id=f"sess-rank-{rank}", rank=rank, world_size=2, job_id="job-1")
                    stack = rec["metadata"].get("stack")
                    if rank == 1 and stack and "python" in stack:
                        stack["python"][0]["function"] += "_rank1"
                    g.write(json.dumps(rec) + "\n")
    for rank in (0, 1):
        doc = stacks_json(job, "--rank", str(rank))
        expect(doc["session_id"] == f"sess-rank-{rank}" and doc["rank"] == rank, f"--rank {rank}: {doc['session_id']}")
        check_view(doc, truth["peak"], truth, f"rank {rank}")
        want = "build_model" + ("_rank1" if rank else "")
        expect(doc["sites"][0]["frames"][0]["function"] == want, f"rank {rank}'s own stacks: {doc['sites'][0]['frames'][0]}")
    expect(stacks_json(job, "--session", "sess-rank-1")["rank"] == 1, "--session picks the session")
    p = run("stacks", job, "--session", "nosuch", ok=False)
    expect(p.returncode == 1 and "no session nosuch" in p.stderr, f"--session nosuch: {p.stderr}")


def rewrite_modules(sink, change):
    for name in os.listdir(sink):
        path = os.path.join(sink, name)
        with open(path) as f:
            recs = [json.loads(line) for line in f]
        for rec in recs:
            stack = rec["metadata"].get("stack")
            for frame in stack.get("native", []) if stack else []:
                change(frame)
        with open(path, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in recs)


def t_build_id_mismatch():
    sink, truth = recording("mismatch")
    fixture = os.path.realpath(FIXTURE)

    def other_build(frame):
        if frame.get("module") == fixture:
            frame["build_id"] = "00" * 20
    rewrite_modules(sink, other_build)
    p = run("stacks", sink, "--json")
    doc = json.loads(p.stdout)
    for site in doc["sites"]:
        for frame in native_frames(site["frames"]):
            if frame.get("module") == fixture:
                expect("function" not in frame and "line" not in frame, f"a module of another build is not used: {frame}")
                expect(isinstance(frame["offset"], int), "its frames keep module+offset")
    expect(f"{fixture}: its build-id differs from the recorded one" in p.stderr, f"the note: {p.stderr}")
    out = run("stacks", sink).stdout
    expect("stacks_fixture+0x" in out, f"text shows module+offset: {out}")


def t_demangle():
    """C++ names come demangled: a frame at a C++ function of this machine's
    libstdc++ (its address from nm, its build-id from readelf, the expected
    name from c++filt)."""
    lib = next((p for p in ("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6",
                            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6") if os.path.exists(p)), None)
    tools = all(shutil.which(t) for t in ("nm", "readelf", "c++filt"))
    if not lib or not tools:
        skip("needs libstdc++.so.6 and binutils (nm, readelf, c++filt)")
    lib = os.path.realpath(lib)
    syms = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
    addr, mangled = next((int(a, 16), n.split("@")[0]) for a, t, n in (l.split() for l in syms.splitlines() if l.count(" ") == 2)
                         if t == "T" and n.startswith("_ZNSt6thread"))
    notes = subprocess.run(["readelf", "-n", lib], capture_output=True, text=True, check=True).stdout
    build_id = next(l.split(":")[1].strip() for l in notes.splitlines() if "Build ID" in l)
    want = subprocess.run(["c++filt", mangled], capture_output=True, text=True, check=True).stdout.strip()
    expect(want != mangled, f"c++filt demangles {mangled}")
    sink, truth = recording("demangle")
    first = {}

    def into_libstdcxx(frame):
        if not first:  # the innermost native frame of the first definition
            first["done"] = True
            frame.clear()
            frame.update(module=lib, offset=addr + 1, build_id=build_id)
    rewrite_modules(sink, into_libstdcxx)
    doc = stacks_json(sink, "--at", "peak")
    frames = [f for site in doc["sites"] for f in site["frames"] if f.get("module") == lib]
    expect(frames and frames[0].get("function") == want, f"demangled {mangled}: {frames[:1]} != {want}")


def t_tolerant():
    sink, truth = recording("tolerant")
    # Definitions with missing and mistyped parts, a frame without a module,
    # a missing file: nothing fails, what is known is shown.
    def damage(frame):
        if frame.get("module", "").endswith("libc.so.6"):
            frame["module"] = "/nonexistent/libc.so.6"
        elif "stacks_fixture_lib" in frame.get("module", ""):
            del frame["module"]
            frame["offset"] = "not a number"
    rewrite_modules(sink, damage)
    doc = stacks_json(sink, "--at", "peak")
    expect(sum(s["bytes"] for s in doc["sites"]) == sum(truth["peak"].values()), "bytes unchanged by damaged frames")
    p = run("stacks", sink)
    expect("/nonexistent/libc.so.6: no such file here" in p.stderr, f"the note: {p.stderr}")


# ---- pprof: decoded here from the wire format, checked by profile.proto's rules

def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def fields(buf):
    """(field number, wire type, value) of one message; packed repeated
    varints come as bytes (wire type 2)."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:
            fail(f"pprof: unexpected wire type {wt} in field {num}")
        yield num, wt, v


def ints(wt, v):
    """A repeated integer field: packed (bytes) or one varint."""
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def message(buf, repeated_ints=(), strings=(), messages=()):
    out = {}
    for num, wt, v in fields(buf):
        if num in repeated_ints:
            out.setdefault(num, []).extend(ints(wt, v))
        elif num in strings:
            out.setdefault(num, []).append(v.decode())
        elif num in messages:
            out.setdefault(num, []).append(v)
        else:
            out[num] = v
    return out


def decode_profile(data):
    expect(data[:2] == b"\x1f\x8b", "pprof output is gzipped")
    p = message(gzip.decompress(data), strings={6}, repeated_ints={13}, messages={1, 2, 3, 4, 5, 11})
    prof = {
        "strings": p.get(6, []),
        "sample_type": [message(m) for m in p.get(1, [])],
        "samples": [message(m, repeated_ints={1, 2}, messages={3}) for m in p.get(2, [])],
        "mappings": [message(m) for m in p.get(3, [])],
        "locations": [message(m, messages={4}) for m in p.get(4, [])],
        "functions": [message(m) for m in p.get(5, [])],
        "default_sample_type": p.get(14, 0),
        "comment": p.get(13, []),
    }
    for loc in prof["locations"]:
        loc["lines"] = [message(l) for l in loc.get(4, [])]
    return prof


def check_profile_rules(prof):
    st = prof["strings"]
    expect(st and st[0] == "", "string_table[0] is the empty string")
    n = len(st)

    def string(i, what):
        expect(0 <= signed(i) < n, f"{what}: string index {i} out of range")
        return st[i]
    expect(len(prof["sample_type"]) == 2, "two sample types")
    types = [(string(v.get(1, 0), "type"), string(v.get(2, 0), "unit")) for v in prof["sample_type"]]
    expect(types == [("inuse_space", "bytes"), ("alloc_space", "bytes")], f"sample types {types}")
    expect(string(prof["default_sample_type"], "default") == "inuse_space", "default sample type")
    for c in prof["comment"]:
        string(c, "comment")
    for kind in ("mappings", "locations", "functions"):
        ids = [m.get(1, 0) for m in prof[kind]]
        expect(all(i != 0 for i in ids), f"{kind}: every id is non-zero")
        expect(len(set(ids)) == len(ids), f"{kind}: ids are unique")
    mapping_ids = {m[1] for m in prof["mappings"]}
    function_ids = {f[1] for f in prof["functions"]}
    location_ids = {l[1] for l in prof["locations"]}
    for m in prof["mappings"]:
        string(m.get(5, 0), "mapping filename")
        string(m.get(6, 0), "mapping build_id")
    for f in prof["functions"]:
        for k in (2, 3, 4):
            string(f.get(k, 0), "function string")
    for loc in prof["locations"]:
        expect(loc.get(2, 0) == 0 or loc[2] in mapping_ids, f"location {loc[1]}: mapping {loc.get(2)} exists")
        for line in loc["lines"]:
            expect(line.get(1, 0) in function_ids, f"location {loc[1]}: function {line.get(1)} exists")
    for s in prof["samples"]:
        expect(len(s.get(2, [])) == len(prof["sample_type"]), "one value per sample type")
        expect(s.get(1), "every sample has a location")
        expect(all(i in location_ids for i in s[1]), f"sample locations exist: {s[1]}")


def sample_view(prof):
    """Each sample as (inuse, alloc, [frame names leaf first])."""
    st = prof["strings"]
    funcs = {f[1]: f for f in prof["functions"]}
    locs = {l[1]: l for l in prof["locations"]}
    out = []
    for s in prof["samples"]:
        names = []
        for lid in s[1]:
            lines = locs[lid]["lines"]
            names.append((st[funcs[lines[0][1]].get(2, 0)], signed(lines[0].get(2, 0))) if lines else None)
        inuse, alloc = (signed(v) for v in s[2])
        out.append((inuse, alloc, names))
    return out


def t_pprof():
    sink, truth = recording("pprof")
    out = os.path.join(WORK, "pprof", "profile.pb.gz")
    run("export", sink, "--format", "pprof", "-o", out)
    with open(out, "rb") as f:
        prof = decode_profile(f.read())
    check_profile_rules(prof)
    samples = sample_view(prof)
    inuse = sorted(s[0] for s in samples if s[0])
    expect(inuse == sorted(truth["peak"].values()), f"inuse_space at the peak: {inuse} != {truth['peak']}")
    weights = next(s for s in samples if s[0] == truth["peak"]["1"])
    want = truth["sites"]["1"]
    expect(weights[2][0] == ("build_model", 12), f"leaf first: the Python frame: {weights[2][:3]}")
    expect(weights[2][2] == (want["function"], want["line"]), f"then the native call: {weights[2][2]}")
    # alloc_space: everything the session allocated, per site.
    total = sum(s[1] for s in samples)
    expect(total == sum(truth["peak"].values()) + 16 * 2**20 * 2 + 32 * 2**20 + 8 * 2**20,
           f"alloc_space total {total}")
    expect(any(s[2] == [("stack not recorded: the shim's stack table was full", 0)] for s in samples),
           "the table-full site is one labelled location")
    # --at exit changes inuse, not alloc; stdout when redirected.
    p = subprocess.run([INSPECT, "export", sink, "--format", "pprof", "--at", "exit"], capture_output=True)
    expect(p.returncode == 0, f"to stdout: {p.stderr}")
    exit_samples = sample_view(decode_profile(p.stdout))
    expect(sorted(s[0] for s in exit_samples if s[0]) == sorted(truth["exit"].values()), "inuse at exit")
    expect(sum(s[1] for s in exit_samples) == total, "alloc_space does not depend on --at")
    go = shutil.which("go")
    if go:
        top = subprocess.run([go, "tool", "pprof", "-top", out], capture_output=True, text=True)
        expect(top.returncode == 0 and "alloc_weights" in top.stdout, f"go tool pprof -top: {top.stderr}")
        print("go tool pprof -top opened the profile")
    else:
        print("note: go is not installed; go tool pprof -top not run")


# ---- the report's "where the memory was" -------------------------------------

def report_sections(html_text):
    """{h4 heading: [[cell text, ...] per row]} of the call-site section."""
    import html
    import re
    start = html_text.find("Where the memory was (call sites)")
    if start < 0:
        return None
    part = html_text[start:]
    end = part.find("<h2")
    part = part[:end] if end >= 0 else part
    out = {}
    for block in re.split(r"<h4>", part)[1:]:
        heading, _, body = block.partition("</h4>")
        rows = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            cells = []
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S):
                code = re.search(r"<code>(.*?)</code>", cell, re.S)  # a site: its title
                text = code.group(1) if code else cell
                cells.append(html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
            if cells:
                rows.append((cells, html.unescape(re.sub(r"<[^>]+>", " ", row))))
        out[html.unescape(re.sub(r"<[^>]+>", "", heading))] = rows
    return out


def mib(n):
    """As the report writes sizes: three significant digits."""
    v = n / 2**20
    return f"{v:.0f} MiB" if v >= 100 else f"{v:.1f} MiB" if v >= 10 else f"{v:.2f} MiB"


def t_report():
    sink, truth = recording("report")
    page = os.path.join(WORK, "report", "report.html")
    run("report", sink, "-o", page)
    with open(page) as f:
        sections = report_sections(f.read())
    expect(sections is not None, "the report has the call-site section")
    heads = list(sections)
    expect(len(heads) == 3 and heads[0].startswith("At the peak, device 0") and
           heads[1].startswith("Just before the out-of-memory error, device 0") and
           heads[2].startswith("Still allocated at the end, device 0"), f"sections: {heads}")
    peak = sections[heads[0]]
    expect([r[0][0] for r in peak] == [mib(b) for b in sorted(truth["peak"].values(), reverse=True)],
           f"peak rows: {[r[0] for r in peak]}")
    expect(peak[0][0][2] == "/srv/job/train.py:12 in build_model", f"the largest site's title: {peak[0][0]}")
    w = truth["sites"]["1"]
    expect(f"{w['file']}:{w['line']} in {w['function']}" in peak[0][1], "its native frame in the details")
    oom = sections[heads[1]]
    failed = oom[0]
    expect(failed[0][:2] == ["cudaMalloc", "80.0 GiB"], f"the OOM row names the failed call: {failed[0]}")
    o = truth["sites"][str(truth["oom_site"])]
    expect(f"{o['file']}:{o['line']} in {o['function']}" in failed[1], f"and its call site: {failed[1]}")
    expect(sorted(r[0][0] for r in oom[1:]) == sorted(mib(b) for b in truth["oom"].values()), "live before the OOM")
    exit_rows = sections[heads[2]]
    expect(sorted(r[0][0] for r in exit_rows) == sorted(mib(b) for b in truth["exit"].values()), "live at the end")
    # A recording without stacks: the report has no such section.
    plain = os.path.join(WORK, "report", "plain")
    os.makedirs(plain, exist_ok=True)
    strip_stacks(sink, plain)
    run("report", plain, "-o", page)
    with open(page) as f:
        expect(report_sections(f.read()) is None, "no call-site section without stacks")


# ---- the reference loader reads a recording with stacks unchanged -----------

def t_reference_loader():
    """A conformance case of our own: the reference Python loader
    (../shared/reference) loads the recording with its stacks, and answers
    what our loader answers, metadata (stacks) included."""
    shared = os.environ.get("STORMLOG_SHARED_DIR", "")
    oracle = os.path.join(shared, "reference", "oracle_load.py")
    if not os.path.exists(oracle):
        skip(f"the reference loader is not at {oracle}")
    sink, truth = recording("reference")
    ref = subprocess.run([sys.executable, oracle, "--raw", sink], capture_output=True, text=True)
    expect(ref.returncode == 0, f"the reference loader refused the recording: {ref.stdout} {ref.stderr}")
    ref_doc = json.loads(ref.stdout)
    ours = json.loads(run("load", sink).stdout)
    expect(ref_doc == ours, "the reference loader and ours answer differently")
    events = ref_doc["sessions"][0]["events"]
    on_disk = []
    for name in sorted(os.listdir(sink)):
        with open(os.path.join(sink, name)) as f:
            on_disk += [json.loads(line) for line in f]
    expect(len(events) == len(on_disk) == 17, f"every record loads: {len(events)} of {len(on_disk)}")
    for ev, rec in zip(events, on_disk):
        expect(ev["metadata"] == rec["metadata"], f"metadata kept as written: {rec['metadata']}")
    defs = [e["metadata"] for e in events if "stack" in e["metadata"]]
    expect(len(defs) == 6, f"stack definitions: 5 stacks, one defined again in segment 2: {len(defs)}")
    again = [d for d in defs if d["stack_id"] == 1]
    expect(len(again) == 2 and again[0]["stack"] == again[1]["stack"], "the repeated definition is the same")


# ---- end to end: the shim records a Python workload, the readers name its lines

def t_python_workload():
    """tests/workloads/stacks_workload.py under the shim (ctypes and the plugin
    route into the CUDA double): `stacks --at peak` names each `# SITE` line
    with its exact bytes, `--at oom` the line whose allocation failed."""
    need = ["STORMLOG_SHIM_LIB", "STORMLOG_CUDART_DOUBLE", "STORMLOG_WORKLOAD_PLUGIN", "STORMLOG_STACKS_WORKLOAD"]
    if not all(os.environ.get(k) for k in need):
        skip("needs the shim, the CUDA runtime double and the workload plugin")
    if "thread" in os.environ.get("STORMLOG_SANITIZE", ""):
        skip("TSan cannot be preloaded into an uninstrumented python3")
    workload = os.environ["STORMLOG_STACKS_WORKLOAD"]
    base = os.path.join(WORK, "python-workload")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    truth_path = os.path.join(base, "truth.json")
    preload = " ".join(p for p in (os.environ.get("STORMLOG_SANITIZER_PRELOAD"), os.environ["STORMLOG_SHIM_LIB"]) if p)
    env = dict(os.environ, LD_PRELOAD=preload, STORMLOG_OUTPUT_DIR=os.path.join(base, "out"), STORMLOG_STACKS="all",
               STORMLOG_QUIET="1", ASAN_OPTIONS="detect_leaks=0")
    p = subprocess.run([sys.executable, workload, "--lib", os.environ["STORMLOG_CUDART_DOUBLE"], "--plugin",
                        os.environ["STORMLOG_WORKLOAD_PLUGIN"], "--truth", truth_path], env=env,
                       capture_output=True, text=True)
    expect(p.returncode == 0, f"the workload failed: {p.stderr}")
    sinks = [d for d, _, files in os.walk(os.path.join(base, "out")) if "manifest.json" in files]
    expect(len(sinks) == 1, f"one sink directory: {sinks}")
    with open(truth_path) as f:
        truth = json.load(f)
    with open(workload) as f:
        lines = {l.split("# SITE ")[1].strip(): n for n, l in enumerate(f, 1) if "# SITE " in l}
    doc = stacks_json(sinks[0], "--at", "peak")
    for name in ("weights", "activations", "optimizer", "plugin"):
        site = next((s for s in doc["sites"] if s["frames"] and s["frames"][0].get("python")
                     and s["frames"][0]["file"] == workload and s["frames"][0]["line"] == lines[name]), None)
        expect(site is not None, f"{name}: no call site at {workload}:{lines[name]}")
        expect(site["frames"][0]["function"] == truth["functions"][name], f"{name}: {site['frames'][0]}")
        expect(site["bytes"] == truth["bytes"][name] and site["allocations"] == truth["allocations"][name],
               f"{name}: {site['bytes']} bytes in {site['allocations']} != {truth['bytes'][name]}")
    expect(any(s["bytes"] == truth["bytes"]["gil_released"] for s in doc["sites"]), "the GIL-released call's site")
    oom = stacks_json(sinks[0], "--at", "oom")
    top = oom["failed"]["frames"][0]
    expect(top.get("line") == lines["oom"] and top.get("function") == truth["functions"]["oom"],
           f"the OOM names {workload}:{lines['oom']}: {top}")
    expect(oom["failed"]["requested_bytes"] == truth["bytes"]["oom"], "the OOM's requested bytes")


TESTS = {n[2:]: f for n, f in globals().items() if n.startswith("t_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        print("usage: check_stacks.py " + "|".join(TESTS))
        sys.exit(2)
    os.makedirs(WORK, exist_ok=True)
    TESTS[sys.argv[1]]()
    print("ok")
