#!/usr/bin/env python3
"""Call stacks of allocations (issue 16, the shim's side): programs run under
LD_PRELOAD and their segments are read raw, line by line, to check the wire
format (metadata.stack_id, the per-segment metadata.stack definitions,
metadata.stack_status, the stop's metadata.stacks) against what the programs
know about themselves: the workload's `# SITE` lines and bytes, the C
program's symbol table.

    stacks_driver.py CASE --shim SO --sink-check EXE --prog NAME=PATH ...
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interpose"))
from interpose_driver import (KEEP_EVERYTHING, SKIP, Context, expect, load_truth, only_session,  # noqa: E402
                              run_case, sink_dirs, validate)

MiB = 1 << 20
BUILD_ID = re.compile(r"^[0-9a-f]+$")


# ---- reading the segments ------------------------------------------------------

def segments(sink_dir):
    """[(file name, [records])] in segment order."""
    out = []
    for name in sorted(os.listdir(sink_dir)):
        if name.startswith("segment-") and name.endswith(".jsonl"):
            with open(os.path.join(sink_dir, name), encoding="utf-8") as f:
                out.append((name, [json.loads(line) for line in f if line.strip()]))
    return out


def check_frames(stack, where):
    for frame in stack.get("python", []):
        expect(set(frame) == {"file", "function", "line"}, f"{where}: python frame {frame}")
        expect(isinstance(frame["line"], int), f"{where}: python line {frame}")
    for frame in stack.get("native", []):
        expect(set(frame) <= {"module", "offset", "build_id"} and isinstance(frame.get("offset"), int),
               f"{where}: native frame {frame}")
        if "build_id" in frame:
            expect(BUILD_ID.match(frame["build_id"]), f"{where}: build_id {frame['build_id']}")
    expect(stack.get("truncated", True) is True, f"{where}: truncated is {stack.get('truncated')}")
    expect(set(stack) <= {"python", "native", "truncated"}, f"{where}: stack keys {sorted(stack)}")
    expect(stack.get("python") or stack.get("native"), f"{where}: an empty stack")


def resolve_stacks(sink_dir):
    """Every segment defines each stack it uses with the first record that
    carries its id, and only there; a definition repeated in another segment
    is identical. Returns (records with their stack or None, {id: stack})."""
    known = {}
    resolved = []
    for name, records in segments(sink_dir):
        defined_here = set()
        for i, rec in enumerate(records):
            meta = rec["metadata"]
            where = f"{name}:{i + 1}"
            sid = meta.get("stack_id")
            if rec["event_type"] not in ("allocation", "error"):
                expect(sid is None and "stack" not in meta, f"{where}: a {rec['event_type']} with a stack")
            if sid is None:
                expect("stack" not in meta, f"{where}: a definition without stack_id")
                resolved.append((rec, None))
                continue
            expect(isinstance(sid, int) and sid > 0, f"{where}: stack_id {sid!r}")
            expect("stack_status" not in meta, f"{where}: stack_id and stack_status")
            if sid not in defined_here:
                expect("stack" in meta, f"{where}: first use of stack {sid} in {name} has no definition")
                check_frames(meta["stack"], where)
                if sid in known:
                    expect(known[sid] == meta["stack"], f"{where}: stack {sid} defined differently")
                known[sid] = meta["stack"]
                defined_here.add(sid)
            else:
                expect("stack" not in meta, f"{where}: stack {sid} defined twice in {name}")
            resolved.append((rec, known[sid]))
    return resolved, known


def stop_of(sink_dir):
    last = segments(sink_dir)[-1][1][-1]
    expect(last["event_type"] == "stop", f"{sink_dir}: last record is {last['event_type']}")
    return last["metadata"]


# ---- running things ---------------------------------------------------------------

def site_lines(path):
    lines = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = re.search(r"# SITE (\w+)", line)
            if m:
                lines[m.group(1)] = number
    return lines


def python_skip(ctx):
    if "thread" in ctx.sanitizer:
        print("SKIP: TSan cannot be preloaded into an uninstrumented python3")
        return True
    return False


def run_workload(ctx, name, extra=None, plugin_ops=200):
    out = ctx.out_dir(name)
    truth = os.path.join(ctx.tmp, name + ".truth.json")
    env = {"ASAN_OPTIONS": "detect_leaks=0"}
    env.update(extra or {})
    ctx.run([sys.executable, ctx.prog("workload"), "--lib", ctx.prog("cudart"), "--plugin", ctx.prog("plugin"),
             "--truth", truth, "--plugin-ops", str(plugin_ops)], out, extra=env)
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"{out}: sink directories {dirs}")
    return dirs[0], load_truth(truth)


def main_thread(resolved):
    first = next(rec for rec, _ in resolved if rec["event_type"] == "start")
    return first["metadata"]["thread_id"]


def innermost_python(stack):
    frames = (stack or {}).get("python") or []
    return frames[0] if frames else None


# ---- cases ---------------------------------------------------------------------------

def case_python_sites(ctx):
    """Each known line of the workload holds its exact bytes; the OOM names its line;
    a call that released the GIL and the plugin's threads get native frames only."""
    if python_skip(ctx):
        return SKIP
    sink, truth = run_workload(ctx, "python-sites")
    only_session(ctx, os.path.dirname(os.path.dirname(sink)))
    resolved, known = resolve_stacks(sink)
    script = os.path.realpath(ctx.prog("workload"))
    lines = site_lines(script)
    by_site = {}
    for rec, stack in resolved:
        top = innermost_python(stack)
        if rec["event_type"] != "allocation" or top is None:
            continue
        expect(os.path.realpath(top["file"]) == script, f"innermost python frame in {top['file']}")
        site = next((s for s, line in lines.items() if line == top["line"]), None)
        expect(site is not None, f"an allocation at line {top['line']}, not a site")
        expect(top["function"] == truth["functions"][site], f"{site}: function {top['function']}")
        got = by_site.setdefault(site, [0, 0])
        got[0] += rec["metadata"]["size"]
        got[1] += 1
    for site in ("weights", "activations", "optimizer", "plugin"):
        expect(by_site.get(site) == [truth["bytes"][site], truth["allocations"][site]],
               f"{site}: {by_site.get(site)} bytes/allocations, truth {truth['bytes'][site]}")
    # The plugin route: the first native frame is in the plugin's code.
    plugin = os.path.realpath(ctx.prog("plugin"))
    through = [stack for rec, stack in resolved
               if rec["event_type"] == "allocation" and rec["metadata"]["size"] == truth["bytes"]["plugin"]]
    expect(len(through) == 1 and os.path.realpath(through[0]["native"][0].get("module", "")) == plugin,
           f"the plugin allocation's first native frame: {through and through[0]['native'][:1]}")
    # The GIL was released around that call: native frames, no Python.
    released = [stack for rec, stack in resolved
                if rec["event_type"] == "allocation" and rec["metadata"]["size"] == truth["bytes"]["gil_released"]]
    expect(len(released) == 1 and released[0] and "python" not in released[0] and released[0].get("native"),
           f"the GIL-released allocation's stack: {released}")
    # The OOM names the line that failed.
    ooms = [(rec, stack) for rec, stack in resolved
            if rec["event_type"] == "error" and rec["metadata"].get("oom_reason")
            and rec["metadata"].get("requested_bytes") == truth["bytes"]["oom"]]
    expect(len(ooms) == 1, f"{len(ooms)} OOM records of the workload's size")
    top = innermost_python(ooms[0][1])
    expect(top and top["line"] == lines["oom"] and top["function"] == "too_big", f"the OOM's frame {top}")
    # Threads that never ran Python: native frames only.
    main = main_thread(resolved)
    others = [stack for rec, stack in resolved
              if rec["event_type"] == "allocation" and rec["metadata"]["thread_id"] != main]
    expect(others, "the plugin's threads allocated nothing")
    for stack in others:
        expect(stack and "python" not in stack and stack.get("native"), f"plugin thread stack {stack}")
    stop = stop_of(sink)["stacks"]
    expect(stop["mode"] == "all" and stop["interned"] == len(known) and stop["table_full"] == 0,
           f"stop stacks {stop}, {len(known)} ids seen")


def symbols(binary):
    """{name: (start, end)} of the functions in binary's symbol table."""
    out = subprocess.run(["nm", "-S", "--defined-only", binary], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            start, size = int(parts[0], 16), int(parts[1], 16)
            table[parts[3]] = (start, start + size)
    return table


def build_id(binary):
    out = subprocess.run(["readelf", "-n", binary], stdout=subprocess.PIPE, text=True, check=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else None


def function_at(table, offset):
    """The function holding a return address (looked up as offset - 1)."""
    for name, (start, end) in table.items():
        if start <= offset - 1 < end:
            return name
    return None


def run_native(ctx, name, args=(), extra=None):
    out = ctx.out_dir(name)
    ctx.run([ctx.prog("native_sites"), *args], out, extra=extra)
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"{out}: sink directories {dirs}")
    return dirs[0]


def case_native_sites(ctx):
    """A C program's native frames are module + offset + build-id that resolve
    to the functions that allocated; no Python frames without an interpreter."""
    binary = os.path.realpath(ctx.prog("native_sites"))
    table = symbols(binary)
    sink = run_native(ctx, "native-sites")
    resolved, _ = resolve_stacks(sink)
    want = {3 * MiB: ["stacks_site_weights", "main"],
            5 * MiB: ["stacks_site_activations", "stacks_site_caller", "main"]}
    seen = set()
    for rec, stack in resolved:
        if rec["event_type"] != "allocation":
            continue
        expect(stack and "python" not in stack, f"stack of a program without Python: {stack}")
        chain = want.get(rec["metadata"]["size"])
        expect(chain is not None, f"unexpected allocation of {rec['metadata']['size']}")
        frames = stack["native"][:len(chain)]
        for frame in frames:
            expect(os.path.realpath(frame.get("module", "")) == binary, f"frame outside the program: {frame}")
            expect(frame.get("build_id") == build_id(binary), f"build id {frame.get('build_id')}")
        names = [function_at(table, f["offset"]) for f in frames]
        expect(names == chain, f"{rec['metadata']['size']} bytes: frames in {names}, want {chain}")
        seen.add(rec["metadata"]["size"])
    expect(seen == set(want), f"sites seen: {seen}")


def case_depth_limit(ctx):
    """STORMLOG_STACK_DEPTH keeps the innermost frames and says the stack was cut."""
    table = symbols(os.path.realpath(ctx.prog("native_sites")))
    sink = run_native(ctx, "depth", ["deep", "12"], {"STORMLOG_STACK_DEPTH": "3"})
    resolved, known = resolve_stacks(sink)
    stacks = [stack for rec, stack in resolved if rec["event_type"] == "allocation"]
    expect(len(stacks) == 1 and len(stacks[0]["native"]) == 3 and stacks[0].get("truncated") is True,
           f"stack {stacks}")
    names = [function_at(table, f["offset"]) for f in stacks[0]["native"]]
    expect(names == ["stacks_site_deep"] * 3, f"innermost frames in {names}")
    stop = stop_of(sink)["stacks"]
    expect(stop["truncated"] == 1 and stop["interned"] == len(known) == 1, f"stop stacks {stop}")
    # Unlimited enough: the whole chain, not truncated.
    sink = run_native(ctx, "depth-whole", ["deep", "12"], {"STORMLOG_STACK_DEPTH": "64"})
    resolved, _ = resolve_stacks(sink)
    stack = next(stack for rec, stack in resolved if rec["event_type"] == "allocation")
    names = [function_at(table, f["offset"]) for f in stack["native"]]
    expect("truncated" not in stack and names.count("stacks_site_deep") == 13 and "main" in names,
           f"whole stack: {names}")


def check_retained(ctx, sink):
    resolved, known = resolve_stacks(sink)
    expect(known, "no stacks in the retained segments")
    with open(os.path.join(sink, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    return resolved, manifest


def case_retention_events(ctx):
    """Segments cut by event count, older ones deleted: each retained segment
    defines the stacks it uses."""
    if python_skip(ctx):
        return SKIP
    sink, _ = run_workload(ctx, "retention-events", {"STORMLOG_ROLLOVER_EVENTS": "10",
                                                     "STORMLOG_RETENTION_FILES": "4"})
    check_retained(ctx, sink)
    names = [name for name, _ in segments(sink)]
    expect(len(names) == 4 and names[0] != "segment-000001.jsonl", f"retained {names}")


def case_retention_bytes(ctx):
    """Segments cut by size (the line that crosses the limit moves to the next
    segment and must take its definition along)."""
    if python_skip(ctx):
        return SKIP
    sink, _ = run_workload(ctx, "retention-bytes", {"STORMLOG_ROLLOVER_BYTES": "65536", **KEEP_EVERYTHING},
                           plugin_ops=3000)
    check_retained(ctx, sink)
    names = [name for name, _ in segments(sink)]
    expect(len(names) >= 4, f"only {len(names)} segments")


def case_table_full(ctx):
    """A full table: records say stack_status table_full, the stop counts them."""
    if python_skip(ctx):
        return SKIP
    sink, _ = run_workload(ctx, "table-full", {"STORMLOG_STACK_TABLE": "2"})
    resolved, known = resolve_stacks(sink)
    full = [rec for rec, _ in resolved if rec["metadata"].get("stack_status") == "table_full"]
    for rec in full:
        expect("stack_id" not in rec["metadata"] and "stack" not in rec["metadata"], "table_full with a stack")
    stop = stop_of(sink)["stacks"]
    expect(len(known) == 2 and stop["interned"] == 2, f"{len(known)} stacks, stop {stop}")
    expect(full and stop["table_full"] == len(full), f"{len(full)} table_full records, stop {stop}")


def case_python_only(ctx):
    """STORMLOG_STACKS=python: Python frames only; allocations without any go bare."""
    if python_skip(ctx):
        return SKIP
    sink, truth = run_workload(ctx, "python-only", {"STORMLOG_STACKS": "python"})
    resolved, known = resolve_stacks(sink)
    expect(known and all(set(s) <= {"python", "truncated"} for s in known.values()), "native frames recorded")
    main = main_thread(resolved)
    for rec, stack in resolved:
        if rec["event_type"] == "allocation" and rec["metadata"]["thread_id"] != main:
            expect(stack is None and "stack_status" not in rec["metadata"], f"a plugin thread's stack {stack}")
    expect(stop_of(sink)["stacks"]["mode"] == "python", "stop mode")


def case_native_only(ctx):
    """STORMLOG_STACKS=native: no Python frames."""
    if python_skip(ctx):
        return SKIP
    sink, _ = run_workload(ctx, "native-only", {"STORMLOG_STACKS": "native"})
    resolved, known = resolve_stacks(sink)
    expect(known and all(set(s) <= {"native", "truncated"} for s in known.values()), "python frames recorded")
    allocations = [stack for rec, stack in resolved if rec["event_type"] == "allocation"]
    expect(all(allocations), "an allocation without a stack")
    expect(stop_of(sink)["stacks"]["mode"] == "native", "stop mode")


def case_off(ctx):
    """STORMLOG_STACKS=off: records as they were before stacks."""
    sink = run_native(ctx, "off", extra={"STORMLOG_STACKS": "off"})
    for name, records in segments(sink):
        for rec in records:
            meta = rec["metadata"]
            expect(not {"stack_id", "stack", "stack_status"} & set(meta), f"{name}: {sorted(meta)}")
    stop = stop_of(sink)["stacks"]
    expect(stop == {"mode": "off", "interned": 0, "table_full": 0, "truncated": 0}, f"stop stacks {stop}")


def case_fork(ctx):
    """A fork child's sink defines the stacks it uses, although the parent's
    writer had defined the same id in its own segment 1 before the fork."""
    # The reasons interpose_driver.py's fork case gives: TSan cannot follow a
    # child of a multi-threaded parent that starts a thread (our writer), and
    # gcc 12's ASan allocator is not fork-safe while another thread (our
    # writer) may be inside malloc. The plain build runs it.
    if "thread" in ctx.sanitizer or "address" in ctx.sanitizer:
        print("SKIP: the sanitizer cannot follow a fork child of a multi-threaded parent (see case_fork)")
        return SKIP
    out = ctx.out_dir("fork")
    ctx.run([ctx.prog("native_sites"), "fork"], out)
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 2, f"sink directories {dirs}")
    ids = []
    for sink in dirs:
        resolved, known = resolve_stacks(sink)
        ids.append(set(known))
    expect(ids[0] & ids[1], f"parent and child share no stack id: {ids}")


def case_threads(ctx):
    """8 threads, 16 sites at once: every record resolves, each site (its
    depth of stacks_site_depth frames) holds the bytes its allocations made."""
    table = symbols(os.path.realpath(ctx.prog("native_sites")))
    sink = run_native(ctx, "threads", ["threads"], KEEP_EVERYTHING)
    resolved, known = resolve_stacks(sink)
    counts = {}
    for rec, stack in resolved:
        if rec["event_type"] != "allocation":
            continue
        expect(stack is not None, "an allocation without a stack")
        names = [function_at(table, f["offset"]) for f in stack["native"]]
        expect(names[0] == "stacks_site_loop", f"innermost frame in {names[0]}")
        depth = names.count("stacks_site_depth") - 1
        counts[depth] = counts.get(depth, 0) + 1
    expect(counts == {d: 8 * 13 for d in range(16)}, f"allocations by site {counts}")
    # A racing insert may give a stack a second id; never more ids than threads per stack.
    stop = stop_of(sink)["stacks"]
    expect(16 <= stop["interned"] <= 16 * 8 and stop["interned"] == len(known) and stop["table_full"] == 0,
           f"stop stacks {stop}, {len(known)} ids")


def case_bad_settings(ctx):
    """A bad STORMLOG_STACKS* value: one stderr line each from the recording
    process, and the default is used."""
    out = ctx.out_dir("bad-settings")
    proc = ctx.run([ctx.prog("native_sites")], out,
                   extra={"STORMLOG_STACKS": "sometimes", "STORMLOG_STACK_DEPTH": "0", "STORMLOG_STACK_TABLE": "x"})
    lines = [line for line in proc.stderr.splitlines() if line.startswith("stormlog:")]
    expect(lines == ["stormlog: STORMLOG_STACKS='sometimes' is not off, python, native or all; using all",
                     "stormlog: STORMLOG_STACK_DEPTH='0' is not an integer in [1, 64]; using 32",
                     "stormlog: STORMLOG_STACK_TABLE='x' is not an integer in [1, 1048576]; using 65536"],
           f"stderr lines {lines}")
    validate(ctx, out)
    stop = stop_of(sink_dirs(out)[0])["stacks"]
    expect(stop["mode"] == "all" and stop["interned"] == 2, f"stop stacks {stop}")


def case_reference_loader(ctx):
    """The reference loader (../shared/reference) reads a recording with
    stacks over several segments: the same session and events, metadata
    (stack ids and definitions) unchanged."""
    if python_skip(ctx):
        return SKIP
    oracle = ctx.progs.get("oracle")
    if not oracle or not os.path.exists(oracle):
        print(f"SKIP: the reference loader is not at {oracle}")
        return SKIP
    sink, _ = run_workload(ctx, "reference", {"STORMLOG_ROLLOVER_EVENTS": "25", **KEEP_EVERYTHING})
    resolve_stacks(sink)
    ours = [rec for _, records in segments(sink) for rec in records]
    proc = subprocess.run([sys.executable, oracle, "--raw", sink], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    expect(proc.returncode == 0, f"oracle_load exited {proc.returncode}: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    sessions = doc["sessions"]
    expect(len(sessions) == 1, f"{len(sessions)} sessions")
    theirs = sessions[0]["events"]
    expect(sessions[0]["warnings"] == [], f"warnings {sessions[0]['warnings']}")
    expect(len(theirs) == len(ours), f"the reference read {len(theirs)} events, the segments hold {len(ours)}")
    key = lambda rec: (rec["timestamp_ns"], rec["event_type"], json.dumps(rec["metadata"], sort_keys=True))  # noqa: E731
    expect(sorted(map(key, theirs)) == sorted(map(key, ours)), "the reference's events differ from the lines")
    expect(any("stack" in rec["metadata"] for rec in theirs), "no definitions reached the reference's events")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(run_case(CASES, Context))
