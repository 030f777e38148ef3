"""Inputs for the differential run, one per seed, deterministic.

A generated input is a `Case`: the files of a case folder (relative paths to
bytes), the path the loader is given, and its options. Four families, picked
by the seed:

  mutate   a public conformance input with one to three text mutations
           (bytes flipped, lines cut, Python line breaks and whitespace, BOMs,
           NULs, bad UTF-8, raw control characters, edge numbers, duplicate
           keys, deep nesting)
  record   legacy / v2 / v3 records with fields absent, null, of the wrong
           type, blank or at the edges, in a JSON list, an object, JSONL or
           record mode
  sink     sink directories: manifests that list missing, extra, duplicated,
           nested, absolute or odd segment names, zero segments, sessions
           without events, torn tails, several sessions per segment
  job      job directories holding several of the above sinks

Stdlib only: the harness runs wherever CI has python3.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

# What Python's str.splitlines() treats as a line break beyond \n \r, and
# what str.strip()/isspace() treats as whitespace beyond ASCII.
PY_LINE_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
PY_SPACES = ["\xa0", "\u1680", "\u2000", "\u2009", "\u200a", "\u202f", "\u205f",
             "\u3000", "\x1f", "\t", "\r", "\n"]
NOT_SPACES = ["\u200b", "\ufeff", "\u180e", "\x00", "\x7f"]
BAD_UTF8 = [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff",
            b"\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80", b"\xc3"]
EDGE_INTS = [0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -2**63, -2**63 - 1, 2**64 - 1,
             2**64, -2**64, 10**30, -10**30, 2**127, 2**128]
EDGE_NUMBER_TEXTS = ["-0", "0.0", "-0.0", "1.0", "1e3", "1E18", "1e308", "1.7976931348623157e308",
                     "1e309", "-1e400", "5e-324", "1e-400", "9.223372036854776e18",
                     "1.8446744073709552e19", "0.5", "-1.5", "123456789012345678901234567890.0",
                     "NaN", "Infinity", "-Infinity", "1" + "0" * 4400, "01", "+1", ".5", "1.",
                     "0x10", "1_000"]
ODD_STRINGS = ["", " ", "\t", "\u3000", "\u2028", "\x85", "a\u2028b", "cuda:\u00b2", "cuda:\u0663",
               "cuda:1", "cuda:", "CPU", "/GPU:0", "/gpu", " 17 ", "1_7", "\u0661\u0667", "17.0",
               "true", "null", "x" * 300, "\ud7ff", "\U0001f600", "COMPLETED", " completed ",
               "Interrupted", "running\n", "incomplete\u2028", "legacy-x", "mps", " ROCm ", "cuda",
               "cpu", "stop", "start", "sample"]

V3_FIELDS = ["schema_version", "session_id", "timestamp_ns", "event_type", "collector",
             "sampling_interval_ms", "pid", "host", "device_id", "allocator_allocated_bytes",
             "allocator_reserved_bytes", "allocator_active_bytes", "allocator_inactive_bytes",
             "allocator_change_bytes", "device_used_bytes", "device_free_bytes",
             "device_total_bytes", "context", "metadata", "job_id", "rank", "local_rank",
             "world_size"]
LEGACY_FIELDS = ["timestamp", "timestamp_ns", "device", "device_id", "memory_mb",
                 "memory_allocated", "memory_reserved", "memory_change", "allocated_delta",
                 "total_memory", "device_total", "total_bytes", "backend", "type", "event_type",
                 "message", "context", "pid", "host", "collector", "metadata", "metadata_rank",
                 "metadata_world_size", "metadata_job_id", "metadata_session_id", "metadata_host",
                 "metadata_pid", "metadata_total_memory", "metadata_backend", "session_id",
                 "sampling_interval_ms", "rank", "local_rank", "world_size", "job_id",
                 "allocator_active_bytes", "allocator_inactive_bytes", "device_used_bytes",
                 "device_free_bytes", "device_total_bytes", "allocator_allocated_bytes",
                 "allocator_reserved_bytes", "allocator_change_bytes"]
MANIFEST_SESSION_FIELDS = ["session_id", "status", "started_at_ns", "ended_at_ns", "host", "pid",
                           "job_id", "rank", "local_rank", "world_size", "source"]
MANIFEST_SEGMENT_FIELDS = ["filename", "event_count", "size_bytes", "closed", "session_id"]
STATUSES = ["completed", "interrupted", "incomplete", "running"]


@dataclass
class Case:
    family: str
    files: dict = field(default_factory=dict)  # relative path -> bytes
    dirs: list = field(default_factory=list)   # relative paths of directories
    input: str = "input.json"
    mode: str = "load"
    permissive_legacy: int = 1
    events_key: str | None = None
    what: list = field(default_factory=list)   # what was done, for the case description

    def write(self, root: Path) -> None:
        for d in self.dirs:
            (root / d).mkdir(parents=True, exist_ok=True)
        for rel, data in self.files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)


# ---------------------------------------------------------------- values

def edge_value(rng: random.Random):
    """A JSON value from the places where readers part ways."""
    k = rng.randrange(9)
    if k == 0:
        return rng.choice(EDGE_INTS)
    if k == 1:
        return rng.choice([None, True, False])
    if k == 2:
        return rng.choice(ODD_STRINGS)
    if k == 3:
        return rng.choice([[], {}, [1], {"a": 1}])
    if k == 4:
        return rng.choice([0.0, -0.0, 1.0, 1.5, 1e18, 1.7e18, 5e-324, 1e308, -1.0,
                           9.223372036854776e18, 123.456])
    if k == 5:
        return str(rng.choice(EDGE_INTS))
    if k == 6:
        return rng.randrange(-3, 5)
    if k == 7:
        return rng.randrange(0, 10**19)
    return RawNumber(rng.choice(EDGE_NUMBER_TEXTS))


class RawNumber(str):
    """A number literal written as is (NaN, 1e400, 4400 digits...)."""


def dumps(value, rng: random.Random) -> str:
    """JSON text with RawNumber literals kept verbatim and random spacing."""
    compact = rng.random() < 0.5
    ensure_ascii = rng.random() < 0.3

    def enc(v):
        if isinstance(v, RawNumber):
            return str(v)
        if isinstance(v, dict):
            sep = ":" if compact else ": "
            return "{" + (", " if not compact else ",").join(
                json.dumps(str(k), ensure_ascii=ensure_ascii) + sep + enc(x) for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ("," if compact else ", ").join(enc(x) for x in v) + "]"
        return json.dumps(v, ensure_ascii=ensure_ascii)
    return enc(value)


# ---------------------------------------------------------------- records

def base_v3(rng: random.Random, session_id="s-1", ts=None) -> dict:
    ts = ts if ts is not None else 1_700_000_000_000_000_000 + rng.randrange(10**6) * 1000
    total = 16 * 2**30
    used = rng.randrange(0, 2**30)
    rec = {"schema_version": 3, "session_id": session_id, "timestamp_ns": ts,
           "event_type": rng.choice(["sample", "allocation", "free", "start", "stop", "oom"]),
           "collector": "stormlog.native", "sampling_interval_ms": rng.choice([0, 10, 100]),
           "pid": rng.choice([-1, 1, 4242]), "host": rng.choice(["node-a", "node-b"]),
           "device_id": rng.choice([-1, 0, 1]), "allocator_allocated_bytes": used,
           "allocator_reserved_bytes": used + 4096, "allocator_active_bytes": rng.choice([None, used]),
           "allocator_inactive_bytes": rng.choice([None, 0]), "allocator_change_bytes": rng.randrange(-4096, 4096),
           "device_used_bytes": used, "device_free_bytes": rng.choice([None, total - used]),
           "device_total_bytes": rng.choice([None, total]), "context": rng.choice([None, "step 1", ""]),
           "metadata": rng.choice([{}, {"phase": "fwd"}, {"k": [1, 2.5, None]}])}
    if rng.random() < 0.4:
        ws = rng.choice([1, 2, 4])
        rec.update({"job_id": rng.choice([None, "job-7"]), "rank": rng.randrange(ws),
                    "local_rank": 0, "world_size": ws})
    return rec


def base_v2(rng: random.Random, **kw) -> dict:
    rec = base_v3(rng, **kw)
    rec["schema_version"] = 2
    if rng.random() < 0.7:
        rec.pop("session_id")
    return rec


def base_legacy(rng: random.Random, ts=None) -> dict:
    shape = rng.randrange(4)
    t = ts if ts is not None else 1_700_000_000 + rng.randrange(1000) + rng.choice([0, 0.25, 0.5])
    if shape == 0:
        rec = {"timestamp": t, "memory_allocated": rng.randrange(2**30),
               "memory_reserved": rng.randrange(2**30), "device": rng.choice(["cuda:0", "cpu", "cuda:1"])}
    elif shape == 1:
        rec = {"timestamp": t, "memory_mb": rng.choice([0, 1.5, 512, 0.1]), "device": "/GPU:0",
               "type": "sample"}
    elif shape == 2:
        rec = {"timestamp_ns": int(t * 10**9) if isinstance(t, int) else 1_700_000_000_000_000_000,
               "allocator_allocated_bytes": 10, "device_id": 0, "host": "h", "pid": 3}
    else:
        rec = {"timestamp": t, "memory_allocated": 5, "backend": rng.choice(["cuda", "rocm", "mps", "cpu", "tpu"]),
               "metadata": {"rank": 0, "world_size": 2, "total_memory": 100}, "message": "m"}
    if rng.random() < 0.3:
        rec["session_id"] = rng.choice(["legacy-s", "s-2", " ", None, 5])
    return rec


def mutate_record(rng: random.Random, rec: dict, what: list) -> dict:
    rec = dict(rec)
    names = V3_FIELDS + LEGACY_FIELDS + ["unknown_field", "metadata_x"]
    for _ in range(rng.randrange(1, 4)):
        name = rng.choice(list(rec) if rec and rng.random() < 0.6 else names)
        op = rng.randrange(6)
        if op == 0 and name in rec:
            del rec[name]
            what.append(f"{name} absent")
        elif op == 1:
            rec[name] = None
            what.append(f"{name} null")
        elif op == 2:
            rec[name] = rng.choice(["", " ", "\u3000", "\u2028", "\x85"])
            what.append(f"{name} blank")
        else:
            rec[name] = edge_value(rng)
            what.append(f"{name}={str(rec[name])[:24]!r}")
    return rec


def gen_record(rng: random.Random) -> Case:
    c = Case("record")
    n = rng.randrange(1, 4)
    recs = []
    for i in range(n):
        kind = rng.choice(["v3", "v2", "legacy", "legacy"])
        base = {"v3": lambda: base_v3(rng, session_id=rng.choice(["s-1", "s-2"])),
                "v2": lambda: base_v2(rng), "legacy": lambda: base_legacy(rng)}[kind]()
        c.what.append(kind)
        recs.append(mutate_record(rng, base, c.what) if rng.random() < 0.85 else base)
    c.permissive_legacy = 0 if rng.random() < 0.15 else 1
    shape = rng.randrange(5)
    if shape == 0:
        c.mode, c.input = "record", "record.json"
        c.files["record.json"] = dumps(recs[0], rng).encode("utf-8", "surrogatepass")
    elif shape == 1:
        c.files["input.json"] = dumps(recs, rng).encode("utf-8", "surrogatepass")
    elif shape == 2:
        key = rng.choice(["events", "records"])
        if key != "events":
            c.events_key = key
        c.files["input.json"] = dumps({key: recs, "meta": 1}, rng).encode("utf-8", "surrogatepass")
    elif shape == 3:
        c.files["input.json"] = dumps(recs[0], rng).encode("utf-8", "surrogatepass")
    else:
        c.input = "input.jsonl"
        c.files["input.jsonl"] = "".join(dumps(r, rng) + rng.choice(["\n", "\n", "\r\n"]) for r in recs).encode(
            "utf-8", "surrogatepass")
    return c


# ---------------------------------------------------------------- text mutations

def _string_positions(text: str) -> list:
    """Offsets just inside a JSON string (after an opening quote)."""
    return [m.end() for m in re.finditer(r'(?<![\\])"', text)]


def _number_spans(text: str) -> list:
    return [m.span() for m in re.finditer(r'(?<=[:\[,\s])-?\d+(\.\d+)?([eE][+-]?\d+)?(?=[,\]}\s])', text)]


def mutate_text(rng: random.Random, data: bytes, what: list) -> bytes:
    op = rng.randrange(14)
    n = len(data)
    pos = rng.randrange(n + 1) if n else 0
    if op == 0 and n:
        i = rng.randrange(n)
        b = rng.randrange(256) if rng.random() < 0.5 else data[i] ^ (1 << rng.randrange(8))
        what.append(f"byte {i} -> {b:#04x}")
        return data[:i] + bytes([b]) + data[i + 1:]
    if op == 1:
        what.append(f"cut at {pos}")
        return data[:pos]
    if op == 2:
        lines = data.split(b"\n")
        if len(lines) > 1:
            i = rng.randrange(len(lines))
            choice = rng.randrange(3)
            if choice == 0:
                del lines[i]
                what.append(f"line {i} removed")
            elif choice == 1:
                lines.insert(i, lines[i])
                what.append(f"line {i} doubled")
            else:
                lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
                what.append(f"line {i} cut")
            return b"\n".join(lines)
        what.append("trailing newline dropped")
        return data.rstrip(b"\n")
    text = data.decode("utf-8", "surrogateescape")
    if op in (3, 4):
        ch = rng.choice(PY_LINE_BREAKS if op == 3 else PY_SPACES + NOT_SPACES)
        where = rng.randrange(3)
        if where == 0 and "\n" in text:
            idx = [m.start() for m in re.finditer("\n", text)]
            i = rng.choice(idx)
            what.append(f"newline {i} -> {ch!r}")
            text = text[:i] + ch + text[i + 1:]
        elif where == 1 and _string_positions(text):
            i = rng.choice(_string_positions(text))
            what.append(f"{ch!r} inside a string at {i}")
            text = text[:i] + ch + text[i:]
        else:
            i = rng.randrange(len(text) + 1)
            what.append(f"{ch!r} at {i}")
            text = text[:i] + ch + text[i:]
        return text.encode("utf-8", "surrogateescape")
    if op == 5:
        if rng.random() < 0.5:
            what.append("BOM first")
            return b"\xef\xbb\xbf" + data
        i = data.find(b"\n") + 1
        what.append(f"BOM at {i}")
        return data[:i] + b"\xef\xbb\xbf" + data[i:]
    if op == 6:
        what.append(f"NUL at {pos}")
        return data[:pos] + b"\x00" + data[pos:]
    if op == 7:
        bad = rng.choice(BAD_UTF8)
        sp = _string_positions(text)
        if sp and rng.random() < 0.7:
            i = len(text[: rng.choice(sp)].encode("utf-8", "surrogateescape"))
        else:
            i = pos
        what.append(f"bytes {bad.hex()} at {i}")
        return data[:i] + bad + data[i:]
    if op == 8:
        sp = _string_positions(text)
        ch = chr(rng.choice(list(range(0, 0x20)) + [0x7f]))
        if sp:
            i = rng.choice(sp)
            what.append(f"raw {ch!r} inside a string")
            text = text[:i] + ch + text[i:]
        return text.encode("utf-8", "surrogateescape")
    if op == 9:
        spans = _number_spans(text)
        if spans:
            a, b = rng.choice(spans)
            new = str(rng.choice(EDGE_INTS)) if rng.random() < 0.6 else rng.choice(EDGE_NUMBER_TEXTS)
            what.append(f"number {text[a:b]} -> {new[:30]}")
            text = text[:a] + new + text[b:]
        return text.encode("utf-8", "surrogateescape")
    if op == 10:
        keys = re.findall(r'"([A-Za-z_]+)"\s*:', text)
        opens = [m.end() for m in re.finditer(r"\{", text)]
        if keys and opens:
            key = rng.choice(keys)
            if rng.random() < 0.4:  # json-c saturates these: the duplicate must still win exactly
                val = str(rng.choice([2**64, -2**63 - 1, 10**30, -10**30, 2**127, 2**130]))
            else:
                val = dumps(edge_value(rng), rng)
            if rng.random() < 0.5:
                i = rng.choice(opens)
                body = f'"{key}": {val}' + ("" if text[i:].lstrip().startswith("}") else ", ")
                what.append(f"duplicate {key}={val[:20]} first")
            else:
                closes = [m.start() for m in re.finditer(r"\}", text)] or [len(text)]
                i = rng.choice(closes)
                body = ("" if text[:i].rstrip().endswith("{") else ", ") + f'"{key}": {val}'
                what.append(f"duplicate {key}={val[:20]} last")
            text = text[:i] + body + text[i:]
        return text.encode("utf-8", "surrogateescape")
    if op == 11:
        depth = rng.choice([2, 10, 62, 63, 64, 65, 66, 100, 500, 990, 1000, 1100, 3000])
        spans = _number_spans(text)
        if spans:
            a, b = rng.choice(spans)
            what.append(f"value nested {depth} deep")
            text = text[:a] + "[" * depth + text[a:b] + "]" * depth + text[b:]
        return text.encode("utf-8", "surrogateescape")
    if op == 12:
        # structured: one value replaced somewhere in a JSON document / line
        return mutate_values(rng, data, what)
    # line endings: \r\n, lone \r, or a Python-only break between lines
    sep = rng.choice(["\r\n", "\r", "\n\n", "\u2028", "\x0c", "\x85", "\n \n"])
    what.append(f"line breaks -> {sep!r}")
    return text.replace("\n", sep, rng.randrange(1, 4)).encode("utf-8", "surrogateescape")


def _paths(v, at=()):
    yield at
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _paths(x, at + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _paths(x, at + (i,))


def _replace(v, path, new):
    if not path:
        return new
    if isinstance(v, dict):
        v = dict(v)
    else:
        v = list(v)
    v[path[0]] = _replace(v[path[0]], path[1:], new)
    return v


def mutate_values(rng: random.Random, data: bytes, what: list) -> bytes:
    """Replace one value (or drop one key) in the JSON document or in one JSONL line."""
    try:
        return _mutate_values(rng, data, what)
    except RecursionError:  # a document nested past Python's limit: leave it as it is
        return data


def _mutate_values(rng: random.Random, data: bytes, what: list) -> bytes:
    lines = data.split(b"\n")
    try:
        docs = [json.loads(data)]
        whole = True
    except Exception:
        whole = False
        docs = []
    if not whole:
        idx = [i for i, ln in enumerate(lines) if ln.strip()]
        if not idx:
            return data
        i = rng.choice(idx)
        try:
            doc = json.loads(lines[i])
        except Exception:
            return data
        lines[i] = _mutated(rng, doc, what).encode("utf-8", "surrogatepass")
        return b"\n".join(lines)
    return _mutated(rng, docs[0], what).encode("utf-8", "surrogatepass")


def _mutated(rng, doc, what):
    paths = [p for p in _paths(doc) if p]
    if not paths:
        return dumps(doc, rng)
    p = rng.choice(paths)
    if rng.random() < 0.25 and isinstance(p[-1], str):
        parent = doc
        for k in p[:-1]:
            parent = parent[k]
        parent = dict(parent)
        parent.pop(p[-1], None)
        what.append(f"{'/'.join(map(str, p))} removed")
        return dumps(_replace(doc, p[:-1], parent), rng)
    new = edge_value(rng)
    what.append(f"{'/'.join(map(str, p))} = {str(new)[:24]!r}")
    return dumps(_replace(doc, p, new), rng)


def gen_mutate(rng: random.Random, corpus: Path) -> Case:
    cases = sorted(p for p in corpus.iterdir() if p.is_dir())
    src = rng.choice(cases)
    meta = json.loads((src / "case.json").read_text(encoding="utf-8"))
    c = Case("mutate", input=meta["input"], mode=meta["mode"],
             permissive_legacy=meta["permissive_legacy"], events_key=meta.get("events_key"))
    c.what.append(f"from {src.name}")
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src).as_posix()
        if rel in ("case.json", "expected.json"):
            continue
        if p.is_dir():
            c.dirs.append(rel)
        else:
            c.files[rel] = p.read_bytes()
    targets = sorted(k for k in c.files)
    if not targets:
        return c
    for _ in range(rng.randrange(1, 4)):
        t = rng.choice(targets)
        c.what.append(f"{t}:")
        c.files[t] = mutate_text(rng, c.files[t], c.what)
    if rng.random() < 0.1:
        c.permissive_legacy ^= 1
        c.what.append("permissive flipped")
    return c


# ---------------------------------------------------------------- sinks

ODD_SEGMENT_NAMES = ["segment-1.jsonl", "segment-.jsonl", "segment-000001.jsonl.bak",
                     "Segment-000009.jsonl", "segment-000008.JSONL", "segment- 7.jsonl",
                     "segment-\u2028.jsonl", "segment-0000010.jsonl", "segment-999999.jsonl",
                     "segment-000003.json", "data.jsonl", "segment-a b.jsonl"]
ODD_MANIFEST_NAMES = [".", "", "..", "sub/segment-000004.jsonl", "/dev/null",
                      "/nonexistent/segment-000001.jsonl", "./segment-000001.jsonl",
                      "segment-000001.jsonl/", "sub", "manifest.json", "segment-000001.jsonl\u0000"]


def _segment_lines(rng, session_ids, count) -> list:
    lines = []
    ts = 1_700_000_000_000_000_000 + rng.randrange(10**6) * 10**6
    for _ in range(count):
        ts += rng.choice([0, 1, 1000, 10**9])
        kind = rng.randrange(10)
        if kind < 5:
            rec = base_v3(rng, session_id=rng.choice(session_ids), ts=ts)
            if rng.random() < 0.3:
                rec.pop("session_id")
        elif kind < 7:
            rec = base_v2(rng, ts=ts)
        else:
            rec = base_legacy(rng)
        if rng.random() < 0.15:
            rec = mutate_record(rng, rec, [])
        lines.append(dumps(rec, rng))
    return lines


def _manifest_session(rng, sid) -> dict:
    started = 1_700_000_000_000_000_000 + rng.randrange(10**9)
    s = {"session_id": sid, "status": rng.choice(STATUSES), "started_at_ns": started,
         "ended_at_ns": rng.choice([None, started + 10**9]), "host": "node-a", "pid": 77,
         "job_id": rng.choice([None, "j"]), "rank": 0, "local_rank": 0, "world_size": 1,
         "source": "stormlog.telemetry_sink"}
    if rng.random() < 0.35:
        for _ in range(rng.randrange(1, 3)):
            k = rng.choice(MANIFEST_SESSION_FIELDS)
            if rng.random() < 0.3:
                s.pop(k, None)
            else:
                s[k] = edge_value(rng)
    return s


def sink_files(rng: random.Random, prefix: str, what: list) -> tuple[dict, list]:
    """The files of one random sink directory under prefix."""
    files, dirs = {}, [prefix]
    sids = rng.sample(["s-a", "s-b", "s-c", "legacy-zz", "S-A"], rng.randrange(1, 4))
    nseg = rng.choice([0, 1, 1, 2, 3, 4])
    names = [f"segment-{i + 1:06d}.jsonl" for i in range(nseg)]
    if rng.random() < 0.3:
        names.append(rng.choice(ODD_SEGMENT_NAMES))
    seg_session = {}
    for name in names:
        lines = _segment_lines(rng, sids, rng.randrange(0, 5))
        seg_session[name] = rng.choice(sids + [None])
        body = "".join(ln + rng.choice(["\n", "\n", "\r\n", "\n\n"]) for ln in lines)
        tail = rng.randrange(8)
        if tail == 0 and lines:
            body += lines[0][: rng.randrange(len(lines[0]))]  # torn tail
            what.append(f"{name} torn tail")
        elif tail == 1:
            body = body.rstrip("\n")
        elif tail == 2:
            body += rng.choice(PY_LINE_BREAKS + ["  \n", "\r"])
        files[f"{prefix}/{name}"] = body.encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        dirs.append(f"{prefix}/sub")
        files[f"{prefix}/sub/segment-000004.jsonl"] = (dumps(base_v3(rng), rng) + "\n").encode()
        what.append("nested segment")
    mkind = rng.randrange(10)
    if mkind == 0:
        what.append("no manifest")
        return files, dirs
    schema = rng.choice([2, 2, 2, 1, "2", " 3 ", 2.9, True, None, 0, "x"])
    listed = [n for n in names if rng.random() < 0.85]
    if rng.random() < 0.3:
        listed.append(f"segment-{rng.randrange(1, 9):06d}.jsonl")  # maybe missing
    if rng.random() < 0.2 and listed:
        listed.append(rng.choice(listed))  # duplicated
    if rng.random() < 0.2:
        listed.append(rng.choice(ODD_MANIFEST_NAMES))
    rng.shuffle(listed)
    segs = []
    for name in listed:
        e = {"filename": name, "event_count": rng.randrange(5), "size_bytes": 100, "closed": True,
             "session_id": seg_session.get(name, rng.choice(sids))}
        if rng.random() < 0.15:
            k = rng.choice(MANIFEST_SEGMENT_FIELDS)
            e[k] = edge_value(rng)
            what.append(f"segment entry {k}")
        segs.append(e)
    if rng.random() < 0.1:
        segs.append(rng.choice([None, 3, "segment-000001.jsonl", []]))
    sessions = [_manifest_session(rng, sid) for sid in sids if rng.random() < 0.8]
    if rng.random() < 0.15:
        sessions.append(_manifest_session(rng, "s-only-manifest"))
    manifest = {"schema_version": schema, "format": "stormlog.append_only_telemetry_sink",
                "sessions": sessions, "segments": segs}
    text = dumps(manifest, rng)
    if mkind == 1:
        text = mutate_text(rng, text.encode("utf-8", "surrogatepass"), what).decode("utf-8", "surrogateescape")
        what.append("manifest mutated")
    elif mkind == 2:
        text = rng.choice(["[]", "null", "{", "", "\ufeff{}", '{"segments": 5}', '{"sessions": {}}'])
        what.append(f"manifest {text!r}")
    files[f"{prefix}/manifest.json"] = text.encode("utf-8", "surrogateescape")
    what.append(f"{len(names)} segments, {len(listed)} listed, schema {schema!r}")
    return files, dirs


def gen_sink(rng: random.Random) -> Case:
    c = Case("sink", input="input")
    c.files, c.dirs = sink_files(rng, "input", c.what)
    c.permissive_legacy = 0 if rng.random() < 0.1 else 1
    r = rng.random()
    if r < 0.15 and "input/manifest.json" in c.files:
        c.input = "input/manifest.json"
    elif r < 0.3:
        segs = sorted(k for k in c.files if k.endswith(".jsonl") and k.count("/") == 1)
        if segs:
            c.input = rng.choice(segs)
    if not any(k.startswith("input/") for k in c.files) and c.input == "input":
        c.files["input/segment-000001.jsonl"] = b""
    return c


def gen_job(rng: random.Random) -> Case:
    c = Case("job", input="input")
    for i in range(rng.randrange(1, 4)):
        prefix = f"input/{rng.choice(['rank-', 'host-', ''])}{i}"
        if rng.random() < 0.3:
            prefix = f"input/nested/{i}"
        f, d = sink_files(rng, prefix, c.what)
        c.files.update(f)
        c.dirs.extend(d)
    if rng.random() < 0.3:
        c.files["input/notes.txt"] = b"not telemetry\n"
    return c


FAMILIES = ["mutate", "mutate", "mutate", "record", "record", "sink", "sink", "job"]


def generate(seed: int, corpus: Path) -> Case:
    rng = random.Random(seed)
    family = FAMILIES[seed % len(FAMILIES)]
    if family == "mutate":
        return gen_mutate(rng, corpus)
    if family == "record":
        return gen_record(rng)
    if family == "sink":
        return gen_sink(rng)
    return gen_job(rng)
