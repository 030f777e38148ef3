/* State shared between application threads (producers), the writer thread
 * and the thread that stops the pipeline. One instance per process
 * (pipeline_shared.c); every field that more than one thread touches is atomic. */
#ifndef STORMLOG_SHIM_PIPELINE_SHARED_H
#define STORMLOG_SHIM_PIPELINE_SHARED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"
#include "ring.h"

typedef enum sl_pipe_state {
    SL_PIPE_IDLE = 0, /* never started (or a fork child that has not started its own) */
    SL_PIPE_STARTING,
    SL_PIPE_RUNNING,
    SL_PIPE_QUIET,    /* start failed: events are counted and dropped */
    SL_PIPE_STOPPING,
    SL_PIPE_STOPPED,
} sl_pipe_state;

struct sl_writer;

typedef struct sl_pipeline_shared {
    _Atomic uint32_t state;               /* sl_pipe_state */
    sl_ring *_Atomic ring;                /* the ring producers claim in (it grows: ring_grow.c) */
    uint32_t ring_max;                    /* the most slots it may grow to */
    /* Waking the writer (futex words): see writer.c. */
    _Alignas(64) _Atomic uint32_t writer_sleeping;
    _Atomic uint32_t wake_threshold;      /* ring occupancy that is worth a wake */
    _Atomic uint32_t urgent;              /* an error/durable event was published */
    _Atomic uint32_t flush_requested;     /* sl_pipeline_sync: flush what is pending now */
    _Atomic uint32_t stop_requested;
    _Atomic int64_t stop_give_up_ns;      /* monotonic: stop draining then */
    _Atomic uint32_t writer_parked;       /* futex word: the writer is done */
    /* Durable emits wait for synced_pos to pass their position. */
    _Alignas(64) _Atomic uint64_t synced_pos;
    _Atomic uint32_t synced_epoch;        /* futex word, bumped after each sync */
    _Atomic uint32_t durable_waiters;
    /* Bounded durable waits (pipeline.c): no waiting while the sink fails
     * or after a wait timed out, until a sync succeeds; one wait per
     * SL_DURABLE_WAIT_EVERY_NS. */
    _Atomic uint32_t sink_failing;
    _Atomic uint32_t durable_gave_up;
    _Atomic int64_t durable_next_wait_ns;
    /* Drops: every event that was produced and will not be written. */
    _Alignas(64) _Atomic uint64_t drops_total;
    _Atomic uint64_t drops_host;
    _Atomic uint64_t drops_device[SL_MAX_DEVICES];
    /* Counters the writer publishes (relaxed) for sl_pipeline_get_stats. */
    _Alignas(64) _Atomic uint64_t stat_written;
    _Atomic uint64_t stat_abandoned;
    _Atomic uint64_t stat_invalid;
    _Atomic uint64_t stat_write_failures;
    _Atomic uint64_t stat_flushes;
    _Atomic uint64_t stat_rollovers;
    _Atomic uint64_t stat_pruned;
    _Atomic uint64_t stat_ring_slots;
    _Atomic uint64_t stat_syncs;
    _Atomic uint64_t stat_durable_waits;
    _Atomic uint64_t stat_durable_timeouts;
    _Atomic uint64_t stat_durable_unwaited;
    /* The writer opens the sink directory on its own thread: 0 while it
     * does, then SL_SINK_READY or SL_SINK_FAILED (futex word). */
    _Atomic uint32_t sink_state;
    sl_pipeline_background_fn background_task;
    sl_pipeline_annotate_fn annotator;
    /* Owned by whoever starts/stops (the lifecycle serialises those). */
    struct sl_writer *writer;
    pthread_t thread;
    bool thread_started;
    char sink_dir[4400];
    bool has_sink_dir;
} sl_pipeline_shared;

enum { SL_SINK_OPENING = 0, SL_SINK_READY, SL_SINK_FAILED };

extern sl_pipeline_shared sl_pipe;

/* Counts n lost events: in the total, and/or for their device (-1: host;
 * ids outside -1..SL_MAX_DEVICES-1 count in the total only). */
/* Keeps r reachable for good (a producer may still hold it). */
void sl_pipe_retire_ring(sl_ring *r);

void sl_pipe_count_drops(int32_t device_id, uint64_t n, bool total, bool per_device);
#define SL_DEVICE_UNKNOWN INT32_MIN

#endif
