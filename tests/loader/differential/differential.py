#!/usr/bin/env python3
"""Differential run: our `stormlog-inspect load` against the reference loader.

    python3 tests/loader/differential/differential.py --inspect build/bin/stormlog-inspect \
        [--seeds 0:400] [--seed-list 5,17] [--out DIR] [--shared ../shared] [-v]

For each seed it generates one input (generators.py), runs our command on it
in a child process and the reference (../shared/reference/oracle_load.py,
imported, so no interpreter start per input) on the same files, and compares
by the rules of same_answer.py (check.py's normalization and diff). Every
input answered differently is written under --out as a case folder in the
layout of ../shared/conformance/cases (case.json, the input, the reference's
expected.json), ready to move into tests/loader/cases/ once fixed.

Exit 0 when nothing differs, 1 otherwise. ctest runs a fixed seed set; the
longer run is the same command with a wider --seeds (docs/fidelity.md).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generators  # noqa: E402
import same_answer  # noqa: E402


def import_shared(shared: Path):
    sys.path.insert(0, str(shared / "conformance"))
    sys.path.insert(0, str(shared / "reference"))
    import check  # noqa: F401
    import oracle_load  # noqa: F401
    return check, oracle_load


def run_oracle(oracle, target: str, mode: str, permissive: int, events_key):
    """What oracle_load.py prints and its exit status, without a new interpreter."""
    rc = 0
    try:
        if mode == "record":
            doc = oracle._record_doc(target, bool(permissive))
        else:
            doc = oracle._load_doc(target, bool(permissive), events_key)
            doc = oracle._placeholders(doc, target, events_key)
    except ValueError as exc:
        doc, rc = {"error": str(exc)}, 1
    except Exception as exc:  # noqa: BLE001 - the oracle reports any failure as a document
        doc, rc = {"error": str(exc), "exception": type(exc).__name__}, 2
    if rc:
        doc["error"] = oracle._normalize_message(doc["error"], target)
    # Through text and back, as expected.json is read.
    return json.loads(json.dumps(doc)), rc


def our_command(inspect, target, mode, permissive, events_key):
    cmd = [inspect, "load"]
    cmd += ["--record-file", target] if mode == "record" else [target]
    if mode == "load" and events_key is not None:
        cmd += ["--events-key", events_key]
    return cmd + ["--permissive-legacy", str(permissive)]


def finish_ours(proc):
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, -9
    try:
        return json.loads(out), proc.returncode
    except ValueError:
        return None, proc.returncode


def judge(case_dir: Path, meta, inspect, check, oracle):
    target = str(case_dir / meta["input"])
    proc = subprocess.Popen(our_command(inspect, target, meta["mode"], meta["permissive_legacy"],
                                        meta["events_key"]),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            errors="surrogateescape")
    ref, ref_rc = run_oracle(oracle, target, meta["mode"], meta["permissive_legacy"],
                             meta["events_key"])
    ours, ours_rc = finish_ours(proc)
    verdict, detail = same_answer.compare(check, ours, ours_rc, ref, ref_rc, target,
                                          meta["events_key"], meta["mode"])
    return verdict, detail, ref, ref_rc


def case_meta(case: generators.Case, seed: int) -> dict:
    return {"input": case.input, "mode": case.mode, "permissive_legacy": case.permissive_legacy,
            "events_key": case.events_key, "seed": seed}


def fill_empty_dirs(root: Path) -> None:
    """git keeps no empty directory: give each one a .gitkeep (no loader reads it)."""
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):
            (d / ".gitkeep").write_bytes(b"")


def write_case(dest: Path, case, oracle, name: str, notes: str):
    """case.json, the input and the reference's expected.json under dest."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    case.write(dest)
    fill_empty_dirs(dest)
    target = str(dest / case.input)
    ref, ref_rc = run_oracle(oracle, target, case.mode, case.permissive_legacy, case.events_key)
    python_specific = ref_rc == 2 or (ref_rc == 1 and same_answer.python_text_at(ref["error"]) is not None)
    doc = {"name": name, "category": f"differential_{case.family}",
           "description": "; ".join(case.what)[:2000], "input": case.input, "mode": case.mode,
           "permissive_legacy": case.permissive_legacy, "events_key": case.events_key,
           "python_specific": python_specific, "notes": notes, "expected_exit": ref_rc}
    if ref_rc:
        doc["expected_error"] = ref["error"]
    (dest / "case.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (dest / "expected.json").write_text(json.dumps(ref, indent=2) + "\n", encoding="utf-8")


def keep_case(out: Path, seed: int, case, meta, check, oracle, inspect, detail) -> Path | None:
    """Write a differing input as a case folder; None if it no longer differs there."""
    name = f"d{seed:07d}_{case.family}"
    dest = out / name
    write_case(dest, case, oracle, name, f"found by tests/loader/differential (seed {seed}): {detail[:300]}")
    verdict, detail, _, _ = judge(dest, meta, inspect, check, oracle)
    if verdict != "differs":
        shutil.rmtree(dest)
        return None
    return dest


def parse_seeds(args) -> list:
    if args.seed_list:
        return [int(s) for s in args.seed_list.split(",") if s]
    a, _, b = args.seeds.partition(":")
    return list(range(int(a), int(b)))


def signature(detail: str) -> str:
    return re.sub(r"\d+", "N", detail)[:100]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inspect", required=True, help="the stormlog-inspect binary")
    ap.add_argument("--shared", default=str(HERE.parents[3] / "shared"))
    ap.add_argument("--seeds", default="0:200", help="A:B, the seeds A..B-1")
    ap.add_argument("--seed-list", help="comma-separated seeds (overrides --seeds)")
    ap.add_argument("--out", help="where differing inputs are written as cases")
    ap.add_argument("--max-keep", type=int, default=50, help="cases written per kind of difference")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    shared = Path(args.shared).resolve()
    check, oracle = import_shared(shared)
    corpus = shared / "conformance" / "cases"
    inspect = str(Path(args.inspect).resolve())
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    counts = {"same": 0, "python-text": 0, "better": 0, "limit": 0, "differs": 0}
    better_kinds: dict = {}
    kinds: dict = {}
    kept = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stormlog-diff-") as tmp:
        for seed in parse_seeds(args):
            case = generators.generate(seed, corpus)
            work = Path(tmp) / f"s{seed}"
            case.write(work)
            meta = case_meta(case, seed)
            verdict, detail, ref, _ = judge(work, meta, inspect, check, oracle)
            counts[verdict] += 1
            if verdict == "better":
                better_kinds[ref.get("exception")] = better_kinds.get(ref.get("exception"), 0) + 1
            if verdict == "differs":
                sig = signature(detail)
                kinds.setdefault(sig, []).append(seed)
                print(f"DIFF seed {seed} ({case.family}: {'; '.join(case.what)[:160]}): {detail[:300]}")
                if args.out and len(kinds[sig]) <= args.max_keep:
                    dest = keep_case(Path(args.out), seed, case, meta, check, oracle, inspect, detail)
                    if dest:
                        kept.append(dest)
            elif args.verbose:
                print(f"{verdict:11} seed {seed} ({case.family})")
            shutil.rmtree(work, ignore_errors=True)
    total = sum(counts.values())
    print(f"{total} inputs in {time.monotonic() - t0:.1f} s: {counts['same']} same, "
          f"{counts['python-text']} same up to Python's own text, {counts['better']} answered "
          f"where the reference crashes {dict(sorted(better_kinds.items(), key=str))}, "
          f"{counts['limit']} at our documented limits, "
          f"{counts['differs']} differ ({len(kinds)} kinds)")
    for sig, seeds in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(seeds):5} x {sig}  (seeds {','.join(map(str, seeds[:8]))})")
    if kept:
        print(f"written: {len(kept)} cases under {args.out}")
    return 1 if counts["differs"] else 0


if __name__ == "__main__":
    sys.exit(main())
