/* What `stormlog-inspect summary` computes from a loaded recording
 * (summary_stats.c), kept apart from how it is printed (cmd_summary.c). */
#ifndef STORMLOG_INSPECT_SUMMARY_STATS_H
#define STORMLOG_INSPECT_SUMMARY_STATS_H

#include "cli.h"

#define SUMMARY_OOM_KEPT 16 /* OOM errors listed per device; all are counted */

typedef struct summary_oom {
    int64_t timestamp_ns;
    bool has_requested;
    int64_t requested_bytes;
    char api[48];
} summary_oom;

typedef struct summary_device {
    int64_t device_id;
    uint64_t events;
    int64_t peak_bytes;          /* largest allocator_allocated_bytes */
    bool has_peak_time;          /* false when only the stop summary knew the peak */
    int64_t peak_timestamp_ns;
    int64_t final_bytes;         /* live at the end: what was leaked */
    uint64_t allocations, frees, failed;
    bool has_unmatched;          /* only the shim's stop summary knows them */
    int64_t unmatched_frees;
    bool has_dropped;
    int64_t dropped_events;
    uint64_t oom_count;
    size_t oom_kept;
    summary_oom ooms[SUMMARY_OOM_KEPT];
} summary_device;

struct session_coverage;

typedef struct summary_session {
    const stormlog_session *session;
    struct session_coverage *coverage; /* coverage.c: lifetime figures and what retention took */
    json_object *info;           /* the loader's 11-key summary (owned) */
    bool from_stop_summary;      /* counts, leaks, peak from the shim's stop event */
    bool has_dropped_total;
    int64_t dropped_total;
    summary_device *devices;     /* sorted by device id */
    size_t device_count, device_cap;
} summary_session;

/* One rank of a job: its largest device peak over its sessions. */
typedef struct summary_rank {
    int64_t rank;
    size_t sessions;
    bool has_device;             /* a GPU (device_id >= 0) was seen */
    int64_t device_id;
    int64_t peak_bytes;
    bool has_peak_time;
    int64_t peak_timestamp_ns;
} summary_rank;

typedef struct summary_job {
    bool present;                /* two or more distinct ranks */
    const char *job_id;          /* borrowed from a session's info; NULL when none or mixed */
    bool mixed_job_ids;
    summary_rank *ranks;         /* sorted by rank */
    size_t rank_count;
    int64_t median_peak_bytes;
    size_t highest;              /* index into ranks */
    size_t furthest;             /* index into ranks: largest |peak - median| */
} summary_job;

typedef struct summary_report {
    summary_session *sessions;   /* in the loader's order */
    size_t session_count;
    const stormlog_session *default_session;
    summary_job job;
} summary_report;

/* false when out of memory (report left freeable). */
bool summary_compute(const stormlog_recording *rec, summary_report *out);
void summary_free(summary_report *r);

#endif
