/* The writer thread: drains the ring, turns events into record lines,
 * flushes them to the sink by upstream's policy, and parks when asked to
 * stop. Its state is its own while it runs; after it parked and was joined,
 * the stopping thread finishes the session with sl_writer_finish. */
#ifndef STORMLOG_SHIM_PIPELINE_WRITER_H
#define STORMLOG_SHIM_PIPELINE_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "pipeline.h"
#include "ring.h"
#include "rollups_keeper.h"
#include "sink.h"

/* Under load, one flush takes whatever is queued up to this many bytes:
 * one fdatasync per batch instead of one per flush_every_events. */
#define SL_WRITER_BATCH_BYTES (4u << 20)
/* While writes fail (disk full), at most this much waits in memory; after
 * that the ring fills and producers drop (counted), never wait. */
#define SL_WRITER_PENDING_MAX (2u * SL_WRITER_BATCH_BYTES)
/* How long the writer waits for a claimed slot to be published before it
 * gives up on it (ring.c explains why it must give up at all). */
#define SL_WRITER_STALL_NS (100 * 1000 * 1000)
#define SL_WRITER_BACKOFF_MIN_NS (10 * 1000 * 1000)
#define SL_WRITER_BACKOFF_MAX_NS (1000 * 1000 * 1000)

typedef struct sl_writer {
    sl_pipeline_config cfg;
    sl_session_info session;
    sl_ring *ring;
    sl_sink sink;
    sl_buf pending;             /* encoded lines not yet flushed */
    uint64_t pending_events;
    uint64_t pending_upto;      /* ring position just past the last event in pending */
    int64_t last_flush_ns;      /* monotonic */
    int64_t start_realtime_ns;
    bool session_begun;
    uint64_t last_reported_drops;
    bool failing;               /* the last flush failed: back off */
    int64_t retry_at_ns;
    int64_t backoff_ns;
    uint64_t drops_at_failure;  /* drops_total when the current failure began */
    uint64_t lost_to_disk;      /* events dropped because the disk refused them */
    unsigned failure_warnings;
    bool invalid_warned;
    sl_rollups_keeper rollups;  /* rollups.json, rewritten with the manifest */
    bool user_change_warned;
} sl_writer;

void *sl_writer_main(void *writer);

/* After the writer parked: writes what fits of the backlog, then the stop
 * event (its own metadata, extra members, dropped_events_total, and
 * events_lost_to_disk / descriptors_reopened when not 0), using the sink's
 * reserve if the disk is full, and closes the session with status
 * "completed". */
void sl_writer_finish(sl_writer *w, const sl_event *stop_event, const sl_member *extra, size_t extra_count);

/* Frees what the writer owns (after sl_writer_finish, or after a start failed). */
void sl_writer_free(sl_writer *w);

#endif
