/* Lifetime figures of the session, kept by the writer thread, whatever
 * retention later deletes (docs/lifetime.md): per device the peak live bytes
 * with its time and context, allocations, frees, failed allocations by
 * reason and error code, OOMs, unmatched frees, first and last event, and a
 * timeline envelope (fixed buckets of min/max live bytes that merge pairwise
 * when the run outgrows them); per session the events seen, written, in
 * pruned segments and dropped at the ring. Written as lifetime.json beside
 * the manifest at the moments rollups.json is. */
#ifndef STORMLOG_SHIM_PIPELINE_LIFETIME_H
#define STORMLOG_SHIM_PIPELINE_LIFETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "pipeline.h"

#define SL_LIFETIME_FORMAT "stormlog.lifetime"
#define SL_LIFETIME_SCHEMA_VERSION 1
#define SL_LIFETIME_BUCKETS 2048
#define SL_LIFETIME_FIRST_BUCKET_NS 1000000LL /* 1 ms; doubles as the run outgrows the buckets */
#define SL_LIFETIME_FAILURE_KINDS 16

/* The accounting's exact books of one device (-1: host), read by the writer
 * when a sidecar is written: counts that events dropped at a full ring
 * cannot give, and unmatched frees, which are no events at all. */
typedef struct sl_lifetime_books {
    uint64_t allocations, frees, failures, unmatched_frees, ooms;
    int64_t peak_bytes, live_bytes;
} sl_lifetime_books;
typedef bool (*sl_lifetime_books_fn)(int32_t device_id, sl_lifetime_books *out);
/* Registered by the shim's core before the pipeline starts. */
void sl_lifetime_set_books(sl_lifetime_books_fn fn);

typedef struct sl_lifetime_failure {
    const char *reason; /* a static string of the shim ("out_of_memory", "api_error") */
    int64_t code;
    uint64_t count;
} sl_lifetime_failure;

typedef struct sl_lifetime_device {
    int32_t device_id;
    uint64_t events, allocations, frees, failed, ooms;
    bool has_peak;
    int64_t peak_bytes, peak_ts;
    bool has_peak_context;
    char peak_context[SL_EVENT_CONTEXT_MAX];
    int64_t first_ts, last_ts, last_bytes;
    sl_lifetime_failure failures[SL_LIFETIME_FAILURE_KINDS];
    size_t failure_kinds;
    uint64_t failures_other;
    /* envelope: bucket i covers [start + i*width, start + (i+1)*width) */
    int64_t env_start, env_width;
    size_t env_used;
    int64_t *env_min, *env_max; /* SL_LIFETIME_BUCKETS each; min > max: empty */
} sl_lifetime_device;

typedef struct sl_lifetime {
    const sl_session_info *session;
    int64_t started_at_ns;
    uint64_t events_seen, events_written, pruned_events;
    int64_t first_ts, last_ts;
    sl_lifetime_device *devices; /* ascending device_id */
    size_t device_count, device_cap;
    bool failed; /* out of memory: the figures are incomplete, no file */
} sl_lifetime;

void sl_lifetime_init(sl_lifetime *lt, const sl_session_info *session, int64_t started_at_ns);
void sl_lifetime_free(sl_lifetime *lt);
/* Every event the writer takes from the ring. */
void sl_lifetime_observe(sl_lifetime *lt, const sl_event *ev);

/* lifetime.json: this session's entry, plus `others` (entries of earlier
 * sessions of the directory, one JSON object per line, copied as they are).
 * `status`/`ended_at_ns` as the manifest says now. */
bool sl_lifetime_render(const sl_lifetime *lt, const char *status, bool has_ended, int64_t ended_at_ns,
                        uint64_t pruned_segments, uint64_t pruned_bytes, const sl_buf *others, sl_buf *out);

#endif
