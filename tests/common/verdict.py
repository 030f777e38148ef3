"""What the Python test drivers share (tests/cli, tests/longrun): a failed
check is printed and remembered, and the driver exits 1 when any was; a
skip exits 77 (ctest's SKIP_RETURN_CODE) with its reason on stdout."""
import sys

SKIP = 77
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def skip(reason):
    print("SKIP:", reason)
    sys.exit(SKIP)
