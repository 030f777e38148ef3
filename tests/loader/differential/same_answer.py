"""When our loader's answer counts as the reference's (issue 17).

  * both succeed: the documents are identical by check.py's rules (its
    normalize() and diff(), imported from ../shared/conformance, so there is
    one definition of "identical");
  * one fails and the other does not: different;
  * both fail with a ValueError (reference exit 1): the messages must be equal,
    except where the reference's message embeds Python's own text (the json
    decoder's detail, a codec error, int()'s complaint): there the message up
    to that text must match and the rest may be ours;
  * the reference crashes (exit 2, an exception that is not a ValueError,
    e.g. IsADirectoryError, OverflowError, RecursionError): its message is
    Python's, so any error of ours matches; an answer where it crashed is
    "better" (counted and reported, listed in docs/fidelity.md), never a
    failure in itself;
  * our documented limits (docs/fidelity.md): nesting deeper than 1000
    levels (where Python's decoder has already crashed), an integer field
    beyond 128 bits. Where our error names one of
    them the verdict is "limit" (counted and reported, not a failure); any
    other answer of ours is judged as above;
  * our side must always print one JSON document and exit 0 or 1: a crash,
    a signal, a timeout or unparseable output is always a difference.
"""
from __future__ import annotations

import re

# Python's own texts inside reference error messages (ValueError subclasses
# that reach the oracle unwrapped, or str(exc) of a library call).
# Our errors for the limits we keep on purpose (docs/fidelity.md, "Limits").
OUR_LIMITS = re.compile(r"(nested|nesting) deeper than \d+ levels|integers beyond 128 bits are not supported")

PYTHON_TEXT = [
    re.compile(r"(Expecting|Unterminated string|Invalid control character|Invalid \\escape|"
               r"Invalid \\uXXXX escape|Extra data|Unexpected UTF-8 BOM)[^\n]*line \d+ column \d+ \(char \d+\)"),
    re.compile(r"'utf-8' codec can't decode"),
    re.compile(r"Exceeds the limit \(\d+ digits\) for integer string conversion"),
    re.compile(r"invalid literal for int\(\) with base 10"),
    re.compile(r"cannot convert float (NaN|infinity) to integer"),
    re.compile(r"\[Errno \d+\]"),
]


def python_text_at(message: str):
    """Offset where Python's own text starts in a reference message, or None."""
    starts = [m.start() for rx in PYTHON_TEXT for m in [rx.search(message)] if m]
    return min(starts) if starts else None


def compare(check, ours, ours_rc, ref, ref_rc, inp, events_key, mode):
    """(verdict, detail): 'same', 'python-text', 'better', 'limit' or 'differs'.

    `check` is the imported ../shared/conformance/check.py module; `ours` is our
    parsed document or None when there was none."""
    if ours is None or not isinstance(ours, dict) or ours_rc not in (0, 1):
        return "differs", f"our side crashed or printed no document (exit {ours_rc})"
    if ("error" in ours) != (ours_rc != 0):
        return "differs", f"exit {ours_rc} does not match the document"
    ours = check.normalize(ours, inp, events_key)
    if "error" in ours and OUR_LIMITS.search(ours["error"]):
        return "limit", ours["error"][:120]
    if ref_rc == 2:
        if "error" in ours:
            return "python-text", f"reference {ref.get('exception')}; both fail"
        return "better", f"reference crashes with {ref.get('exception')}: {ref.get('error', '')[:80]}"
    if ref_rc == 0:
        if "error" in ours:
            return "differs", f"we fail ({ours['error'][:160]}), the reference loads"
        d = check.diff(ours, ref)
        return ("differs", d) if d else ("same", "")
    if "error" not in ours:
        return "differs", f"we load, the reference fails: {ref['error'][:160]}"
    at = python_text_at(ref["error"])
    if at is None:
        if ours["error"] == ref["error"]:
            return "same", ""
        return "differs", f"message {ours['error'][:200]!r} vs expected {ref['error'][:200]!r}"
    if ours["error"].startswith(ref["error"][:at]):
        return "python-text", ""
    return "differs", (f"message {ours['error'][:200]!r} should start with "
                       f"{ref['error'][:at]!r} (then Python's text)")
