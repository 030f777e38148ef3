#!/usr/bin/env python3
"""Write the hand-made cases that pin docs/fidelity.md's table into tests/loader/cases/.

    python3 tests/loader/differential/pin_cases.py [--shared ../shared] [--out tests/loader/cases]

Each input is small and aimed at one rule of the reference's loading code;
expected.json is what the reference answers (run here, never typed by hand).
Rerun after changing an input below; the cases found by differential runs
(d*_*) are kept as they were written.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import differential  # noqa: E402
from generators import Case  # noqa: E402


def record(**over) -> dict:
    rec = {"schema_version": 3, "session_id": "s-1", "timestamp_ns": 1_700_000_000_000_000_000,
           "event_type": "sample", "collector": "stormlog.native", "sampling_interval_ms": 10,
           "pid": 7, "host": "node-a", "device_id": 0, "allocator_allocated_bytes": 1024,
           "allocator_reserved_bytes": 2048, "allocator_active_bytes": None,
           "allocator_inactive_bytes": None, "allocator_change_bytes": 1024,
           "device_used_bytes": 1024, "device_free_bytes": None, "device_total_bytes": None,
           "context": "step", "metadata": {}}
    rec.update(over)
    return rec


def line(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False)


def manifest(sessions, segments=None, **over) -> bytes:
    doc = {"schema_version": 2, "format": "stormlog.append_only_telemetry_sink", "sessions": sessions,
           "segments": segments if segments is not None else
           [{"filename": "segment-000001.jsonl", "event_count": 1, "size_bytes": 1, "closed": True,
             "session_id": "s-1"}]}
    doc.update(over)
    return json.dumps(doc).encode()


def session(**over) -> dict:
    s = {"session_id": "s-1", "status": "completed", "started_at_ns": 1_700_000_000_000_000_000,
         "ended_at_ns": 1_700_000_001_000_000_000, "host": "node-a", "pid": 7, "job_id": None,
         "rank": 0, "local_rank": 0, "world_size": 1, "source": "stormlog.telemetry_sink"}
    s.update(over)
    return s


def sink(manifest_bytes: bytes | None, segment: str, what: str, inp="input") -> Case:
    files = {"input/segment-000001.jsonl": segment.encode("utf-8", "surrogateescape")}
    if manifest_bytes is not None:
        files["input/manifest.json"] = manifest_bytes
    return Case("pinned", files=files, input=inp, what=[what])


def jsonl(text: str | bytes, what: str) -> Case:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return Case("pinned", files={"input.jsonl": data}, input="input.jsonl", what=[what])


def json_file(text: str | bytes, what: str) -> Case:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return Case("pinned", files={"input.json": data}, input="input.json", what=[what])


BREAKS = {"vt": "\x0b", "ff": "\x0c", "fs": "\x1c", "gs": "\x1d", "rs": "\x1e", "nel": "\x85",
          "ls": "\u2028", "ps": "\u2029"}


def cases() -> dict:
    out = {}
    a = line(record(timestamp_ns=1_700_000_000_000_000_000))
    b = line(record(timestamp_ns=1_700_000_000_000_000_001, context="later"))
    for name, ch in BREAKS.items():
        out[f"p_splitlines_{name}_inside_string"] = jsonl(
            line(record(context=f"a{ch}b")) + "\n" + b + "\n",
            f"JSONL: {ch!r} inside a string splits the line (str.splitlines), line 1 is malformed")
        out[f"p_splitlines_{name}_ends_last_line"] = jsonl(
            a + "\n" + b + ch,
            f"JSONL: the last line ends in {ch!r}: kept by keepends, refused by json.loads, "
            "and dropped as a torn tail because it does not end in \\n")
    out["p_splitlines_vt_ends_middle_line"] = jsonl(a + "\x0b" + b + "\n",
                                                    "JSONL: a record followed by \\v then another: line 1 malformed")
    out["p_splitlines_vt_blank_line"] = jsonl(a + "\n\x0b\n" + b + "\n",
                                              "JSONL: a line holding only \\v is blank (str.strip) and skipped")
    out["p_jsonl_cr_only_lines"] = jsonl(a + "\r" + b + "\r", "JSONL: lone \\r ends lines (universal newlines)")
    out["p_jsonl_bom_first_line"] = jsonl("\ufeff" + a + "\n" + b + "\n",
                                          "JSONL: a BOM before line 1 is not whitespace to json.loads")
    out["p_jsonl_torn_tail_invalid_utf8"] = jsonl((a + "\n").encode() + b'{"context": "\xff',
                                                  "JSONL: a torn last line with invalid UTF-8 fails the file "
                                                  "(read_text decodes all of it first)")
    out["p_jsonl_raw_control_in_string"] = jsonl(line(record(context="a\x01b")) + "\n" + b + "\n",
                                                 "JSONL: raw U+0001 inside a string is invalid JSON")
    out["p_jsonl_raw_tab_in_string_last_line"] = jsonl(a + "\n" + line(record(context="a\tb")),
                                                       "JSONL: raw tab in a string on an unterminated last "
                                                       "line: malformed, so dropped as a torn tail")
    out["p_json_raw_control_in_string"] = json_file("[" + line(record(context="a\x1fb")) + "]",
                                                    "JSON: raw U+001F inside a string is invalid JSON")
    out["p_json_raw_newline_in_string"] = json_file("[" + line(record(context="a\nb")) + "]",
                                                    "JSON: raw newline inside a string is invalid JSON")
    out["p_json_formfeed_between_tokens"] = json_file("[\x0c" + a + "]",
                                                      "JSON: \\f is not JSON whitespace")
    for name, lit in {"trailing_point": "1.", "point_exponent": "1.e5", "leading_zero": "-01"}.items():
        out[f"p_json_number_{name}"] = json_file(
            a[:-1] + f', "metadata_x": {lit}}}', f"JSON: {lit} is not a JSON number (json-c reads it)")
    out["p_json_exponent_leading_zero_ok"] = json_file(
        a.replace('"metadata": {}', '"metadata": {"x": 1e-05, "y": -0.0, "z": 1E+2}'),
        "JSON: 1e-05, -0.0 and 1E+2 are JSON numbers")
    big = a.replace('"metadata": {}', '"metadata": {%s}')
    dups = {
        "both_big": '"a": 99999999999999999999999, "a": 88888888888888888888888',
        "big_then_small": '"a": 99999999999999999999999, "a": 1',
        "other_key_between": '"a": 1, "b": 99999999999999999999999, "a": 88888888888888888888888',
        "escaped_key_nested": '"\\u0061": [99999999999999999999999, {"x": -99999999999999999999999}], '
                              '"a": [1, {"x": -88888888888888888888888}]',
    }
    for name, body in dups.items():
        out[f"p_duplicate_key_bigint_{name}"] = json_file(
            "[" + big % body + "]", f"JSON: duplicate keys holding integers beyond 64 bits: {body}")
    out["p_jsonl_duplicate_key_bigint"] = jsonl(big % dups["other_key_between"] + "\n",
                                                "JSONL: duplicate key holding integers beyond 64 bits")
    out["p_duplicate_key_timestamp_bigint_then_valid"] = json_file(
        a.replace('"timestamp_ns": 1700000000000000000',
                  '"timestamp_ns": 340282366920938463463374607431768211457, "timestamp_ns": 5'),
        "JSON: a duplicate timestamp_ns: the first, beyond 128 bits, is overridden by 5")
    digits = "1" + "0" * 4300  # 4301 digits
    out["p_jsonl_4301_digit_int_torn_tail"] = jsonl(
        a + "\n" + b[:-1] + f', "metadata_x": {digits}}}',
        "JSONL: an unterminated last line holding a 4301-digit integer: json.loads raises a "
        "ValueError that is not a JSONDecodeError, so the file fails instead of dropping the line")
    out["p_json_4301_digit_int_in_metadata"] = json_file(
        "[" + a.replace('"metadata": {}', f'"metadata": {{"x": {digits}}}') + "]",
        "JSON: a 4301-digit integer in metadata fails the file")
    out["p_json_4300_digit_int_in_metadata"] = json_file(
        "[" + a.replace('"metadata": {}', f'"metadata": {{"x": {digits[:-1]}}}') + "]",
        "JSON: 4300 digits are read exactly")
    nest = lambda d: "[" * d + "1" + "]" * d  # noqa: E731
    out["p_json_metadata_nested_100"] = json_file(
        "[" + a.replace('"metadata": {}', '"metadata": {"x": %s}' % nest(100)) + "]",
        "JSON: metadata nesting 100 levels loads, as Python's decoder reads it")
    out["p_json_pid_nested_100"] = json_file(
        "[" + a.replace('"pid": 7', '"pid": %s' % nest(100)) + "]",
        "JSON: pid nested 100 levels deep is a type error, not a nesting error")
    out["p_jsonl_metadata_nested_200"] = jsonl(
        a.replace('"metadata": {}', '"metadata": {"x": %s}' % nest(200)) + "\n",
        "JSONL: metadata nesting 200 levels loads")
    seg = a + "\n"
    out["p_manifest_lax_number_ignored"] = sink(
        manifest([session()]).replace(b'"world_size": 1', b'"world_size": 1.'), seg,
        "sink: a manifest holding 1. does not parse, so the sessions are inferred from events")
    out["p_manifest_raw_control_ignored"] = sink(
        manifest([session(host="node\x08a")]), seg,
        "sink: a manifest with a raw control character in a string does not parse")
    out["p_manifest_started_float_2p63"] = sink(manifest([session(started_at_ns=9.223372036854776e18)]), seg,
                                                "sink: started_at_ns 2^63 as a float: int() keeps it exactly")
    out["p_manifest_ended_minus_1e30"] = sink(manifest([session(ended_at_ns=-10**30)]), seg,
                                              "sink: ended_at_ns -10^30 is kept, not an entry dropped")
    out["p_manifest_local_rank_string_2p63"] = sink(
        manifest([session(local_rank="9223372036854775808")]), seg,
        "sink: local_rank '9223372036854775808' goes through int(str)")
    out["p_manifest_pid_2p64"] = sink(manifest([session(pid=2**64)]), seg, "sink: pid 2^64")
    out["p_manifest_world_size_1e300"] = sink(manifest([session(world_size=1e300)]), seg,
                                              "sink: world_size 1e300: int() of the float, all 301 digits")
    out["p_manifest_rank_unicode_digits"] = sink(manifest([session(rank=" \u0661\u0667 ", world_size="1_000")]),
                                                 seg, "sink: int(' ١٧ ') is 17, int('1_000') is 1000")
    out["p_manifest_started_4301_digits"] = sink(manifest([session(started_at_ns="1" * 4301)]), seg,
                                                 "sink: int() refuses more than 4300 digits: the entry is skipped")
    out["p_manifest_started_4300_digits"] = sink(manifest([session(started_at_ns="1" * 4300)]), seg,
                                                 "sink: 4300 digits are still an int")
    deep = manifest([session(job_id=None)]).replace(b'"job_id": null', b'"extra": ' + b"[" * 100 + b"]" * 100 +
                                                    b', "job_id": null')
    out["p_manifest_4301_digit_int_ignored"] = sink(
        manifest([session(pid="@BIG@")]).replace(b'"@BIG@"', b"1" + b"0" * 4300), seg,
        "sink: a manifest holding a 4301-digit integer does not parse (json.loads raises): "
        "sessions are inferred")
    out["p_manifest_nested_100_deep"] = sink(deep, seg, "sink: a manifest nesting 100 levels deep still parses")
    m = manifest([session()], segments=[])
    out["p_manifest_path_no_segments"] = Case("pinned", files={"input/manifest.json": m},
                                              input="input/manifest.json",
                                              what=["manifest.json given, no segment file: read as JSON, "
                                                    "its schema_version makes it one record"])
    out["p_manifest_path_no_segments_no_schema"] = Case(
        "pinned", files={"input/manifest.json": json.dumps({"sessions": [], "segments": []}).encode()},
        input="input/manifest.json", what=["manifest.json without schema_version and no segment: "
                                           "'JSON payload does not contain telemetry events'"])
    out["p_manifest_path_no_segments_unparseable"] = Case(
        "pinned", files={"input/manifest.json": b"{"}, input="input/manifest.json",
        what=["manifest.json that does not parse, no segment: the JSON decoder's error"])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parents[3] / "shared"))
    ap.add_argument("--out", default=str(HERE.parent / "cases"))
    args = ap.parse_args()
    _, oracle = differential.import_shared(Path(args.shared).resolve())
    for name, case in cases().items():
        differential.write_case(Path(args.out) / name, case, oracle, name,
                                "pinned for docs/fidelity.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
