/* `summary` of a sink or job directory from its sidecars (issue 12 part 5):
 * rollups.json says who the sessions are and what events the segments
 * retain, lifetime.json gives every figure of peak, counts and OOMs, and
 * the tail of each sink's last segment gives the shim's stop books. No
 * segment is parsed, so the answer takes time and memory in proportion to
 * the number of sessions and devices, not to the events. Only when the
 * sidecars are fresh (summary_fast.c lists the rules): otherwise the
 * caller parses everything, as `--full` does. */
#ifndef STORMLOG_INSPECT_SUMMARY_FAST_H
#define STORMLOG_INSPECT_SUMMARY_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "summary_stats.h"

typedef enum summary_fast_result {
    SUMMARY_FAST_OK,              /* out filled; free with coverage_detach + summary_free */
    SUMMARY_FAST_NOT_A_DIRECTORY, /* a file, or a folder without sinks: the loader's business, silently */
    SUMMARY_FAST_SMALL,           /* the segments hold fewer than min_bytes: parsing them is quick */
    SUMMARY_FAST_STALE,           /* why says which sidecar does not cover what, in a few words */
    SUMMARY_FAST_NO_MEMORY,
} summary_fast_result;

/* Below this many segment bytes (by the manifests) `summary` parses the
 * segments, which then takes well under a second and lists every failed
 * allocation; --sidecars lowers the bar to 0. */
#define SUMMARY_FAST_MIN_BYTES (64u * 1024 * 1024)

summary_fast_result summary_fast_compute(const char *path, uint64_t min_bytes, summary_report *out, char *why,
                                         size_t why_cap);

#endif
