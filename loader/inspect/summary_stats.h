/* What `stormlog-inspect summary` computes from a loaded recording
 * (summary_stats.c), kept apart from how it is printed (cmd_summary.c). */
#ifndef STORMLOG_INSPECT_SUMMARY_STATS_H
#define STORMLOG_INSPECT_SUMMARY_STATS_H

#include "cli.h"

#define SUMMARY_OOM_KEPT 16 /* failed allocations listed per device; all are counted */
#define SUMMARY_FAILED_CALLS_KEPT 32 /* (API, code) pairs of the stop books listed per session */

/* A failed allocation (an error event): an OOM or another runtime error. */
typedef struct summary_oom {
    int64_t timestamp_ns;
    bool oom;                    /* reason "out_of_memory" */
    bool has_requested;
    int64_t requested_bytes;
    bool has_code;               /* the runtime's numeric return code */
    int64_t code;
    bool has_device_memory;      /* the device's free and total bytes the event carries */
    int64_t device_free_bytes, device_total_bytes;
    bool recovered;              /* OOM only: a later allocation on the device succeeded */
    char api[48];
} summary_oom;

/* One (API, error code) count of the shim's stop books (failed_calls). */
typedef struct summary_failed_call {
    char api[48];
    bool has_code;               /* false: the books' "other" (codes beyond its slots) */
    int64_t code;
    int64_t count;
    bool is_free;                /* a free / host-free API */
} summary_failed_call;

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
    uint64_t oom_recovered;      /* OOMs after which an allocation on the device succeeded */
    uint64_t oom_last;           /* OOMs after which none did */
    size_t oom_kept;             /* failed allocations kept (OOMs and other errors) */
    size_t settled;              /* kept failures followed by a successful allocation */
    summary_oom ooms[SUMMARY_OOM_KEPT];
} summary_device;

struct session_coverage;

typedef struct summary_session {
    const stormlog_session *session; /* NULL when read from the sidecars (summary_fast.c) */
    /* Who the session is, whichever way it was read: the loader's session
     * or the sidecars' copy of the manifest entry (id and status borrowed
     * from info). */
    const char *id;
    const char *status;
    size_t event_count;          /* retained events */
    int64_t started_at_ns;
    bool is_default;
    bool from_sidecars;          /* summary_fast.c: failed allocations not listed one by one */
    json_object *lifetime;       /* sidecar path: the session's lifetime.json entry (owned), the report's timeline */
    struct session_coverage *coverage; /* coverage.c: lifetime figures and what retention took */
    json_object *info;           /* the loader's 11-key summary (owned) */
    bool from_stop_summary;      /* counts, leaks, peak from the shim's stop event */
    bool shim;                   /* recorded by the shim: bytes held from the GPU runtime */
    bool has_dropped_total;
    int64_t dropped_total;
    bool has_failed_calls;       /* the stop books listed failed calls (maybe none) */
    int64_t failed_frees;        /* failed calls of free APIs */
    size_t failed_call_count;    /* kept in failed_calls */
    summary_failed_call failed_calls[SUMMARY_FAILED_CALLS_KEPT];
    int64_t lost_to_disk;        /* stop event's events_lost_to_disk: the event list has gaps */
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

/* The sessions of one job id (or of none): a folder of several runs is one
 * block per job, never one comparison across unrelated runs. */
typedef struct summary_group {
    const char *job_id;          /* borrowed; NULL: processes without a job id */
    size_t *members;             /* indices into sessions, in the loader's order */
    size_t member_count;
    int64_t newest_ns;           /* latest start among them */
    summary_job job;             /* the cross-rank table of this job */
} summary_group;

typedef struct summary_report {
    summary_session *sessions;   /* in the loader's order */
    size_t session_count;
    const stormlog_session *default_session;
    summary_group *groups;       /* newest first */
    size_t group_count;
    summary_job job;             /* the one group's table when there is one group; else absent */
} summary_report;

/* false when out of memory (report left freeable). */
bool summary_compute(const stormlog_recording *rec, summary_report *out);
/* Only who the sessions are (identity, status, retained event count, the
 * default), no pass over the events: what `sessions` prints. false when
 * out of memory (report left freeable). */
bool summary_sessions_read(const stormlog_recording *rec, summary_report *out);
/* The job grouping and cross-rank tables of out->sessions (filled, in the
 * loader's order): the last step of summary_compute, shared with the
 * sidecar path. false when out of memory. */
bool summary_group_jobs(summary_report *out);
/* What the shim's stop event says (metadata: its books, failed calls and
 * events lost to disk) applied to s. false when out of memory. */
bool summary_apply_stop(summary_session *s, json_object *meta);
void summary_free(summary_report *r);

/* One line when the shim's stop event says events were lost to a full disk
 * (nothing otherwise): the event list has gaps, so only the stop summary's
 * counts can be trusted. */
void summary_print_disk_loss(const summary_session *s);

#endif
