/* The writer thread: drains the ring, turns events into record lines,
 * flushes them to the sink by the reference's policy, and parks when asked to
 * stop. Its state is its own while it runs; it also writes the stop event
 * and closes the session before it parks (sl_pipeline_stop waits for that). */
#ifndef STORMLOG_SHIM_PIPELINE_WRITER_H
#define STORMLOG_SHIM_PIPELINE_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "pipeline.h"
#include "ring.h"
#include "rollups_keeper.h"
#include "sink.h"

/* Under load, one write takes whatever is queued up to this many bytes
 * (about 550 events): large writes, and a bounded buffer (peak RSS). 32 KiB
 * under a power of two, so that the line that crosses it does not double
 * the buffer to 512 KiB (buf.c grows by doubling). A 1 MiB batch wrote no
 * faster (bench/pipeline) and held 0.75 MiB more in every process. */
#define SL_WRITER_BATCH_BYTES (224u * 1024u)
/* While writes fail (disk full), at most this much waits in memory; after
 * that the ring fills and producers drop (counted), never wait. */
#define SL_WRITER_PENDING_MAX (2u * SL_WRITER_BATCH_BYTES)
/* How long the writer waits for a claimed slot to be published before it
 * gives up on it (ring.c explains why it must give up at all). */
#define SL_WRITER_STALL_NS (100 * 1000 * 1000)
/* The writer thread's stack (pipeline.c). Its deepest frames (encoding a
 * record with its metadata, about 8 KiB) fit many times over. */
#define SL_WRITER_STACK_BYTES (256u * 1024u)
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
    int64_t last_sync_ns;       /* monotonic */
    uint64_t written_upto;      /* ring position just past the last event written (synced or not) */
    int64_t start_realtime_ns;
    bool session_begun;
    uint64_t last_reported_drops;
    uint64_t drops_view;        /* drops_total as last read (writer.c, drops_so_far) */
    unsigned drops_age;         /* lines encoded since */
    bool failing;               /* the last flush failed: back off */
    int64_t retry_at_ns;
    int64_t backoff_ns;
    uint64_t drops_at_failure;  /* drops_total when the current failure began */
    uint64_t lost_to_disk;      /* events dropped because the disk refused them */
    unsigned failure_warnings;
    bool invalid_warned;
    sl_rollups_keeper rollups;  /* rollups.json, rewritten with the manifest */
    uint64_t ring_start;        /* where ring's positions start in the running count (ring_grow.c) */
    sl_ring *prefaulted;        /* the last successor ring whose pages the writer faulted in */
    bool discard;
    /* Set by sl_pipeline_stop before it asks the writer to stop. */
    sl_event stop_event;
    bool has_stop_event;
    const sl_member *stop_extra;
    size_t stop_extra_count;               /* the sink could not be opened: count, never write */
    int64_t background_at_ns;   /* monotonic: when the background task runs next */
    bool user_change_warned;
} sl_writer;

void *sl_writer_main(void *writer);


/* Frees what the writer owns (after it parked, or after a start failed). */
void sl_writer_free(sl_writer *w);

#endif
