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

/* --full (never the sidecars) and --sidecars (whatever the size): true
 * when arg is one of them, *choice set. */
typedef enum summary_source { SUMMARY_SOURCE_AUTO, SUMMARY_SOURCE_FULL, SUMMARY_SOURCE_SIDECARS } summary_source;
bool summary_source_arg(const char *arg, summary_source *choice);

/* What `summary` (events_pass) and `sessions` read: from the sidecars when
 * they answer, else (saying why in one line when they were wanted but do
 * not cover the segments) from the loaded recording, *rec then the
 * caller's. 0, or the exit status after the message was printed. Free out
 * with coverage_detach + summary_free, whatever the source. */
int summary_read(const cli_input *in, const char *command, summary_source choice, bool events_pass,
                 summary_report *out, stormlog_recording **rec);

#endif
