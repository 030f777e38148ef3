/* The event pipeline: application threads -> lock-free MPSC ring -> writer
 * thread -> canonical encoder -> append-only sink directory. It knows nothing
 * about CUDA or HIP. One pipeline per process; the lifecycle owns when it
 * starts and stops, the accounting owns what goes into events. */
#ifndef STORMLOG_SHIM_PIPELINE_H
#define STORMLOG_SHIM_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "stormlog/schema/value.h"

#define SL_MAX_DEVICES 64 /* device ids 0..63 tracked per device; -1 is the host; others count in total only */

/* Who is recording: fixed for the life of a session. */
typedef struct sl_session_info {
    char session_id[40];  /* random v4 UUID, canonical text */
    char host[256];
    int64_t pid;
    bool has_job_id;
    char job_id[256];
    int64_t rank;
    int64_t local_rank;
    int64_t world_size;
    int64_t sampling_interval_ms;
} sl_session_info;

/* Writer and sink settings; sl_pipeline_config_defaults() gives the reference's.
 * Each field is read once at start; the environment variable in brackets is
 * what sl_pipeline_config_from_env() reads into it. */
typedef struct sl_pipeline_config {
    /* [STORMLOG_OUTPUT_DIR] root of the recordings, default "./stormlog-out".
     * Created (mode 0700, 0750 with share_group) when missing; followed if it is a symlink (the user
     * named it). Below it, the job and rank directories the shim creates are
     * never followed through a symlink. */
    char output_dir[4096];
    /* [STORMLOG_RING_CAPACITY] the most event slots the ring grows to, a
     * power of two in [SL_RING_CAPACITY_MIN, SL_RING_CAPACITY_MAX], default
     * 16384 (2 MiB). A slot is 128 bytes: the common allocation/free event
     * takes one, others up to SL_RING_MAX_SPAN (ring_slot.h); the ring starts
     * at SL_RING_INITIAL_SLOTS and grows SL_RING_GROWTH-fold, ahead of need
     * when the writer finds it half full. */
    uint32_t ring_capacity;
    /* [STORMLOG_FLUSH_EVERY_EVENTS] write once this many events wait,
     * default 50. Under load the writer also coalesces whatever else is
     * already queued (up to SL_WRITER_BATCH_BYTES) into the same write. A
     * written line survives the process being killed (kill -9): the kernel
     * has it. */
    uint32_t flush_every_events;
    /* [STORMLOG_FLUSH_EVERY_MS] write waiting events at least this often, default 2000. */
    uint32_t flush_every_ms;
    /* [STORMLOG_FSYNC_EVERY_MS] fdatasync written lines at least this often,
     * default 1000; 0: with every write (the old policy). Only a machine
     * crash or power loss needs the sync. Also synced: at rollover, at stop,
     * and before an OOM's call returns (durable events). */
    uint32_t fsync_every_ms;
    /* [STORMLOG_ROLLOVER_BYTES] a segment is closed once it holds this many
     * bytes; a line that would take it past the limit opens the next one.
     * Default 64 MiB. */
    uint64_t rollover_bytes;
    /* [STORMLOG_ROLLOVER_EVENTS] a segment is closed once it holds this many events, default 10000. */
    uint32_t rollover_events;
    /* [STORMLOG_RETENTION_FILES] at most this many segment files, default
     * 1000000 (no count limit: the byte budget decides; the reference's is 8). */
    uint32_t retention_files;
    /* [STORMLOG_RETENTION_BYTES] at most this many bytes of segments, default
     * 4 GiB; never below rollover_bytes. Oldest closed segments go first;
     * the open one is never deleted. */
    uint64_t retention_bytes;
    /* [STORMLOG_SHUTDOWN_DEADLINE_MS] the longest sl_pipeline_stop() may take, default 2000. */
    uint32_t shutdown_deadline_ms;
    /* [STORMLOG_QUIET] 1/true/yes/on: no stderr lines at all. */
    bool quiet;
    /* [STORMLOG_SHARE_GROUP] 1/true/yes/on: directories 0750 and files 0640
     * (the group reads, for a team's shared scratch) instead of 0700 / 0600. */
    bool share_group;
    /* [STORMLOG_ROLLUPS] rollups.json beside the manifest, rewritten with it
     * (rollups_keeper.h); default on, 0/false/no/off: none. */
    bool write_rollups;
    /* [STORMLOG_SIDECAR_INTERVAL_MS] rollups.json and lifetime.json follow
     * the manifest at most this often (a new or deleted segment, and the
     * session's end, rewrite them at once), default 1000. */
    uint32_t sidecar_interval_ms;
} sl_pipeline_config;

#define SL_RING_CAPACITY_MIN 8u /* a power of two >= SL_RING_MAX_SPAN: every event fits */
#define SL_RING_CAPACITY_MAX (1u << 24)
#define SL_RING_CAPACITY_DEFAULT 16384u
#define SL_RING_INITIAL_SLOTS 512u
#define SL_DURABLE_WAIT_EVERY_NS (100 * 1000 * 1000)
#define SL_SHUTDOWN_DEADLINE_MS_DEFAULT 2000u

void sl_pipeline_config_defaults(sl_pipeline_config *cfg);

/* Overrides cfg's fields from the environment variables named above (cfg
 * must be initialised first, usually with the defaults). STORMLOG_QUIET is
 * read first so that it silences the rest. A variable that is set but not a
 * valid value leaves its field as it was and prints one stderr line naming
 * the variable and the value kept. Returns false when any value was bad.
 * Preserves errno. */
bool sl_pipeline_config_from_env(sl_pipeline_config *cfg);
/* The same with a lookup function (NULL result: unset), for tests and for a
 * lifecycle that snapshots its environment. */
typedef const char *(*sl_pipeline_getenv_fn)(const char *name, void *ctx);
/* The one boolean rule of every STORMLOG_* switch, the shim's included:
 * 1/true/yes/on and 0/false/no/off/"" (any case). False when s is neither. */
bool sl_parse_bool(const char *s, bool *out);
bool sl_pipeline_config_from_getenv(sl_pipeline_config *cfg, sl_pipeline_getenv_fn getenv_fn, void *ctx);

/* Creates the ring and starts the writer thread; nothing else happens on
 * the caller's thread (it is the program's: its first allocation). The
 * writer then resolves the sink directory
 * (<output_dir>/<job_id or "local">/rank-NNNNN-<host>-<pid>/), opens it and
 * writes the manifest; events emitted meanwhile wait in the ring. Called once
 * per process (and once again in a fork child that records). Returns false
 * when the ring or the thread cannot be had. When the writer cannot open the
 * directory it prints one stderr line (unless quiet) and every event is
 * counted and dropped from then on. */
bool sl_pipeline_start(const sl_session_info *session, const sl_pipeline_config *cfg);

/* Producer side: one atomic claim plus a copy; never blocks, never allocates,
 * no syscall. Returns false when the event was dropped (ring full, pipeline
 * not running); drops are counted per device and in total. */
bool sl_pipeline_emit(const sl_event *ev);

/* Like emit, then waits (at most timeout_ms) until the writer has written and
 * fsynced that event: an OOM must be on disk before the failing call returns.
 * The waits are bounded: none while the sink is failing or since a wait
 * timed out (until a sync succeeds again), and at most one per
 * SL_DURABLE_WAIT_EVERY_NS; the events of the calls that did not wait are
 * written and synced with the next flush all the same. Returns true when
 * this call waited and the event is on disk. */
bool sl_pipeline_emit_durable(const sl_event *ev, uint32_t timeout_ms);

/* Waits (at most timeout_ms) until every event emitted so far is written and
 * fsynced, with the manifest that lists it: before an exec replaces the
 * process image, so that the session is on disk for the next image to mark
 * interrupted. true when it got there; false when not running. */
bool sl_pipeline_sync(uint32_t timeout_ms);

/* Shutdown, once: drain the ring (bounded by the configured deadline), write
 * the stop event (stop_event + extra metadata members, plus
 * metadata.dropped_events_total), flush, fsync, mark the session completed in
 * the manifest, join the writer. Safe to call when never started (no-op). */
void sl_pipeline_stop(const sl_event *stop_event, const sl_member *extra_meta, size_t extra_count);

/* Fork handling (the lifecycle registers these with pthread_atfork). The child
 * forgets the parent's pipeline without touching its thread or files. */
void sl_pipeline_atfork_prepare(void);
void sl_pipeline_atfork_parent(void);
void sl_pipeline_atfork_child(void);

/* Counters of the writer and sink, for tests, the stop event and diagnostics. */
typedef struct sl_pipeline_stats {
    uint64_t written;          /* event lines the sink has written (synced or not) */
    uint64_t dropped_total;    /* == sl_pipeline_dropped_total() */
    uint64_t abandoned_slots;  /* slots a producer claimed but never published in time */
    uint64_t invalid_events;   /* events the validator refused (dropped, counted) */
    uint64_t write_failures;   /* failed segment writes (each cut back and retried) */
    uint64_t flushes;
    uint64_t rollovers;
    uint64_t pruned_segments;
    uint64_t ring_slots;       /* slots of the ring producers use now (it grows under load) */
    uint64_t syncs;            /* fdatasyncs of segments */
    uint64_t durable_waits;    /* durable emits that waited for their sync */
    uint64_t durable_timeouts; /* ... and gave up at their timeout */
    uint64_t durable_unwaited; /* durable emits that did not wait (failing sink, earlier timeout, rate) */
} sl_pipeline_stats;
void sl_pipeline_get_stats(sl_pipeline_stats *out);

bool sl_pipeline_running(void);
uint64_t sl_pipeline_dropped_total(void);
uint64_t sl_pipeline_dropped_device(int32_t device_id);
/* The sink directory in use, or NULL before start / after a failed start.
 * Waits (bounded by the shutdown deadline) for the writer to have opened
 * it: for tests and diagnostics, never called on a hook's path. */
const char *sl_pipeline_sink_dir(void);

/* A task for the writer thread besides writing (the wall clock's
 * calibration): run once when the writer starts, then again after the
 * nanoseconds it returns (0: never again). Set before sl_pipeline_start. */
typedef int64_t (*sl_pipeline_background_fn)(void);
void sl_pipeline_set_background_task(sl_pipeline_background_fn task);

/* The process's context label (STORMLOG_CONTEXT), alive as long as the
 * process: events that point to it (sl_event_set_context_ref) take one ring
 * slot, like events without a context (ring_slot.h). Set before
 * sl_pipeline_start; NULL: none. */
void sl_pipeline_set_process_label(const char *label);

/* A member the writer adds to an event's record metadata (the call-stack
 * definition, shim/stacks): asked for each event with the number of the
 * segment its line goes to; true and *out to add one. Set before
 * sl_pipeline_start. Events that come with members of their own (the stop)
 * are not asked. */
typedef bool (*sl_pipeline_annotate_fn)(const sl_event *ev, uint64_t segment, sl_member *out);
void sl_pipeline_set_annotator(sl_pipeline_annotate_fn fn);

#endif
