#!/usr/bin/env python3
"""What the reference (../shared/reference, standard library only) makes of a
sink directory our shim wrote: prints one JSON object
{"equal": bool, "accepted": bool, "diff": str}. equal: rollups.json is byte
for byte the document the reference builds from the same directory, with
the file's own generated_at_ns and pruned counts (only the writer knows
those); accepted: read_telemetry_rollups takes the file (fresh, well-formed).

usage: reference_rollups.py REFERENCE_DIR SINK_DIR"""
import difflib
import json
import sys

sys.path.insert(0, sys.argv[1])
from stormlog.telemetry import load_telemetry_sessions  # noqa: E402
from stormlog.telemetry_rollups import (  # noqa: E402
    build_telemetry_rollups, read_telemetry_rollups, rollup_coverage_from_manifest,
    telemetry_rollup_file_to_dict)
from stormlog.telemetry_sink import read_telemetry_sink_manifest  # noqa: E402

sink = sys.argv[2]
ours_text = open(sink + "/rollups.json", encoding="utf-8").read()
ours = json.loads(ours_text)
manifest = read_telemetry_sink_manifest(sink)
coverage = rollup_coverage_from_manifest(manifest, pruned_segment_count=ours["coverage"]["pruned_segment_count"],
                                         pruned_bytes=ours["coverage"]["pruned_bytes"])
doc = telemetry_rollup_file_to_dict(build_telemetry_rollups(load_telemetry_sessions(sink), manifest, coverage=coverage))
doc["generated_at_ns"] = ours["generated_at_ns"]
theirs_text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
diff = "".join(list(difflib.unified_diff(theirs_text.splitlines(True), ours_text.splitlines(True),
                                         "reference", "shim"))[:80])
print(json.dumps({"equal": theirs_text == ours_text, "accepted": read_telemetry_rollups(sink) is not None,
                  "diff": diff}))
