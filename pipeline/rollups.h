/* rollups.json (../shared/spec/rollups.md): per-session partial aggregates
 * that observe events and merge, and the document they render to. libc only:
 * the shim's writer keeps one partial per segment and merges them at each
 * rewrite (never re-reading a segment); stormlog-inspect feeds the loader's
 * events into one partial per session.
 *
 * Order. Every "first"/"last" rule of the spec is kept by timestamp, not by
 * feeding order: a peak is replaced by a strictly greater value or by the
 * same value at an earlier timestamp, so a feed in line order (the writer's,
 * whose lines are not timestamp-sorted across threads) and a feed in session
 * order (the loader's) agree, and merging a later partial into an earlier one
 * keeps the tie on the earlier. The one order-dependent figure, collector
 * health, is correct when the partials are fed and merged in session order
 * (the loader's case; the shim writes no collector transitions). */
#ifndef STORMLOG_SHIM_PIPELINE_ROLLUPS_H
#define STORMLOG_SHIM_PIPELINE_ROLLUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SL_ROLLUP_FORMAT "stormlog.telemetry_rollups"
#define SL_ROLLUP_SCHEMA_VERSION 1
#define SL_ROLLUP_FILENAME "rollups.json"
#define SL_ROLLUP_DEFAULT_WINDOW_NS 60000000000LL

typedef __int128 sl_rollup_wide;

enum { SL_RC_ALLOCATED = 0, SL_RC_RESERVED, SL_RC_USED, SL_RC_COUNT };

enum { SL_ROLLUP_NO_TRANSITION = 0, SL_ROLLUP_DEGRADED, SL_ROLLUP_RECOVERED };

/* What the rollups need of one event; strings are borrowed for the call. */
typedef struct sl_rollup_event {
    int64_t timestamp_ns;
    int64_t rank, local_rank, world_size, device_id;
    int64_t counter[SL_RC_COUNT]; /* allocated, reserved, device_used */
    const char *event_type;
    size_t event_type_len;
    bool is_sample;               /* event_type is exactly "sample" */
    bool is_alert;
    const char *severity;         /* normalised alert severity (when is_alert) */
    size_t severity_len;
    bool is_oom_marker;
    const char *oom_dump_path;    /* an OOM marker's non-blank string path, else NULL */
    size_t oom_dump_path_len;
    int transition;               /* SL_ROLLUP_DEGRADED / _RECOVERED / none */
    const char *health_status;    /* normalised collector_health_status, else NULL */
    size_t health_status_len;
} sl_rollup_event;

typedef struct sl_rollup_peak {
    bool set;
    int64_t value, timestamp_ns, rank, device_id;
} sl_rollup_peak;

typedef struct sl_rollup_count {
    char *text;
    size_t len;
    uint64_t n;
} sl_rollup_count;

typedef struct sl_rollup_counts {
    sl_rollup_count *items;
    size_t count, cap;
} sl_rollup_counts;

typedef struct sl_rollup_rank {
    int64_t rank, local_rank, world_size, identity_ts; /* identity: of its first event */
    uint64_t events, samples;
    int64_t first_ts, last_ts;
    sl_rollup_peak peaks[SL_RC_COUNT];
    bool has_gap;
    int64_t gap_first_ts, gap_last_ts;
    sl_rollup_wide gap_first, gap_last, gap_peak;
} sl_rollup_rank;

typedef struct sl_rollup_window {
    uint64_t index;
    uint64_t events, samples, alerts, transitions, ooms;
    sl_rollup_peak peaks[SL_RC_COUNT];
    int64_t *ranks; /* distinct ranks seen */
    size_t rank_count, rank_cap;
} sl_rollup_window;

/* The partial aggregate of one session over some of its events. */
typedef struct sl_rollup_part {
    int64_t session_start_ns; /* S: windows are anchored here */
    int64_t window_ns;        /* W >= 1 */
    uint64_t events, samples;
    int64_t first_ts, last_ts; /* valid when events > 0 */
    sl_rollup_peak peaks[SL_RC_COUNT];
    uint64_t alert_total;
    sl_rollup_counts severities, alert_types;
    /* collector health */
    uint64_t transitions, degraded, recovered;
    sl_rollup_wide degraded_time;
    bool open, head_recovery; /* open: a degradation still running at the end */
    int64_t open_since, head_ts; /* head: this part's first transition was a recovery at head_ts */
    char *last_status;
    size_t last_status_len;
    /* OOM */
    uint64_t oom_markers;
    sl_rollup_counts bundle_paths;
    sl_rollup_rank *ranks; /* ascending rank */
    size_t rank_count, rank_cap;
    sl_rollup_window *windows; /* ascending index */
    size_t window_count, window_cap;
    bool failed; /* out of memory at some point: the part is incomplete */
} sl_rollup_part;

void sl_rollup_part_init(sl_rollup_part *p, int64_t session_start_ns, int64_t window_ns);
void sl_rollup_part_free(sl_rollup_part *p);
/* false (and p->failed set) when out of memory. */
bool sl_rollup_part_observe(sl_rollup_part *p, const sl_rollup_event *ev);
/* Folds src (events that come after dst's in session order) into dst. */
bool sl_rollup_part_merge(sl_rollup_part *dst, const sl_rollup_part *src);

/* The session summary object (11 keys), values already normalised. */
typedef struct sl_rollup_summary {
    const char *session_id, *status, *host, *source;
    int64_t started_at_ns, pid, rank, local_rank, world_size;
    bool has_ended;
    int64_t ended_at_ns;
    const char *job_id;   /* NULL: null */
    bool job_id_is_json;  /* job_id is JSON text to copy (a non-string manifest value) */
} sl_rollup_summary;

typedef struct sl_rollup_session {
    sl_rollup_summary summary;
    const sl_rollup_part *part;  /* NULL: no events */
    const char *const *sources;  /* sources_loaded, any order (sorted when rendered) */
    size_t source_count;
} sl_rollup_session;

typedef struct sl_rollup_coverage {
    const char *const *filenames; /* the manifest's segments, manifest order */
    size_t count;
    uint64_t events, bytes;
    bool has_pruned;              /* sink-at-close form */
    uint64_t pruned_segments, pruned_bytes;
} sl_rollup_coverage;

typedef struct sl_rollup_doc {
    int64_t generated_at_ns;
    bool has_manifest;
    int64_t manifest_schema_version;
    int64_t window_ns;
    sl_rollup_coverage coverage;
    sl_rollup_session *sessions; /* any order: sorted (in place) when rendered */
    size_t session_count;
} sl_rollup_doc;

/* Appends the document as the reference's json.dump(indent=2, sort_keys=True)
 * writes it, plus "\n". Sorts doc->sessions. false when out of memory. */
bool sl_rollup_render(sl_rollup_doc *doc, sl_buf *out);

#endif
