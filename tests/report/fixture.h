/* Recordings for the report and export tests, written at test time as v3
 * sink directories (what the shim writes), with the truth the generator
 * knows alongside: the peak, what was live then, what leaked. */
#ifndef STORMLOG_TEST_REPORT_FIXTURE_H
#define STORMLOG_TEST_REPORT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fixture_opts {
    const char *session_id;
    const char *host;
    const char *job_id;      /* NULL: no job */
    int64_t pid;
    int rank, world_size;
    int64_t t0_ns;
    int64_t step_ns;         /* time between events */
    size_t steps;            /* training steps: phase train/step with forward and backward */
    size_t allocs_per_step;
    size_t spike_step;       /* the step whose forward holds the one-event spike */
    int64_t spike_bytes;     /* 0: no spike */
    int64_t scale;           /* multiplies every size (ranks that diverge) */
    bool oom;                /* an OOM error in the step after the spike */
    int oom_device;          /* its device: 0 (default) or 1 (a device with no allocations) */
    bool phases;             /* phase_enter / phase_exit events and contexts */
    bool pinned;             /* a pinned host allocation (device -1) */
} fixture_opts;

/* Defaults: one session, 20 steps of 8 allocations, a 3 GiB spike, an OOM. */
fixture_opts fixture_defaults(void);

typedef struct fixture_truth {
    size_t events;
    int64_t peak_bytes;       /* device 0 */
    int64_t peak_ts;
    size_t live_at_peak;
    int64_t leaked_bytes;     /* live at the end on device 0 */
    size_t leak_count;
    int64_t largest_leak;
    int64_t oom_requested;
    int64_t t_end;
} fixture_truth;

/* Writes DIR/segment-000001.jsonl (DIR created). false on I/O failure. */
bool fixture_write_sink(const char *dir, const fixture_opts *o, fixture_truth *truth);

/* A job: DIR/rank-<r>/ for r in 0..ranks-1, rank `hot` scaled by 2. */
bool fixture_write_job(const char *dir, int ranks, int hot, size_t steps, fixture_truth *truths);
/* The same, and rank `oom_rank` (when not the hot one) has an OOM on device 1. */
bool fixture_write_job_oom(const char *dir, int ranks, int hot, int oom_rank, size_t steps, fixture_truth *truths);

/* mkdir -p */
bool fixture_mkdirs(const char *path);

#endif
