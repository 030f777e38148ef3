#!/usr/bin/env python3
"""record_id must be byte-identical to Python's: telemetry- + sha256 of
json.dumps(record, sort_keys=True)[:32]. Runs loader_record_ids over every
loadable conformance input and the canonical_json.jsonl inputs, recomputes
each id from the event dictionary the loader printed, and compares."""
import hashlib, json, os, subprocess, sys, tempfile

helper, conformance = sys.argv[1], sys.argv[2]

def py_id(record):
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()
    return "telemetry-" + digest[:32]

inputs = []
cases = os.path.join(conformance, "cases")
for name in sorted(os.listdir(cases)):
    meta = json.load(open(os.path.join(cases, name, "case.json"), encoding="utf-8"))
    if meta["mode"] == "load" and meta["expected_exit"] == 0 and not meta.get("events_key"):
        inputs.append(os.path.join(cases, name, meta["input"]))
tmp = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8")
with open(os.path.join(conformance, "canonical_json.jsonl"), encoding="utf-8") as fh:
    for line in fh:
        tmp.write(json.loads(line)["input"] + "\n")
tmp.close()
inputs.append(tmp.name)

checked = failed = 0
for path in inputs:
    out = subprocess.run([helper, path], capture_output=True, text=True, check=True).stdout
    for line in out.split("\n"):
        if not line:
            continue
        if line.startswith("ERROR\t"):
            continue
        if line == "NOID":
            print(f"FAIL {path}: no record id"); failed += 1; continue
        rid, text = line.split("\t", 1)
        record = json.loads(text)
        if any(isinstance(v, float) and v != v for v in [record.get("timestamp_ns")]):
            continue
        want = py_id(record)
        checked += 1
        if rid != want:
            failed += 1
            print(f"FAIL {path}: {rid} != {want} for {text[:200]}")
os.unlink(tmp.name)
print(f"{checked} record ids checked, {failed} failed")
sys.exit(1 if failed or checked == 0 else 0)
