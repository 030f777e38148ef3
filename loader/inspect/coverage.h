/* What a reader's figures cover (issue 12): the shim's lifetime.json (kept
 * by its writer whatever retention deleted) and what retention took. Every
 * reading command says it: summary and report take the lifetime figures for
 * peak, counts and OOMs and label them, and say how many events, segments
 * and bytes are gone and what time range the retained events cover. */
#ifndef STORMLOG_INSPECT_COVERAGE_H
#define STORMLOG_INSPECT_COVERAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "summary_stats.h"

typedef struct coverage_device {
    int64_t device_id;
    int64_t peak_bytes;
    bool has_peak_time;
    int64_t peak_timestamp_ns;
    uint64_t allocations, frees, failed, ooms;
    bool has_unmatched;
    int64_t unmatched_frees;
    int64_t live_bytes;
} coverage_device;

typedef struct session_coverage {
    bool has_lifetime;         /* lifetime.json has this session */
    bool pruned_known;         /* from lifetime.json */
    int64_t pruned_events, pruned_segments, pruned_bytes;
    int64_t events_written, lifetime_dropped;
    bool has_lifetime_range;
    int64_t lifetime_first_ns, lifetime_last_ns;
    bool has_retained_range;   /* the retained events' first and last timestamp */
    int64_t retained_first_ns, retained_last_ns;
    bool writer_gone;          /* the manifest says running and nobody holds the directory */
    size_t events_after;       /* retained events stamped after lifetime.json's last one */
    coverage_device *devices;
    size_t device_count;
} session_coverage;

/* Reads the sidecars beside each session's segments (input_path: the
 * path the user gave, for sessions without retained segments) and applies
 * the lifetime figures to the summary's devices. false when out of memory. */
bool coverage_attach(summary_report *r, const char *input_path);
void coverage_detach(summary_report *r);
/* The sidecar path (summary_fast.c): s's coverage from its lifetime.json
 * entry (borrowed) and the retained events' range as rollups.json gives it,
 * the lifetime figures applied to s. coverage_attach then leaves s alone.
 * false when out of memory. */
bool coverage_from_sidecars(summary_session *s, json_object *lifetime_entry, bool has_retained_range,
                            int64_t retained_first_ns, int64_t retained_last_ns);

/* sessions (s as summary_sessions_read or summary_fast_compute leave it):
 * --json gains pruned_events, pruned_segments, pruned_bytes and writer_gone
 * per session; the table is followed by one note per session that lost
 * events or whose writer is gone. */
void coverage_session_json(json_object *row, const summary_session *s);
void coverage_session_note(FILE *out, const summary_session *s);

/* events: one stderr note when retention deleted events of the recording
 * at input_path (every lifetime.json in a sink or job directory). */
void coverage_path_note(FILE *out, const char *command, const char *input_path);

/* summary --json: pruned_events, pruned_segments, pruned_bytes (null when
 * unknown) and "coverage" {...} on the session object. */
void coverage_json_add(json_object *session_obj, const summary_session *s);
/* One or two lines for the text summary ("  " indented), nothing when the
 * session lost nothing and has no lifetime record. */
void coverage_print_text(FILE *out, const summary_session *s);
/* The sentence a user cannot miss, for the top of a report: NULL when
 * nothing was pruned. Written into buf. */
const char *coverage_sentence(const summary_session *s, char *buf, size_t cap);

/* Where the text summary's counts come from: lifetime.json when the
 * session has a lifetime record, else `otherwise`. */
const char *coverage_counts_from(const summary_session *s, const char *otherwise);
/* The report's warning, right under its title: one paragraph per shown
 * session that lost events to retention. */
void coverage_html_top(FILE *out, const summary_session *const *shown, size_t count);

#endif
