#!/usr/bin/env python3
"""Compare sl_format_double with Python's repr() for every line the dump
program prints ("<hex bits> <text>"). Exit 1 on the first mismatches."""
import struct
import subprocess
import sys


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    checked = 0
    bad = []
    for line in out.splitlines():
        bits, text = line.split(" ", 1)
        value = struct.unpack("<d", struct.pack("<Q", int(bits, 16)))[0]
        checked += 1
        if repr(value) != text:
            bad.append(f"{bits}: got {text!r}, repr {value!r}")
    if checked < 1000:
        print(f"only {checked} values printed", file=sys.stderr)
        return 1
    if bad:
        print(f"{len(bad)} of {checked} differ from repr():", file=sys.stderr)
        for b in bad[:20]:
            print("  " + b, file=sys.stderr)
        return 1
    print(f"{checked} doubles match repr()")
    return 0


if __name__ == "__main__":
    sys.exit(main())
