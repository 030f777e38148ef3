#!/usr/bin/env python3
"""Process-level tests of what a program, another user or a full disk may do
to the shim (issue 13): each case runs robust_probe (or another program)
under LD_PRELOAD and checks what the program saw and what was recorded.
Same command line and helpers as interpose_driver.py.
"""
import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interpose_driver import (KEEP_EVERYTHING, SKIP, Context, Failure, check_session,  # noqa: E402
                              compare_with_truth, device_totals, expect, load_truth, only_session, read_events,
                              run_case, sink_dirs, validate)


def probe_truth(stdout):
    lines = [l for l in stdout.splitlines() if l.startswith("TRUTH ")]
    expect(lines, f"no TRUTH line in {stdout!r}")
    return [dict((k, int(v)) for k, v in re.findall(r"(\w+)=(-?\d+)", l)) for l in lines]


def allocation_counts(events):
    allocs = sum(1 for ev in events if ev["event_type"] == "allocation")
    frees = sum(1 for ev in events if ev["event_type"] == "deallocation")
    live = sum(ev["allocator_change_bytes"] for ev in events if ev["device_id"] == 0)
    return {"allocs": allocs, "frees": frees, "live": live}


def manifest(sink_dir):
    with open(os.path.join(sink_dir, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def case_close_range(ctx):
    """close_range(3, ~0U, 0), then the program's own files: they hold only its lines; the recording is exact."""
    work = ctx.out_dir("work")
    out = ctx.out_dir("rec")
    proc = ctx.run([ctx.prog("robust_probe"), "closerange", work], out,
                   extra={"STORMLOG_FLUSH_EVERY_EVENTS": "1", "STORMLOG_SIDECAR_INTERVAL_MS": "100"})
    with open(os.path.join(work, "own.log"), encoding="utf-8", errors="replace") as f:
        log = f.read()
    expect(log == "program line 1\nprogram line 2\n", f"the program's log holds {len(log.splitlines())} lines:\n"
           + log[:2000])
    own = sorted(os.listdir(os.path.join(work, "own")))
    expect(own == ["manifest.json"], f"the program's directory holds {own}")
    with open(os.path.join(work, "own", "manifest.json"), encoding="utf-8", errors="replace") as f:
        text = f.read()
    expect(text == '{"own": true}\n', f"the program's manifest.json was replaced: {text[:400]!r}")
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"sink directories {dirs}")
    events, stop = check_session(dirs[0])
    truth = probe_truth(proc.stdout)[-1]
    got = allocation_counts(events)
    expect(got == truth, f"recorded {got}, truth {truth}")
    expect(stop["metadata"]["devices"]["0"]["allocated_bytes"] == truth["live"], f"stop summary {stop['metadata']}")
    errors = [ev for ev in events if ev["event_type"] == "error"]
    expect(len(errors) == 2, f"{len(errors)} OOM error events, want 2")
    for name in ("rollups.json", "lifetime.json"):
        expect(os.path.isfile(os.path.join(dirs[0], name)), f"{name} rewritten in the sink after the descriptors moved")
    expect(": Bad file descriptor" not in proc.stderr, f"a write through a lost descriptor: {proc.stderr[-600:]}")
    print(f"close_range: {got}; program's files untouched")


def case_runtime_reload(ctx):
    """dlopen a plugin linked to libcudart, dlclose it, dlopen it again elsewhere: no crash, every cycle recorded."""
    argv = [ctx.prog("reload_host"), ctx.prog("reload_plugin")]
    # The double's state leaks with the unloaded library (LeakSanitizer sees
    # an unknown module): not what is under test.
    quiet = {"ASAN_OPTIONS": "detect_leaks=0"}
    bare = ctx.run(argv, ctx.out_dir("bare"), preload=False, extra=quiet)
    expect("moved=1" in bare.stdout, f"the runtime did not move on reload: {bare.stdout!r}")
    out = ctx.out_dir("rec")
    proc = ctx.run(argv, out, check=False, extra=quiet)
    expect(proc.returncode == 0, f"reload_host under the shim exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    expect(proc.stdout == bare.stdout, f"output differs:\n{bare.stdout}---\n{proc.stdout}")
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"sink directories {dirs}")
    events, stop = check_session(dirs[0])
    sizes = [ev["metadata"]["size"] for ev in events if ev["event_type"] == "allocation"]
    expect(sizes == [4096, 8192, 16384], f"allocations recorded {sizes}")
    # Each allocation's call stack names the plugin it ran in, though the
    # writer (asleep until 50 events or its timer) writes the definitions
    # after the plugin was unloaded, and another load of it may sit at the
    # same addresses by then (shim/stacks/module_history.h).
    # Not under a sanitizer: TSan's own dlclose interceptor calls glibc's
    # directly, past the shim's (its reports show it), so the module list
    # is not copied there; ASan uses the same (sanitizer_common) interceptor.
    plugin = os.path.basename(ctx.prog("reload_plugin"))
    if ctx.sanitizer:
        print(f"runtime reload: {len(events)} events, allocations {sizes} (stack modules not checked under "
              f"{ctx.sanitizer})")
        return
    defined = {ev["metadata"]["stack_id"]: ev["metadata"]["stack"] for ev in events
               if "stack" in ev.get("metadata", {})}
    for ev in events:
        if ev["event_type"] != "allocation":
            continue
        sid = ev["metadata"].get("stack_id")
        expect(sid in defined, f"allocation of {ev['metadata']['size']}: stack {sid} not defined")
        modules = [os.path.basename(fr.get("module", "")) for fr in defined[sid].get("native", [])]
        expect(plugin in modules, f"allocation of {ev['metadata']['size']}: native frames in {modules}, not {plugin}")
    print(f"runtime reload: {len(events)} events, allocations {sizes}, each stack names {plugin}")


def case_signal(ctx):
    """SIGTERM with the default disposition: a stop event (exit_path signal, 15), status -15 (143 in a shell)."""
    out = ctx.out_dir("term")
    proc = ctx.run([ctx.prog("robust_probe"), "sigterm"], out, check=False)
    expect(proc.returncode == -signal.SIGTERM, f"exit status {proc.returncode}, want -15:\n{proc.stderr[-2000:]}")
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"sink directories {dirs}")
    events, stop = check_session(dirs[0])
    md = stop["metadata"]
    expect(md.get("exit_path") == "signal" and md.get("signal") == signal.SIGTERM, f"stop event {md}")
    truth = probe_truth(proc.stdout)[-1]
    expect(allocation_counts(events) == truth, f"recorded {allocation_counts(events)}, truth {truth}")
    statuses = [ses["status"] for ses in manifest(dirs[0])["sessions"]]
    expect(statuses == ["completed"], f"manifest sessions {statuses}")
    # The same under a shell: 143.
    shell = subprocess.run(["sh", "-c", '"$0" sigterm; echo "status=$?"', ctx.prog("robust_probe")],
                           env=ctx.env(ctx.out_dir("term-sh")), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
    expect("status=143" in shell.stdout, f"under sh: {shell.stdout!r}")
    # A program's own handler is kept: it runs, the program goes on and exits 0.
    out = ctx.out_dir("own-handler")
    proc = ctx.run([ctx.prog("robust_probe"), "sighandler"], out)
    expect("handled" in proc.stdout, f"the program's handler did not run: {proc.stdout!r}")
    events, stop = check_session(sink_dirs(out)[0])
    expect(stop["metadata"].get("exit_path") == "exit", f"stop event {stop['metadata']}")
    print(f"signal: stop event {md.get('exit_path')}/{md.get('signal')}, {len(events)} events")


def case_exec_no_fork(ctx):
    """exec without fork after one allocation, through execv and each of glibc's list forms (which call execve
    past the PLT, so the shim hooks them itself): the first session is on disk, interrupted; the second
    completed."""
    for form in ("execv", "execl", "execlp", "execle"):
        out = ctx.out_dir("exec-" + form)
        proc = ctx.run([ctx.prog("robust_probe"), "exec", "1", form], out)
        expect(len(probe_truth(proc.stdout)) == 2, f"{form}: two images expected: {proc.stdout!r}")
        validate(ctx, out)
        dirs = sink_dirs(out)
        expect(len(dirs) == 1, f"{form}: sink directories {dirs} (same pid, same directory)")
        sessions = manifest(dirs[0])["sessions"]
        expect([ses["status"] for ses in sessions] == ["interrupted", "completed"], f"{form}: sessions {sessions}")
        events = read_events(dirs[0])
        by_session = {}
        for ev in events:
            by_session.setdefault(ev["session_id"], []).append(ev)
        first = by_session.get(sessions[0]["session_id"], [])
        sizes = [ev["metadata"]["size"] for ev in first if ev["event_type"] == "allocation"]
        expect(sizes == [1111], f"{form}: the first image's allocations on disk: {sizes}")
        print(f"exec without fork ({form}): sessions {[ses['status'] for ses in sessions]}, "
              f"first image {len(first)} events")


def mount_small_tmpfs(ctx, size):
    """A tmpfs of the given size under the scratch directory, or None (with the reason) where mount is not allowed."""
    mnt = os.path.join(ctx.tmp, "small-fs")
    os.makedirs(mnt, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        return None, proc.stdout.strip() or f"mount exited {proc.returncode}"
    return mnt, None


def case_full_disk(ctx):
    """A 2 MiB tmpfs that fills and frees up: what fits is written, the stop event is on disk, the loss is stated."""
    mnt, why = mount_small_tmpfs(ctx, "2m")
    if mnt is None:
        print(f"SKIP: cannot mount a 2 MiB tmpfs here ({why})")
        return SKIP
    try:
        out = os.path.join(mnt, "out")
        proc = ctx.run([ctx.prog("robust_probe"), "fill", os.path.join(mnt, "filler"), "20000"], out)
        truth = probe_truth(proc.stdout)[-1]
        validate(ctx, out)
        dirs = sink_dirs(out)
        expect(len(dirs) == 1, f"sink directories {dirs}")
        events, stop = check_session(dirs[0], allow_drops=True)
        md = stop["metadata"]
        lost = md.get("events_lost_to_disk", 0)
        expect(lost > 0, f"the stop event does not say what the disk lost: {md}")
        expect(md["dropped_events_total"] >= lost, f"dropped {md['dropped_events_total']} < lost {lost}")
        expect(md["devices"]["0"]["allocated_bytes"] == truth["live"]
               and md["devices"]["0"]["allocations"] == truth["allocs"],
               f"the stop event's books {md['devices']['0']} against the truth {truth}")
        allocs = sum(1 for ev in events if ev["event_type"] == "allocation")
        # Before the disk filled, one allocation was on disk; space came back
        # for about 1.9 MiB of the 8 MiB backlog: what fits was written.
        expect(allocs > 1000, f"only {allocs} allocations on disk after space came back")
        statuses = [ses["status"] for ses in manifest(dirs[0])["sessions"]]
        expect(statuses == ["completed"], f"manifest sessions {statuses}")
        expect(not os.path.exists(os.path.join(dirs[0], ".stormlog-reserve")), "the reserve was left behind")
        summary = subprocess.run([ctx.prog("inspect"), "summary", out], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        expect(summary.returncode == 0, f"summary exited {summary.returncode}: {summary.stdout[-2000:]}")
        expect(f"{lost} events were lost to a full disk" in summary.stdout,
               f"summary does not state the loss:\n{summary.stdout}")
        print(f"full disk: {allocs} allocations on disk, {lost} events lost to the disk, stop event kept")
    finally:
        subprocess.run(["umount", "-l", mnt])


REAL_CTYPES_SCRIPT = """
import ctypes, os, sys
lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW | os.RTLD_LOCAL)
ptr = ctypes.c_void_p()
print("cudaMalloc rc=%d" % lib.cudaMalloc(ctypes.byref(ptr), ctypes.c_size_t(1 << 20)))
"""


def case_ctypes_runtime(ctx):
    """ctypes.CDLL(libcudart).cudaMalloc goes through dlsym(handle): counted exactly (double), errors kept (real)."""
    if "thread" in ctx.sanitizer:
        print("SKIP: TSan cannot be preloaded into an uninstrumented python3")
        return SKIP
    out = ctx.out_dir("double")
    truth_path = os.path.join(ctx.tmp, "cudart-ctypes.truth.json")
    ctx.run([sys.executable, ctx.prog("ctypes_script"), "--lib", ctx.prog("cudart_double"), "--threads", "4",
             "--ops", "4000", "--truth", truth_path], out,
            extra=dict(KEEP_EVERYTHING, ASAN_OPTIONS="detect_leaks=0"), timeout=600)
    compare_with_truth(ctx, out, load_truth(truth_path), "ctypes on the runtime double")
    real = ctx.progs.get("real_cudart")
    if not real or not os.path.exists(real):
        print("the real libcudart is not installed: only the double's route was checked")
        return 0
    argv = [sys.executable, "-c", REAL_CTYPES_SCRIPT, real]
    quiet = {"ASAN_OPTIONS": "detect_leaks=0"}
    bare = ctx.run(argv, ctx.out_dir("real-bare"), preload=False, extra=quiet)
    out = ctx.out_dir("real")
    shim = ctx.run(argv, out, extra=quiet)
    expect(bare.stdout == shim.stdout, f"the real runtime answered differently:\n{bare.stdout}---\n{shim.stdout}")
    code = int(shim.stdout.split("rc=")[1])
    expect(code != 0, f"the real runtime allocated without a GPU? {shim.stdout!r}")
    events, stop = only_session(ctx, out)
    failed = stop["metadata"]["failed_calls"]
    expect(failed.get("cudaMalloc", {}).get(str(code)) == 1, f"failed_calls {failed}, want cudaMalloc {code}: 1")
    print(f"ctypes on the real libcudart ({real}): cudaMalloc={code} recorded as a failed call")


FOREIGN_UID = 54321
FOREIGN_LINE = ('{"planted": "a segment of another user\'s, claiming 500 GiB"}\n')


def plant_foreign_dir(path, uid=FOREIGN_UID, mode=0o755):
    """A directory as another user would leave it: theirs, with a segment in it."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "segment-000001.jsonl"), "w", encoding="utf-8") as f:
        f.write(FOREIGN_LINE)
    os.chmod(path, mode)
    if uid is not None:
        os.chown(path, uid, uid)


def shim_hostname():
    import socket
    return re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()[:64]).lstrip(".") or "_"


def case_foreign_dirs(ctx):
    """Job and rank directories another user created, or others can write, are refused: fresh names are taken."""
    if os.geteuid() != 0:
        print("SKIP: making a directory of another uid needs root (chown)")
        return SKIP
    probe = ctx.prog("robust_probe")
    out = ctx.out_dir("shared-root")
    # Another user's job directory under a shared output root.
    plant_foreign_dir(os.path.join(out, "jobX"))
    ctx.run([probe, "exec", "2"], out, extra={"STORMLOG_JOB_ID": "jobX"})
    expect(sorted(os.listdir(os.path.join(out, "jobX"))) == ["segment-000001.jsonl"],
           f"the foreign job directory was written into: {os.listdir(os.path.join(out, 'jobX'))}")
    dirs = sink_dirs(os.path.join(out, "jobX.1"))
    expect(len(dirs) == 1, f"no recording under the fresh job name jobX.1: {os.listdir(out)}")
    # A rank directory with our very name (pid included), planted by another
    # user, then one of ours that others can write: both refused.
    for label, uid, mode in (("other uid", FOREIGN_UID, 0o700), ("world-writable", None, 0o777)):
        root = ctx.out_dir("rank-" + ("uid" if uid else "mode"))
        local = os.path.join(root, "local")
        os.makedirs(local, mode=0o700, exist_ok=True)
        planted = []

        def plant():
            path = os.path.join(local, f"rank-00000-{shim_hostname()}-{os.getpid()}")
            plant_foreign_dir(path, uid, mode)
            planted.append(path)

        env = ctx.env(root)
        proc = subprocess.run([probe, "exec", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60, preexec_fn=plant)
        expect(proc.returncode == 0, f"{label}: exited {proc.returncode}: {proc.stderr[-2000:]}")
        names = sorted(os.listdir(local))
        expect(len(names) == 2 and names[1] == names[0] + ".1", f"{label}: rank directories {names}")
        with open(os.path.join(local, names[0], "segment-000001.jsonl"), encoding="utf-8") as f:
            expect(f.read() == FOREIGN_LINE, f"{label}: the planted directory was written into")
        expect(sorted(os.listdir(os.path.join(local, names[0]))) == ["segment-000001.jsonl"],
               f"{label}: the planted directory holds {os.listdir(os.path.join(local, names[0]))}")
        validate(ctx, os.path.join(local, names[1]))
        events, _ = check_session(os.path.join(local, names[1]))
        expect(all("planted" not in ev for ev in events), f"{label}: the planted line was merged")
    print("foreign directories: refused, fresh names taken")


def case_setuid(ctx):
    """setuid after the session started: what came before is on disk, and the record says why the rest may not be."""
    if os.geteuid() != 0:
        print("SKIP: dropping to another user needs root")
        return SKIP
    out = ctx.out_dir("setuid")
    os.chmod(ctx.tmp, 0o755)  # the probe's new user must still reach its files through here
    proc = ctx.run([ctx.prog("robust_probe"), "setuid", str(FOREIGN_UID)], out)
    truth = probe_truth(proc.stdout)[-1]
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"sink directories {dirs}")
    events = read_events(dirs[0])
    sizes = [ev["metadata"]["size"] for ev in events if ev["event_type"] == "allocation"]
    expect(sizes[:3] == [3000, 3001, 3002], f"the allocations before setuid are not on disk: {sizes}")
    stops = [ev for ev in events if ev["event_type"] == "stop"]
    expect(len(stops) == 1 and "user id" in stops[0]["metadata"].get("sink_error", ""),
           f"the stop event does not say why: {[ev['metadata'] for ev in stops]}")
    expect(stops[0]["metadata"]["devices"]["0"]["allocated_bytes"] == truth["live"], "stop books")
    expect(sum(1 for l in proc.stderr.splitlines() if "changed its user id" in l) == 1,
           f"stderr does not say why, once: {proc.stderr!r}")
    print(f"setuid: {len(sizes)} allocations on disk, reason stated")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(run_case(CASES, Context))
