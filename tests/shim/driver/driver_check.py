#!/usr/bin/env python3
"""Process-level tests of the shim's driver-level coverage (issue 5): run a
probe under LD_PRELOAD=libstormlog_shim.so, require its own exact checks to
pass (it compares the shim's counters with the doubles' ground truth after
every call), then read what the shim wrote: every line validated by
sink_check, one session, running sums, and the API names the events carry.

    driver_check.py CASE --shim SO --sink-check EXE [--prog NAME=PATH ...]
                    [--libcuda-dir D] [--cudart-drv-dir D] [--preload-prefix LIB]

Reuses the session checks of ../interpose/interpose_driver.py. Exit status:
0 pass, 1 fail, 77 skipped (with a reason)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("interpose_driver",
                                               os.path.join(HERE, "..", "interpose", "interpose_driver.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)
expect, Failure, SKIP = base.expect, base.Failure, base.SKIP

# Every variant the shim wraps, as the driver exports it.
DRIVER_WRAPPED = {
    "cuMemAlloc_v2", "cuMemAllocPitch_v2", "cuMemAllocManaged", "cuMemFree_v2", "cuMemAllocAsync",
    "cuMemAllocAsync_ptsz", "cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync_ptsz", "cuMemFreeAsync",
    "cuMemFreeAsync_ptsz", "cuMemCreate", "cuMemRelease", "cuMemMap", "cuMemUnmap", "cuMemHostAlloc", "cuMemAllocHost_v2", "cuMemFreeHost",
    "cuMemGetInfo_v2", "cuGetProcAddress", "cuGetProcAddress_v2",
}


class Ctx(base.Context):
    def __init__(self, args):
        super().__init__(args)
        self.libcuda_dir = args.libcuda_dir
        self.cudart_drv_dir = args.cudart_drv_dir

    def driver_env(self, extra=None):
        env = {"LD_LIBRARY_PATH": self.libcuda_dir}
        env.update(extra or {})
        return env


def events_of(ctx, out):
    events, stop = base.only_session(ctx, out)
    return events, stop


def apis(events, event_type):
    return [ev["metadata"].get("api") for ev in events if ev["event_type"] == event_type]


def run_probe(ctx, prog, route, label, extra=None):
    out = ctx.out_dir(label)
    argv = [ctx.prog(prog)] + ([route] if route else [])
    proc = ctx.run(argv, out, extra=ctx.driver_env(extra))
    print(proc.stdout.rstrip())
    events, stop = events_of(ctx, out)
    return events, stop


def only_driver_apis(events, label):
    for kind in ("allocation", "deallocation"):
        for api in apis(events, kind):
            expect(api in DRIVER_WRAPPED, f"{label}: {kind} event with api {api}, want a driver API")


# ---- cases ---------------------------------------------------------------------

def case_plt(ctx):
    """Direct calls (PLT) to every wrapped driver variant: exact, named as called."""
    events, _ = run_probe(ctx, "driver_probe", "plt", "plt")
    only_driver_apis(events, "plt")
    want = {"cuMemAlloc_v2", "cuMemAllocManaged", "cuMemAllocPitch_v2", "cuMemAllocAsync", "cuMemAllocAsync_ptsz",
            "cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync_ptsz", "cuMemHostAlloc", "cuMemAllocHost_v2"}
    got = set(apis(events, "allocation"))
    expect(got == want, f"plt: allocation APIs {sorted(got)}, want {sorted(want)}")
    errors = [ev for ev in events if ev["event_type"] == "error"]
    expect(len(errors) == 1 and errors[0]["metadata"]["api"] == "cuMemAlloc_v2"
           and errors[0]["metadata"]["reason"] == "out_of_memory", f"plt: error events {errors}")


def case_procaddress(ctx):
    """cuGetProcAddress(_v2) at 11030 / 12000, legacy and per-thread: our wrapper of the exact variant."""
    events, _ = run_probe(ctx, "driver_probe", "procaddress", "procaddress")
    only_driver_apis(events, "procaddress")
    got = apis(events, "allocation")
    expect(got.count("cuMemAllocAsync_ptsz") == 1 and got.count("cuMemAllocAsync") == 3
           and got.count("cuMemAlloc_v2") == 4, f"procaddress: allocation APIs {got}")


VMM_CHUNK = 2 << 20  # driver_probe.c's chunk
VMM_MD_KEYS = {"api", "ptr", "size", "offset", "handle", "thread_id"}


def inspect_summary(ctx, root, label):
    """stormlog-inspect summary --json of root: (counts_from, {device_id: device row})."""
    proc = subprocess.run([ctx.prog("stormlog_inspect"), "summary", root, "--json"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    expect(proc.returncode == 0, f"{label}: stormlog-inspect summary failed:\n{proc.stdout[-2000:]}")
    sessions = json.loads(proc.stdout)["sessions"]
    expect(len(sessions) == 1, f"{label}: {len(sessions)} sessions")
    return sessions[0]["counts_from"], {d["device_id"]: d for d in sessions[0]["devices"]}


def check_vmm_summary(ctx, out, events):
    """The summary of a recording with map/unmap events: exact figures, the
    mapping events in the event count only, from the stop summary and from
    the events alone (the same recording with its stop event cut off)."""
    if "stormlog_inspect" not in ctx.progs:
        print("vmm: summary check skipped: stormlog-inspect not built (STORMLOG_BUILD_LOADER=OFF)")
        return
    on_dev = [ev for ev in events if ev["device_id"] == 1]
    peak = max(ev["allocator_allocated_bytes"] for ev in on_dev)
    want = {"events": len(on_dev), "allocations": 4, "frees": 4, "failed_allocations": 0,
            "peak_allocated_bytes": peak, "final_allocated_bytes": 0, "leaked_bytes": 0}
    cut = os.path.join(ctx.tmp, "vmm_without_stop")
    shutil.copytree(out, cut)
    for dirpath, _, files in os.walk(cut):
        for name in (f for f in files if f.endswith(".jsonl")):
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                lines = [line for line in f if line.strip() and json.loads(line)["event_type"] != "stop"]
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(lines)
    for root, source in ((out, "stop_summary"), (cut, "events")):
        counts_from, devices = inspect_summary(ctx, root, f"vmm summary ({source})")
        expect(counts_from == source, f"vmm summary: counts from {counts_from}, want {source}")
        expect(1 in devices, f"vmm summary ({source}): no row for device 1: {sorted(devices)}")
        got = {k: devices[1][k] for k in want}
        expect(got == want, f"vmm summary ({source}): device 1 {got}, want {want}")
        print(f"vmm: summary from {source}: device 1 {got}")


def case_vmm(ctx):
    """cuMemCreate/Map/Unmap/Release from a thread with no context, through the PLT and cuGetProcAddress:
    bytes counted at create and uncounted at release on prop's device; map/unmap events with change 0
    naming the handle, on the handle's device; refused maps and unmaps in failed_calls only."""
    out = ctx.out_dir("vmm")
    proc = ctx.run([ctx.prog("driver_probe"), "vmm"], out, extra=ctx.driver_env())
    print(proc.stdout.rstrip())
    events, stop = events_of(ctx, out)
    runs = 2  # the PLT, then cuGetProcAddress
    by_type = {}
    for ev in events:
        by_type.setdefault(ev["event_type"], []).append(ev)
    allocs, frees = by_type.get("allocation", []), by_type.get("deallocation", [])
    maps, unmaps = by_type.get("memory_map", []), by_type.get("memory_unmap", [])
    expect(len(allocs) == 2 * runs and all(ev["metadata"]["api"] == "cuMemCreate" and ev["device_id"] == 1
                                           for ev in allocs), f"vmm: allocation events {allocs}")
    expect(len(frees) == 2 * runs and all(ev["metadata"]["api"] == "cuMemRelease" and ev["device_id"] == 1
                                          for ev in frees), f"vmm: deallocation events {frees}")
    expect(sum(ev["allocator_change_bytes"] for ev in allocs) == runs * 3 * VMM_CHUNK
           and sum(ev["allocator_change_bytes"] for ev in frees) == -runs * 3 * VMM_CHUNK,
           "vmm: created and released bytes differ from 3 chunks per run")
    expect("error" not in by_type, f"vmm: error events for refused maps/unmaps: {by_type.get('error')}")
    # Three mappings per run (two side by side, unmapped by one call; one whose handle is
    # released before its unmap), each mapped and unmapped once.
    expect(len(maps) == 3 * runs and len(unmaps) == 3 * runs,
           f"vmm: {len(maps)} memory_map and {len(unmaps)} memory_unmap events, want {3 * runs} each")
    handles = {}  # handle -> its cuMemCreate event
    live = {}  # ptr -> (size, handle), by file order
    for ev in events:
        md = ev["metadata"]
        if ev["event_type"] == "allocation":
            handles[md["ptr"]] = ev
        elif ev["event_type"] in ("memory_map", "memory_unmap"):
            kind = ev["event_type"]
            want_api = "cuMemMap" if kind == "memory_map" else "cuMemUnmap"
            expect(set(md) == VMM_MD_KEYS, f"vmm: {kind} metadata {md}, want keys {sorted(VMM_MD_KEYS)}")
            expect(md["api"] == want_api and ev["device_id"] == 1 and ev["allocator_change_bytes"] == 0
                   and md["offset"] == 0, f"vmm: {kind} event {ev}")
            expect(md["handle"] in handles, f"vmm: {kind} names handle {md['handle']}, never created")
            expect(md["size"] in (VMM_CHUNK, 2 * VMM_CHUNK), f"vmm: {kind} size {md['size']}")
            expect(md["thread_id"] == handles[md["handle"]]["metadata"]["thread_id"],
                   f"vmm: {kind} on thread {md['thread_id']}, its handle was created on another")
            if kind == "memory_map":
                expect(md["ptr"] not in live, f"vmm: {md['ptr']} mapped twice")
                live[md["ptr"]] = (md["size"], md["handle"])
            else:
                expect(live.pop(md["ptr"], None) == (md["size"], md["handle"]),
                       f"vmm: unmap of {md['ptr']} ({md['size']}, {md['handle']}) matches no live mapping")
    expect(not live, f"vmm: mappings never unmapped: {live}")
    # The mapping whose handle was released first: its unmap follows the release and still names it.
    late = [ev for ev in unmaps if ev["metadata"]["size"] == VMM_CHUNK]
    expect(len(late) == runs, f"vmm: {len(late)} unmaps of a released handle's mapping, want {runs}")
    for ev in late:
        released = [f for f in frees if f["metadata"]["ptr"] == ev["metadata"]["handle"]
                    and f["timestamp_ns"] <= ev["timestamp_ns"]]
        expect(released, f"vmm: the unmap {ev['metadata']} does not follow its handle's release")
    failed = stop["metadata"]["failed_calls"]
    want_failed = {"cuMemMap": {"1": runs, "400": runs}, "cuMemUnmap": {"1": runs}}
    expect(failed == want_failed, f"vmm: stop failed_calls {failed}, want {want_failed}")
    books = stop["metadata"]["devices"]["1"]
    expect(books["allocations"] == 2 * runs and books["frees"] == 2 * runs and books["failed_allocations"] == 0
           and books["allocated_bytes"] == 0, f"vmm: stop books of device 1 {books}")
    print(f"vmm: {len(maps)} maps and {len(unmaps)} unmaps on device 1, change 0; failed_calls {failed}")
    check_vmm_summary(ctx, out, events)


def case_hip_vmm(ctx):
    """hipMemCreate / hipMemRelease: counted on prop's device, not the thread's."""
    events, _ = run_probe(ctx, "hip_vmm_probe", None, "hip_vmm")
    allocs = [ev for ev in events if ev["event_type"] == "allocation"]
    frees = [ev for ev in events if ev["event_type"] == "deallocation"]
    expect(len(allocs) == 1 and allocs[0]["metadata"]["api"] == "hipMemCreate" and allocs[0]["device_id"] == 1
           and allocs[0]["collector"] == "stormlog.hip_shim", f"hip_vmm: allocation events {allocs}")
    expect(len(frees) == 1 and frees[0]["metadata"]["api"] == "hipMemRelease" and frees[0]["device_id"] == 1,
           f"hip_vmm: deallocation events {frees}")


def case_dlsym(ctx):
    """XLA's shape: dlopen(libcuda) RTLD_LOCAL + dlsym(handle, cuMemAlloc_v2), 75% preallocation: exact."""
    events, _ = run_probe(ctx, "dlopen_probe", "dlsym", "dlsym")
    only_driver_apis(events, "dlsym")
    got = apis(events, "allocation")
    expect(sorted(got) == ["cuMemAllocAsync_ptsz", "cuMemAlloc_v2"], f"dlsym: allocation APIs {got}")


def case_dlsym_procaddress(ctx):
    """cuGetProcAddress taken with dlsym from a dlopened libcuda, then everything through it."""
    events, _ = run_probe(ctx, "dlopen_probe", "procaddress", "dlsym_procaddress")
    only_driver_apis(events, "dlsym_procaddress")
    expect(apis(events, "allocation") == ["cuMemAlloc_v2"], f"allocation APIs {apis(events, 'allocation')}")


def check_runtime_won(events, label):
    """No allocation counted twice: runtime events only, each naming the driver call it made."""
    for kind in ("allocation", "deallocation"):
        for ev in (e for e in events if e["event_type"] == kind):
            md = ev["metadata"]
            expect(md["api"].startswith("cuda"), f"{label}: {kind} event counted by the driver hook: {md}")
            expect(md.get("driver_api") in DRIVER_WRAPPED, f"{label}: {kind} event without metadata.driver_api: {md}")


def case_nested(ctx):
    """cudaMalloc through a runtime that calls cuMemAlloc_v2 via cuGetProcAddress: counted once, by the runtime hook."""
    events, _ = run_probe(ctx, "runtime_probe", "nested", "nested")
    check_runtime_won(events, "nested")
    pairs = {(ev["metadata"]["api"], ev["metadata"]["driver_api"]) for ev in events if ev["event_type"] == "allocation"}
    want = {("cudaMalloc", "cuMemAlloc_v2"), ("cudaMallocManaged", "cuMemAlloc_v2"),
            ("cudaMallocAsync_ptsz", "cuMemAllocAsync_ptsz"), ("cudaMallocAsync", "cuMemAllocAsync"),
            ("cudaMallocPitch", "cuMemAllocPitch_v2"), ("cudaMallocHost", "cuMemAllocHost_v2")}
    expect(pairs == want, f"nested: (api, driver_api) {sorted(pairs)}, want {sorted(want)}")
    # On a stream of device 1 with device 0 current: recorded on device 1.
    cross = [ev for ev in events if ev["event_type"] == "allocation" and ev["metadata"]["api"] == "cudaMallocAsync"]
    expect(len(cross) == 1 and cross[0]["device_id"] == 1, f"nested: cudaMallocAsync events {cross}")


def case_entrypoint(ctx):
    """cudaGetDriverEntryPoint(ByVersion)(_ptsz): the wrapper of the exact variant; a call through it counts once."""
    events, _ = run_probe(ctx, "runtime_probe", "entrypoint", "entrypoint")
    expect(apis(events, "allocation") == ["cuMemAlloc_v2"], f"entrypoint: allocation APIs {apis(events, 'allocation')}")


def case_static(ctx):
    """A program with the runtime linked in statically: seen through the driver only, exactly."""
    events, _ = run_probe(ctx, "static_probe", None, "static")
    only_driver_apis(events, "static")


def workload(ctx, prog, label, extra):
    out = ctx.out_dir(label)
    truth_path = os.path.join(ctx.tmp, label + ".truth.json")
    env = dict(base.KEEP_EVERYTHING)
    env.update(extra)
    ctx.run([ctx.prog(prog), "--devices", "2"] + base.workload_args(ctx, truth_path), out, extra=env, timeout=900)
    return base.compare_with_truth(ctx, out, base.load_truth(truth_path), label)


def case_workload_drv(ctx):
    """workload_cuda on the driver-backed runtime (8 threads): exact, and nothing counted by both hooks."""
    events, _ = workload(ctx, "workload_cuda", "workload_drv",
                         {"LD_LIBRARY_PATH": f"{ctx.cudart_drv_dir}:{ctx.libcuda_dir}"})
    for ev in events:
        if ev["event_type"] in ("allocation", "deallocation"):
            expect(ev["metadata"]["api"].startswith("cuda"), f"workload_drv: counted by a driver hook: {ev}")
    with_driver = sum(1 for ev in events if "driver_api" in ev.get("metadata", {}))
    expect(with_driver > 0, "workload_drv: no event names the driver API it reached")
    print(f"workload_drv: {with_driver} events name their driver call")


def case_workload_static(ctx):
    """The workload with the runtime linked statically (8 threads): exact through the driver hooks alone.

    Calls the runtime refuses before reaching the driver (a NULL out-pointer,
    a managed allocation of 0 bytes) cannot be seen from the driver: the
    failure count is not compared; bytes, allocations and frees are."""
    out = ctx.out_dir("workload_static")
    truth_path = os.path.join(ctx.tmp, "workload_static.truth.json")
    env = dict(base.KEEP_EVERYTHING)
    env["LD_LIBRARY_PATH"] = ctx.libcuda_dir
    ctx.run([ctx.prog("workload_cuda_static"), "--devices", "2"] + base.workload_args(ctx, truth_path), out,
            extra=env, timeout=900)
    truth = base.load_truth(truth_path)
    base.validate(ctx, out)
    dirs = base.sink_dirs(out)
    expect(len(dirs) == 1, f"workload_static: sink directories {dirs}")
    events, stop = base.check_session(dirs[0])
    totals = base.device_totals(events)
    devices = stop["metadata"]["devices"]
    for dev, live in truth["live"].items():
        t = totals.get(dev, {"sum": 0, "last": 0})
        expect(t["sum"] == live and t["last"] == live,
               f"workload_static: device {dev}: sum {t['sum']} / last {t['last']} != truth {live}")
        got = devices.get(dev, {}).get("allocated_bytes", 0)
        expect(got == live, f"workload_static: device {dev}: stop summary {got} != truth {live}")
    allocs = sum(d["allocations"] for d in devices.values())
    frees = sum(d["frees"] for d in devices.values())
    expect(allocs == truth["allocs"], f"workload_static: allocations {allocs} != truth {truth['allocs']}")
    expect(frees == truth["frees"], f"workload_static: frees {frees} != truth {truth['frees']}")
    only_driver_apis(events, "workload_static")
    print(f"workload_static: {len(events)} events; live {truth['live']}; allocs {allocs} frees {frees}")


def case_dlsym_hardening(ctx):
    """10,000 unrelated names on 4 handles as glibc answers them, 16 threads, a constructor before ours."""
    out = ctx.out_dir("hardening")
    proc = ctx.run([ctx.prog("dlsym_hardening")], out, extra=ctx.driver_env())
    print(proc.stdout.rstrip())


def trace_of(path):
    records = []
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            if "symbol" in rec:
                records.append(rec)
    return records


def case_real_cudart(ctx):
    """NVIDIA's libcudart on the libcuda double: our wrapper for every allocation variant, the rest untouched."""
    probe = ctx.progs.get("probe_real_cudart")
    if not probe or not os.path.exists(probe):
        print("SKIP: no real libcudart here (probe_real_cudart not built)")
        return SKIP
    results = {}
    for label, preload in (("bare", False), ("shim", True)):
        out = ctx.out_dir("real_" + label)
        trace = os.path.join(ctx.tmp, f"real_{label}.trace.jsonl")
        proc = ctx.run([probe], out, preload=preload, check=False,
                       extra=ctx.driver_env({"STORMLOG_DOUBLE_CUDA_PROC_TRACE": trace,
                                             "ASAN_OPTIONS": "detect_leaks=0"}))
        expect(os.path.exists(trace), f"{label}: the runtime never reached cuGetExportTable "
                                      f"(exit {proc.returncode}): {proc.stdout}{proc.stderr}")
        results[label] = (proc.returncode, proc.stdout, trace_of(trace))
    bare, shim = results["bare"], results["shim"]
    expect(bare[0] == shim[0] and bare[1] == shim[1],
           f"the runtime's results changed under the shim:\nbare:\n{bare[1]}\nshim:\n{shim[1]}")
    key = lambda r: (r["symbol"], r["version"], r["flags"], r["rc"], r["status"], r["answered"])
    expect([key(r) for r in bare[2]] == [key(r) for r in shim[2]],
           "the runtime asked the driver for other things under the shim")
    records = shim[2]
    expect(len(records) > 100, f"only {len(records)} cuGetProcAddress requests recorded")
    last_for_slot = {}
    for i, r in enumerate(records):
        if "pfn" in r:
            last_for_slot[r["pfn"]] = i
    wrapped, untouched = set(), 0
    for i, r in enumerate(records):
        if r["rc"] != 0 or r["answered"] is None or last_for_slot.get(r.get("pfn")) != i:
            continue  # failed lookups, and slots the runtime reused later, say nothing about the hand-out
        what = f"{r['symbol']}@{r['version']} flags {r['flags']} -> {r['answered']}"
        if r["answered"] in DRIVER_WRAPPED:
            expect(r["held_object"] and r["held_object"].startswith("libstormlog_shim.so")
                   and r["held_symbol"] == r["answered"],
                   f"{what}: the runtime holds {r['held_symbol']} from {r['held_object']}, want the shim's wrapper")
            wrapped.add((r["symbol"], r["flags"], r["answered"]))
        else:
            expect(r["held"] == r["answer"], f"{what}: the runtime holds {r['held']}, the driver gave {r['answer']}")
            untouched += 1
    asked = {(r["symbol"], r["flags"], r["answered"]) for r in records if r["rc"] == 0 and r["answered"] in DRIVER_WRAPPED}
    for name in ("cuMemAlloc_v2", "cuMemFree_v2", "cuMemAllocAsync", "cuMemAllocAsync_ptsz", "cuMemFreeAsync_ptsz",
                 "cuMemHostAlloc", "cuMemFreeHost", "cuMemGetInfo_v2"):
        expect(any(a[2] == name for a in asked), f"the runtime never asked for {name}")
    print(f"real_cudart: {len(records)} requests; wrapped {len(wrapped)} (name, flags) variants: "
          f"{sorted(w[2] for w in wrapped)}; {untouched} untracked answers handed on untouched; "
          f"the runtime's results unchanged: {shim[1].splitlines()[-1] if shim[1] else ''}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def driver_arguments(parser):
    parser.add_argument("--libcuda-dir", required=True)
    parser.add_argument("--cudart-drv-dir", required=True)


if __name__ == "__main__":
    sys.exit(base.run_case(CASES, Ctx, driver_arguments))
