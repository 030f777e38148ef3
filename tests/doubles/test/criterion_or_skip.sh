#!/bin/sh
# criterion_or_skip.sh TEST [ARGS...]: run a Criterion test program; when
# Criterion itself cannot start (under ThreadSanitizer BoxFort's arena mmap
# fails with EAGAIN, or Criterion crashes inside libcriterion: see
# Snaipe/Criterion#274), report a skip (exit 77) with the reason instead of
# a failure. Any other outcome is the test's own.
out=$(mktemp) || exit 1
"$@" >"$out" 2>&1
status=$?
cat "$out"
if [ $status -ne 0 ] && grep -q -e 'Could not initialize inheritable arena' \
        -e 'SUMMARY: ThreadSanitizer: SEGV (.*libcriterion' "$out"; then
    echo "SKIP: Criterion cannot start under this sanitiser (Snaipe/Criterion#274)"
    rm -f "$out"
    exit 77
fi
rm -f "$out"
exit $status
