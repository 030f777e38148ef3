#!/usr/bin/env python3
"""Process-level tests of libstormlog_shim.so: run programs under LD_PRELOAD,
then read what the shim wrote and compare it with the runtime doubles' ground
truth.

    interpose_driver.py CASE --shim SO --sink-check EXE [--preload-prefix LIB]
                        [--prog NAME=PATH ...] [--scale N]

Every sink directory a case produces is first validated line by line by
sink_check (the schema's own validator), then checked for the shape of a
session (one start first, one stop last, one session id) and for the
per-device running sum (each event's allocator_allocated_bytes equals the
previous one's plus its allocator_change_bytes, in file order and in
timestamp order). Exit status: 0 pass, 1 fail, 77 skipped (with a reason).
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

SKIP = 77
# Known ThreadSanitizer false positives (the file says why each is one).
TSAN_SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sanitizers", "tsan.supp")


class Failure(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Failure(message)


class Context:
    def __init__(self, args):
        self.shim = args.shim
        self.sink_check = args.sink_check
        self.preload_prefix = args.preload_prefix or ""
        self.sanitizer = args.sanitizer or ""
        self.progs = dict(p.split("=", 1) for p in args.prog)
        self.scale = args.scale
        self.tmp = tempfile.mkdtemp(prefix="stormlog-interpose-")

    def prog(self, name):
        path = self.progs.get(name)
        if not path or not os.path.exists(path):
            raise Failure(f"program {name} not given or missing: {path}")
        return path

    def preload(self):
        return f"{self.preload_prefix}:{self.shim}" if self.preload_prefix else self.shim

    def env(self, out_dir, extra=None, preload=True):
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("STORMLOG_") or key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_PROCID",
                                                      "OMPI_COMM_WORLD_RANK", "TORCHELASTIC_RUN_ID",
                                                      "SLURM_JOB_ID"):
                del env[key]
        if preload:
            env["LD_PRELOAD"] = self.preload()
        else:
            env.pop("LD_PRELOAD", None)
        env["STORMLOG_OUTPUT_DIR"] = out_dir
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.update(extra or {})
        if "thread" in self.sanitizer:
            env["TSAN_OPTIONS"] = f"suppressions={TSAN_SUPPRESSIONS} {env.get('TSAN_OPTIONS', '')}".strip()
        return env

    def run(self, argv, out_dir, extra=None, preload=True, timeout=300, check=True):
        proc = subprocess.run(argv, env=self.env(out_dir, extra, preload), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise Failure(f"{argv} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
                          f"stderr:\n{proc.stderr[-4000:]}")
        return proc

    def out_dir(self, name):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        return path


# ---- reading what the shim wrote ---------------------------------------------

def sink_dirs(root):
    """Every directory under root holding segments (one per recording process)."""
    found = set()
    for path in glob.glob(os.path.join(root, "**", "segment-*.jsonl"), recursive=True):
        found.add(os.path.dirname(path))
    for path in glob.glob(os.path.join(root, "**", "manifest.json"), recursive=True):
        found.add(os.path.dirname(path))
    return sorted(found)


def read_events(sink_dir):
    events = []
    for path in sorted(glob.glob(os.path.join(sink_dir, "segment-*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    events.append(json.loads(line))
    return events


def validate(ctx, root):
    proc = subprocess.run([ctx.sink_check, root], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    expect(proc.returncode == 0, f"sink_check {root} failed:\n{proc.stdout[-4000:]}")


def running_sums_hold(events, label):
    """Per device, allocated == previous allocated + change, in the given order."""
    last = {}
    for i, ev in enumerate(events):
        dev = ev["device_id"]
        prev = last.get(dev, 0)
        if ev["allocator_allocated_bytes"] != prev + ev["allocator_change_bytes"]:
            raise Failure(f"{label}: event {i} ({ev['event_type']}, device {dev}): allocated "
                          f"{ev['allocator_allocated_bytes']} != {prev} + {ev['allocator_change_bytes']}")
        last[dev] = ev["allocator_allocated_bytes"]
    return last


def check_session(sink_dir, allow_drops=False):
    """The events of one process: returns (events, stop event)."""
    events = read_events(sink_dir)
    expect(events, f"{sink_dir}: no events")
    ids = {ev["session_id"] for ev in events}
    expect(len(ids) == 1, f"{sink_dir}: {len(ids)} session ids")
    types = [ev["event_type"] for ev in events]
    expect(types[0] == "start", f"{sink_dir}: first event is {types[0]}")
    expect(types[-1] == "stop", f"{sink_dir}: last event is {types[-1]} (no stop event)")
    expect(types.count("start") == 1 and types.count("stop") == 1, f"{sink_dir}: start/stop counts")
    stop = events[-1]
    dropped = stop["metadata"].get("dropped_events_total", 0)
    if not (allow_drops and dropped):
        expect(dropped == 0, f"{sink_dir}: {dropped} events dropped")
        running_sums_hold(events, f"{sink_dir} (file order)")
        by_time = sorted(events, key=lambda ev: ev["timestamp_ns"])
        running_sums_hold(by_time, f"{sink_dir} (timestamp order)")
    collectors = {ev["collector"] for ev in events}
    expect(collectors <= {"stormlog.cuda_shim", "stormlog.hip_shim"}, f"collectors {collectors}")
    return events, stop


def only_session(ctx, root):
    validate(ctx, root)
    dirs = sink_dirs(root)
    expect(len(dirs) == 1, f"{root}: expected one sink directory, found {dirs}")
    return check_session(dirs[0])


def device_totals(events):
    """Per device: sum of changes and the last allocated value."""
    totals = {}
    for ev in events:
        t = totals.setdefault(str(ev["device_id"]), {"sum": 0, "last": 0, "allocs": 0, "frees": 0})
        t["sum"] += ev["allocator_change_bytes"]
        t["last"] = ev["allocator_allocated_bytes"]
        if ev["event_type"] == "allocation":
            t["allocs"] += 1
        elif ev["event_type"] == "deallocation":
            t["frees"] += 1
    return totals


# ---- cases ---------------------------------------------------------------------

def case_exports(ctx):
    """Only the hooks and stormlog_* are exported, unversioned; NEEDED is libc only."""
    out = subprocess.run(["readelf", "-d", "-W", ctx.shim], stdout=subprocess.PIPE, text=True, check=True).stdout
    needed = [line.split("[", 1)[1].split("]", 1)[0] for line in out.splitlines() if "(NEEDED)" in line]
    allowed = ("libc.so", "libpthread.so", "libdl.so", "ld-linux")
    if ctx.sanitizer:
        allowed += ("libasan.so", "libubsan.so", "libtsan.so", "libstdc++.so", "libgcc_s.so", "libm.so")
    extra = [n for n in needed if not n.startswith(allowed)]
    expect(not extra, f"NEEDED beyond libc: {extra}")
    syms = subprocess.run(["readelf", "--dyn-syms", "-W", ctx.shim], stdout=subprocess.PIPE, text=True,
                          check=True).stdout
    exported = {}
    for line in syms.splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[4] in ("GLOBAL", "WEAK") and parts[6] != "UND":
            exported[parts[7]] = parts
    # The version script the build generated from the hook table, beside the shim.
    with open(os.path.join(os.path.dirname(ctx.shim), "exports.map")) as f:
        script = f.read()
    hooks = re.findall(r"([A-Za-z_]\w*)\s*;", script.split("global:", 1)[1].split("local:", 1)[0])
    expect("cudaMalloc" in hooks and "hipMalloc" in hooks and "_exit" in hooks, f"exports.map parsed as {hooks}")
    for name in hooks:
        expect(name in exported, f"{name} is not exported (or is versioned)")
    for name in exported:
        base = name.split("@", 1)[0]
        expect("@" not in name, f"{name} carries a symbol version: versioned program references would not bind")
        expect(base in hooks or base.startswith("stormlog_"), f"unexpected export {name}")
    print(f"exports: {len(exported)} symbols, NEEDED {needed}")


def case_api_probe(ctx):
    """Every interposed API counted exactly; transcripts identical with and without the shim."""
    probe = ctx.prog("api_probe")
    bare = ctx.run([probe, "bare"], ctx.out_dir("bare"), preload=False)
    out = ctx.out_dir("probe")
    shim = ctx.run([probe, "counting"], out, extra={"STORMLOG_PEAK_STEP_BYTES": "4096",
                                                    "STORMLOG_SAMPLING_INTERVAL_MS": "1"})
    transcript = lambda text: [l for l in text.splitlines() if " rc=" in l]
    expect(transcript(bare.stdout) == transcript(shim.stdout),
           "transcripts differ:\n" + "\n".join(f"{a!r} | {b!r}" for a, b in
                                               zip(transcript(bare.stdout), transcript(shim.stdout)) if a != b))
    expect(os.listdir(ctx.out_dir("bare")) == [], "the bare run wrote something")
    events, stop = only_session(ctx, out)
    apis = {ev["metadata"]["api"] for ev in events if ev["event_type"] in ("allocation", "deallocation")}
    wanted = {"cudaMalloc", "cudaFree", "cudaMallocManaged", "cudaMallocPitch", "cudaMalloc3D", "cudaMallocAsync",
              "cudaMallocAsync_ptsz", "cudaFreeAsync", "cudaFreeAsync_ptsz", "cudaMallocFromPoolAsync",
              "cudaMallocFromPoolAsync_ptsz", "cudaMallocHost", "cudaHostAlloc", "cudaFreeHost", "hipMalloc",
              "hipFree", "hipExtMallocWithFlags", "hipMallocManaged", "hipMallocPitch", "hipMemAllocPitch",
              "hipMallocAsync", "hipFreeAsync", "hipMallocFromPoolAsync", "hipHostMalloc", "hipHostFree",
              "hipMallocHost", "hipFreeHost", "hipMemAllocHost"}
    expect(wanted <= apis, f"no events for {sorted(wanted - apis)}")
    allocs = [ev for ev in events if ev["event_type"] == "allocation"]
    # Nested runtime calls (cudaMallocManaged on cudaMalloc) are counted once;
    # 3 + 2 stream-ordered allocations on device 1 while device 0 is current.
    expect(len(allocs) == 2 * 8 + 3 + 2 + 2 * 7 + 2 + 3, f"{len(allocs)} allocation events")
    cross = [ev for ev in allocs if ev["metadata"]["size"] in (3100, 3101, 5100, 6100, 6101)]
    expect(len(cross) == 5 and all(ev["device_id"] == 1 for ev in cross),
           f"stream-ordered allocations on device 1 recorded on {[ev['device_id'] for ev in cross]}")
    for ev in allocs:
        md = ev["metadata"]
        expect(md["size"] == ev["allocator_change_bytes"] > 0 and md["ptr"].startswith("0x") and "thread_id" in md,
               f"allocation metadata {md}")
        expect((ev["device_id"] == -1) == (md["api"] in ("cudaMallocHost", "cudaHostAlloc", "hipHostMalloc",
                                                         "hipMallocHost", "hipMemAllocHost")),
               f"{md['api']} on device {ev['device_id']}")
    errors = [ev for ev in events if ev["event_type"] == "error"]
    expect(len(errors) == 1 and errors[0]["metadata"]["reason"] == "out_of_memory"
           and errors[0]["metadata"]["requested_bytes"] == 1 << 60, f"error events {errors}")
    expect(any(ev["event_type"] == "peak" for ev in events), "no peak event with STORMLOG_PEAK_STEP_BYTES=4096")
    expect(any(ev["event_type"] == "sample" for ev in events), "no sample event")
    for dev, t in device_totals(events).items():
        expect(t["sum"] == 0 and t["last"] == 0, f"device {dev}: {t}")
    summary = stop["metadata"]
    expect(summary["leaked_bytes_total"] == 0, f"leaks {summary}")
    expect(summary["failed_calls"].get("cudaMalloc") == {"2": 1}, f"failed calls {summary['failed_calls']}")
    expect(summary["devices"]["0"]["failed_allocations"] == 1, f"summary {summary['devices']}")
    expect(stop["metadata"]["exit_path"] == "exit", "exit path")


def case_last_errors(ctx):
    """The runtime's MemGetInfo and pointer queries fail: the shim's bookkeeping leaves the program's last error as it was."""
    probe = ctx.prog("api_probe")
    env = {"STORMLOG_DOUBLE_FAIL_QUERIES": "1"}
    bare = ctx.run([probe, "errors"], ctx.out_dir("bare"), preload=False, extra=env)
    shim = ctx.run([probe, "errors"], ctx.out_dir("errors"), extra=env)
    transcript = lambda text: [l for l in text.splitlines() if " rc=" in l]
    expect(transcript(bare.stdout) == transcript(shim.stdout) and len(transcript(shim.stdout)) == 4,
           f"transcripts differ:\n{bare.stdout}\n---\n{shim.stdout}")
    events, _ = only_session(ctx, ctx.out_dir("errors"))
    allocs = [ev for ev in events if ev["event_type"] == "allocation"]
    # Nobody could say where they landed: the current device is the fallback.
    expect(len(allocs) == 4 and all(ev["device_id"] == 0 for ev in allocs),
           f"allocations on devices {[ev['device_id'] for ev in allocs]}")


def case_free_race(ctx):
    """8 threads free and reallocate one address back and forth: every event valid, sums exact."""
    out = ctx.out_dir("race")
    ctx.run([ctx.prog("api_probe"), "race", str(max(1000, ctx.scale // 5))], out, extra=KEEP_EVERYTHING)
    events, stop = only_session(ctx, out)
    dev = stop["metadata"]["devices"]["0"]
    expect(dev["allocated_bytes"] == 0 and dev["unmatched_frees"] == 0 and dev["allocations"] == dev["frees"],
           f"device 0 after the race: {dev}")
    print(f"free race: {dev['allocations']} pairs, {len(events)} events")


def case_disable(ctx):
    """STORMLOG_DISABLE=1: pass-through, no files, no accounting."""
    probe = ctx.prog("api_probe")
    out = ctx.out_dir("disabled")
    ctx.run([probe, "bare"], out, extra={"STORMLOG_DISABLE": "1"})
    expect(os.listdir(out) == [], f"STORMLOG_DISABLE=1 wrote {os.listdir(out)}")


def case_idle(ctx):
    """A process that never touches the GPU leaves nothing, unless STORMLOG_RECORD_IDLE=1."""
    idle = ctx.prog("idle")
    out = ctx.out_dir("idle")
    ctx.run([idle], out)
    expect(os.listdir(out) == [], f"an idle process wrote {os.listdir(out)}")
    out = ctx.out_dir("idle-recorded")
    ctx.run([idle], out, extra={"STORMLOG_RECORD_IDLE": "1"})
    events, stop = only_session(ctx, out)
    expect([ev["event_type"] for ev in events] == ["start", "stop"], "idle session events")


def case_no_runtime(ctx):
    """A hook called with no runtime loaded anywhere answers "not initialised" and records nothing."""
    idle = ctx.prog("idle")
    out = ctx.out_dir("no-runtime")
    proc = ctx.run([idle, "call"], out)
    expect("cudaMalloc=3 hipMalloc=3" in proc.stdout, f"without a runtime the hooks answered: {proc.stdout!r}")
    expect(os.listdir(out) == [], f"calls that reached no runtime wrote {os.listdir(out)}")


def case_python_exit(ctx):
    """Python's os._exit (every multiprocessing fork child leaves this way) closes the session."""
    if "thread" in ctx.sanitizer:
        print("SKIP: TSan cannot be preloaded into an uninstrumented python3")
        return SKIP
    # Through the plugin (ctypes' own lib.cudaMalloc, a dlsym'd pointer, is
    # shim_robust_ctypes_runtime's case).
    plugin = ctx.prog("workload_plugin")
    truth_path = os.path.join(ctx.tmp, "python-exit.truth.json")
    script = ("import ctypes, os, sys\n"
              "lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW | os.RTLD_LOCAL)\n"
              "run = lib.workload_plugin_run\n"
              "run.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]\n"
              "assert run(1, 200, 5, sys.argv[2].encode()) == 0\n"
              "os._exit(0)\n")
    out = ctx.out_dir("python-exit")
    ctx.run([sys.executable, "-c", script, plugin, truth_path], out, extra={"ASAN_OPTIONS": "detect_leaks=0"})
    truth = load_truth(truth_path)
    events, stop = only_session(ctx, out)
    expect(stop["metadata"]["exit_path"] == "_exit", f"exit path {stop['metadata'].get('exit_path')}")
    leaked = sum(truth["live"].values())
    expect(stop["metadata"]["leaked_bytes_total"] == leaked,
           f"leaks {stop['metadata']['leaked_bytes_total']}, truth {leaked}")


def case_context(ctx):
    """STORMLOG_CONTEXT: every event carries the label (the ring keeps it as a flag, one slot an event)."""
    probe = ctx.prog("api_probe")
    out = ctx.out_dir("context")
    label = "train/epoch-3 \u00e9t\u00e9"
    ctx.run([probe, "counting"], out, extra={"STORMLOG_CONTEXT": label})
    events, stop = only_session(ctx, out)
    expect(len(events) > 2, f"{len(events)} events")
    contexts = {ev["context"] for ev in events}
    expect(contexts == {label}, f"contexts {sorted(contexts, key=str)!r}, want only {label!r}")


def case_identity(ctx):
    """Distributed identity from the environment; bad values: one stderr line, defaults."""
    probe = ctx.prog("api_probe")
    out = ctx.out_dir("ranked")
    ctx.run([probe, "counting"], out, extra={"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4",
                                             "TORCHELASTIC_RUN_ID": "job-42"})
    events, _ = only_session(ctx, out)
    for ev in events:
        expect((ev["rank"], ev["local_rank"], ev["world_size"], ev["job_id"]) == (3, 1, 4, "job-42"),
               f"identity {ev['rank']} {ev['local_rank']} {ev['world_size']} {ev['job_id']}")
    # MPICH / Intel MPI: PMI_RANK / PMI_SIZE / MPI_LOCALRANKID where no group
    # of the spec is complete; a complete group of the spec still wins.
    out = ctx.out_dir("pmi")
    ctx.run([probe, "counting"], out, extra={"PMI_RANK": "5", "PMI_SIZE": "8", "MPI_LOCALRANKID": "1"})
    events, _ = only_session(ctx, out)
    expect(all((ev["rank"], ev["local_rank"], ev["world_size"]) == (5, 1, 8) for ev in events),
           f"PMI identity {events[0]['rank']} {events[0]['local_rank']} {events[0]['world_size']}")
    out = ctx.out_dir("pmi-and-slurm")
    ctx.run([probe, "counting"], out, extra={"PMI_RANK": "5", "PMI_SIZE": "8", "SLURM_PROCID": "2",
                                             "SLURM_NTASKS": "4"})
    events, _ = only_session(ctx, out)
    expect(all((ev["rank"], ev["world_size"]) == (2, 4) for ev in events), "the spec's Slurm group comes first")
    out = ctx.out_dir("bad-pmi")
    proc = ctx.run([probe, "counting"], out, extra={"PMI_RANK": "9", "PMI_SIZE": "8"})
    expect(sum("rank must be < world_size" in l for l in proc.stderr.splitlines()) == 1,
           f"stderr for PMI_RANK >= PMI_SIZE: {proc.stderr!r}")
    out = ctx.out_dir("bad-rank")
    proc = ctx.run([probe, "counting"], out, extra={"RANK": "seven", "WORLD_SIZE": "4"})
    lines = [l for l in proc.stderr.splitlines() if "rank must be an integer" in l]
    expect(len(lines) == 1, f"stderr for a bad RANK: {proc.stderr!r}")
    events, _ = only_session(ctx, out)
    expect(all((ev["rank"], ev["world_size"]) == (0, 1) for ev in events), "defaults after a bad identity")


def case_real_runtime(ctx):
    """Real libcudart / libamdhip64 without a GPU: same codes, nothing counted, failures by API and code."""
    name = ctx.progs.get("real_probe")
    if not name or not os.path.exists(name):
        print(f"SKIP: the real runtime probe was not built (runtime library absent)")
        return SKIP
    # The real runtimes keep allocations to the end of the process.
    quiet_leaks = {"ASAN_OPTIONS": "detect_leaks=0"}
    bare = ctx.run([name], ctx.out_dir("real-bare"), preload=False, extra=quiet_leaks)
    out = ctx.out_dir("real")
    shim = ctx.run([name], out, extra=quiet_leaks)
    expect(bare.stdout == shim.stdout, f"output differs:\n{bare.stdout}\n---\n{shim.stdout}")
    codes = {}
    for line in shim.stdout.splitlines():
        head = line.split()[0]
        if "=" in head:
            api, code = head.split("=", 1)
            codes[api] = int(code)
    failing = {api: code for api, code in codes.items()
               if code != 0 and (api.startswith("cudaMalloc") or api.startswith("hipMalloc")
                                 or api.startswith("hipHostMalloc") or api in ("cudaHostAlloc",))}
    expect(failing, f"the real runtime allocated without a GPU? {codes}")
    events, stop = only_session(ctx, out)
    expect(not [ev for ev in events if ev["event_type"] in ("allocation", "deallocation")],
           "bytes were counted")
    failed_calls = stop["metadata"]["failed_calls"]
    for api, code in failing.items():
        expect(failed_calls.get(api, {}).get(str(code), 0) >= 1,
               f"{api}={code} not in the stop event's failed_calls {failed_calls}")
    print(f"real runtime: failed calls by API and code: {failed_calls}")


def load_truth(path):
    with open(path) as f:
        return json.loads(f.read())


def compare_with_truth(ctx, root, truth, label):
    validate(ctx, root)
    dirs = sink_dirs(root)
    expect(len(dirs) == 1, f"{label}: sink directories {dirs}")
    events, stop = check_session(dirs[0])
    totals = device_totals(events)
    devices = stop["metadata"]["devices"]
    for dev, live in truth["live"].items():
        t = totals.get(dev, {"sum": 0, "last": 0})
        expect(t["sum"] == live, f"{label}: device {dev}: sum of changes {t['sum']} != truth {live}")
        expect(t["last"] == live, f"{label}: device {dev}: last allocated {t['last']} != truth {live}")
        got = devices.get(dev, {}).get("allocated_bytes", 0)
        expect(got == live, f"{label}: device {dev}: stop summary {got} != truth {live}")
    allocs = sum(d["allocations"] for d in devices.values())
    frees = sum(d["frees"] for d in devices.values())
    failed = sum(d["failed_allocations"] for d in devices.values())
    expect(allocs == truth["allocs"], f"{label}: allocations {allocs} != truth {truth['allocs']}")
    expect(frees == truth["frees"], f"{label}: frees {frees} != truth {truth['frees']}")
    expect(failed == truth["failed"], f"{label}: failed allocations {failed} != truth {truth['failed']}")
    print(f"{label}: {len(events)} events; live {truth['live']}; allocs {allocs} frees {frees} failed {failed}")
    return events, stop


# A whole run must stay on disk (the reference's retention keeps 8 segments), fit the
# ring, and be drained at exit even when the writer falls behind on a slow,
# sanitised machine (the default shutdown deadline is 2 s).
KEEP_EVERYTHING = {"STORMLOG_RING_CAPACITY": "1048576", "STORMLOG_RETENTION_FILES": "1000000",
                   "STORMLOG_RETENTION_BYTES": str(1 << 40), "STORMLOG_SHUTDOWN_DEADLINE_MS": "60000"}


def workload_args(ctx, truth_path):
    return ["--threads", "8", "--ops", str(ctx.scale), "--truth", truth_path]


def case_exactness(ctx):
    """8 threads, mixed operations on 2 simulated devices: exact to the byte."""
    for name in ("workload_cuda", "workload_hip"):
        out = ctx.out_dir(name)
        truth_path = os.path.join(ctx.tmp, name + ".truth.json")
        ctx.run([ctx.prog(name), "--devices", "2"] + workload_args(ctx, truth_path), out,
                extra=KEEP_EVERYTHING, timeout=900)
        compare_with_truth(ctx, out, load_truth(truth_path), name)


def case_plugin(ctx):
    """The runtime arrives with a plugin dlopen'ed RTLD_LOCAL: still exact."""
    out = ctx.out_dir("plugin")
    truth_path = os.path.join(ctx.tmp, "plugin.truth.json")
    ctx.run([ctx.prog("workload_plugin_host"), "--plugin", ctx.prog("workload_plugin")]
            + workload_args(ctx, truth_path), out, extra=KEEP_EVERYTHING, timeout=900)
    compare_with_truth(ctx, out, load_truth(truth_path), "plugin")


def case_ctypes(ctx):
    """Python loading the plugin through ctypes under LD_PRELOAD: still exact."""
    if "thread" in ctx.sanitizer:
        print("SKIP: TSan cannot be preloaded into an uninstrumented python3")
        return SKIP
    script = ctx.prog("ctypes_script")
    out = ctx.out_dir("ctypes")
    truth_path = os.path.join(ctx.tmp, "ctypes.truth.json")
    ctx.run([sys.executable, script, "--plugin", ctx.prog("workload_plugin")] + workload_args(ctx, truth_path),
            out, extra=dict(KEEP_EVERYTHING, ASAN_OPTIONS="detect_leaks=0"), timeout=900)
    compare_with_truth(ctx, out, load_truth(truth_path), "ctypes")


def case_oom(ctx):
    """An OOM on device 1: an error event with the size and device state, on disk before the call returns."""
    probe = ctx.prog("oom_probe")
    out = ctx.out_dir("oom")
    # Nothing is flushed by the normal policy; the probe SIGKILLs itself right after the failing call.
    proc = ctx.run([probe], out, check=False,
                   extra={"STORMLOG_FLUSH_EVERY_EVENTS": "100000", "STORMLOG_FLUSH_EVERY_MS": "600000",
                          "STORMLOG_DOUBLE_CAPACITY_1": "1048576"})
    expect(proc.returncode == -signal.SIGKILL, f"oom_probe exited {proc.returncode}: {proc.stderr}")
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"sink directories {dirs}")
    events = read_events(dirs[0])
    errors = [ev for ev in events if ev["event_type"] == "error"]
    expect(len(errors) == 1, f"error events on disk after kill -9: {len(errors)}")
    ev = errors[0]
    md = ev["metadata"]
    expect(md["reason"] == "out_of_memory" and md["requested_bytes"] == 4 << 20 and ev["device_id"] == 1,
           f"error event {ev}")
    expect(ev["allocator_allocated_bytes"] == 65536 and ev["device_total_bytes"] == 1048576,
           f"device state in the error event: {ev}")


def case_exec_chain(ctx):
    """fork + exec with LD_PRELOAD still set, three processes deep: one session each."""
    probe = ctx.prog("fork_probe")
    out = ctx.out_dir("chain")
    proc = ctx.run([probe, "chain", "3"], out, extra={"TSAN_OPTIONS": "die_after_fork=0"}, timeout=120)
    chain = [int(l.split()[1]) for l in proc.stdout.splitlines() if l.startswith("CHAIN ")]
    expect(len(chain) == 3, f"exec chain processes: {chain}")
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 3, f"{len(dirs)} sink directories for 3 processes")
    seen = {}
    for d in dirs:
        events, stop = check_session(d)
        seen[events[0]["pid"]] = events
        allocs = [ev for ev in events if ev["event_type"] == "allocation"]
        expect(len(allocs) == 1 and stop["metadata"]["exit_path"] == "exit", f"{d}: {len(allocs)} allocations")
    expect(sorted(seen) == sorted(chain), f"sessions {sorted(seen)} for processes {chain}")
    expect(len({events[0]["session_id"] for events in seen.values()}) == 3, "session ids repeat")
    print(f"exec chain: {chain}")


def case_small_stack(ctx):
    """The first allocation on a thread with a 28 KiB or 64 KiB stack, also while a dead writer's directory
    is reopened: nothing big goes on the program's stack (issue 13.3)."""
    probe = ctx.prog("hostile_start_probe")
    for mode, kib in (("stack", 28), ("stack", 64), ("dead", 28), ("dead", 64)):
        out = ctx.out_dir(f"{mode}-{kib}")
        proc = ctx.run([probe, mode, str(kib)], out, check=False, timeout=60)
        expect(proc.returncode == 0 and "DONE 1" in proc.stdout,
               f"{mode} {kib} KiB: exit {proc.returncode}: {proc.stderr[-2000:]}")
        dirs = sink_dirs(out)
        expect(len(dirs) == 1, f"{mode} {kib}: sink directories {dirs}")
        if mode == "dead":
            # The planted segment holds blank lines (no records): validate ours only.
            os.remove(os.path.join(dirs[0], "segment-000001.jsonl"))
            with open(os.path.join(dirs[0], "manifest.json")) as f:
                manifest = json.load(f)
            manifest["segments"] = [g for g in manifest["segments"] if g["filename"] != "segment-000001.jsonl"]
            with open(os.path.join(dirs[0], "manifest.json"), "w") as f:
                json.dump(manifest, f)
        validate(ctx, out)
        events, stop = check_session(dirs[0])
        kinds = [ev["event_type"] for ev in events]
        expect(kinds.count("allocation") == 1 and kinds.count("deallocation") == 1,
               f"{mode} {kib}: events {kinds}")
        if mode == "dead":
            statuses = {s["session_id"]: s["status"] for s in manifest["sessions"]}
            expect(statuses.get("dead") == "interrupted", f"the dead writer's session: {statuses}")
        print(f"{mode} {kib} KiB: recorded")


def case_fifo_manifest(ctx):
    """A FIFO named manifest.json in the rank directory: the program finishes and records (issue 13.4)."""
    probe = ctx.prog("hostile_start_probe")
    out = ctx.out_dir("fifo")
    try:
        proc = ctx.run([probe, "fifo"], out, check=False, timeout=60)
    except subprocess.TimeoutExpired:
        raise Failure("the program hung on the FIFO")
    expect(proc.returncode == 0 and "DONE 800" in proc.stdout, f"exit {proc.returncode}: {proc.stderr[-2000:]}")
    validate(ctx, out)
    dirs = sink_dirs(out)
    expect(len(dirs) == 1, f"sink directories {dirs}")
    events, stop = check_session(dirs[0])
    allocs = sum(1 for ev in events if ev["event_type"] == "allocation")
    expect(allocs == 800, f"{allocs} allocations recorded of 800")
    manifest = os.path.join(dirs[0], "manifest.json")
    expect(os.path.isfile(manifest) and not os.path.islink(manifest), "the FIFO was replaced by our manifest")


def case_fork(ctx):
    """fork under 8 allocating threads; _exit children; an exec chain. The test has a timeout."""
    if "thread" in ctx.sanitizer:
        # TSan's thread registry outlives fork: a child of a multi-threaded
        # parent that starts a thread (our writer) dies with "dup thread with
        # used id". shim_exec_chain still runs under TSan.
        print("SKIP: ThreadSanitizer cannot follow a fork child of a multi-threaded parent that starts threads")
        return SKIP
    if "address" in ctx.sanitizer:
        # gcc 12's ASan allocator takes no lock around fork (glibc's malloc
        # does): a child forked while another parent thread (the program's
        # or our writer) is inside malloc waits for ever on the allocator's
        # mutex at its first allocation. Seen here as a hung CI run; the plain
        # build runs this case.
        print("SKIP: gcc 12's AddressSanitizer allocator is not fork-safe while other threads allocate")
        return SKIP
    probe = ctx.prog("fork_probe")
    out = ctx.out_dir("fork")
    # A smaller ring: every allocating child builds its own.
    extra = dict(KEEP_EVERYTHING, STORMLOG_RING_CAPACITY="131072", TSAN_OPTIONS="die_after_fork=0")
    proc = ctx.run([probe, "parent", str(ctx.scale)], out, extra=extra, timeout=240)
    report = json.loads([l for l in proc.stdout.splitlines() if l.startswith("{")][-1])
    validate(ctx, out)
    dirs = sink_dirs(out)
    by_pid = {}
    for d in dirs:
        events, stop = check_session(d)
        by_pid[events[0]["pid"]] = (events, stop)
    expect(report["parent"] in by_pid, "the parent has no session")
    for pid in report["silent_children"]:
        expect(pid not in by_pid, f"child {pid} never allocated but left a directory")
    for child in report["allocating_children"]:
        pid = child["pid"]
        expect(pid in by_pid, f"allocating child {pid} left no session")
        events, stop = by_pid[pid]
        expect(stop["metadata"]["exit_path"] == "_exit", f"child {pid} exit path {stop['metadata']}")
        totals = device_totals(events)
        expect(totals.get("0", {}).get("last") == child["live"] and totals["0"]["allocs"] == child["allocs"],
               f"child {pid}: {totals} vs {child}")
    chain = [int(l.split()[1]) for l in proc.stdout.splitlines() if l.startswith("CHAIN ")]
    expect(len(chain) == 2, f"exec chain processes: {chain}")
    for pid in chain:
        expect(pid in by_pid, f"exec chain process {pid} has no session")
        expect(by_pid[pid][1]["metadata"]["exit_path"] == "exit", f"exec chain {pid} exit path")
    sessions = {by_pid[p][0][0]["session_id"] for p in by_pid}
    expect(len(sessions) == len(by_pid), "session ids repeat across processes")
    expected = 1 + len(report["allocating_children"]) + len(chain)
    expect(len(by_pid) == expected, f"{len(by_pid)} sessions, expected {expected}")
    print(f"fork: {len(report['silent_children'])} silent children, "
          f"{len(report['allocating_children'])} allocating, exec chain {chain}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def run_case(cases, context_class, add_arguments=None):
    """The command line every process-level driver shares (this one and
    ../driver/driver_check.py): CASE plus the common options, and those
    add_arguments(parser) adds; runs the case in a scratch directory that is
    removed afterwards unless --keep or STORMLOG_TEST_KEEP."""
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(cases))
    parser.add_argument("--shim", required=True)
    parser.add_argument("--sink-check", required=True)
    parser.add_argument("--preload-prefix", default="")
    parser.add_argument("--sanitizer", default="")
    parser.add_argument("--prog", action="append", default=[])
    parser.add_argument("--scale", type=int, default=100000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args()
    ctx = context_class(args)
    try:
        status = cases[args.case](ctx) or 0
    except Failure as failure:
        print(f"FAIL {args.case}: {failure}")
        status = 1
    finally:
        if args.keep or os.environ.get("STORMLOG_TEST_KEEP"):
            print(f"kept {ctx.tmp}")
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    if status == 0:
        print(f"PASS {args.case}")
    return status


if __name__ == "__main__":
    sys.exit(run_case(CASES, Context))
