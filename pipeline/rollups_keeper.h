/* The writer's rollups.json: one partial aggregate per (retained segment,
 * session), fed with the events as the sink writes them, dropped with the
 * segment when retention deletes it, merged into the document whenever the
 * sink rewrites its manifest (and so at close). Segments that were already
 * in the directory when this process opened it (an earlier image after
 * exec, a reused directory) are read once, on the writer thread, at the
 * first rewrite. Cost per rewrite: the merge of the retained partials and
 * one small file, never a segment. Owned by the writer thread (at shutdown,
 * by the thread that joined it). */
#ifndef STORMLOG_SHIM_PIPELINE_ROLLUPS_KEEPER_H
#define STORMLOG_SHIM_PIPELINE_ROLLUPS_KEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "lifetime.h"
#include "pipeline.h"
#include "rollups.h"
#include "sink.h"

/* What a queued event keeps until its line is on disk. */
typedef struct sl_rollups_queued {
    int64_t timestamp_ns;
    int64_t counter[SL_RC_COUNT];
    int32_t device_id;
    uint8_t type;
    bool oom_marker;
} sl_rollups_queued;

typedef struct sl_rollups_seg_part {
    char *session_id;
    sl_rollup_part part;
} sl_rollups_seg_part;

typedef struct sl_rollups_seg {
    char *filename;
    uint64_t own_events;    /* lines of this process's session written into it */
    uint64_t size_bytes;    /* as the manifest said at the last rewrite */
    bool own;               /* the manifest attributes it to this process's session */
    bool missing; /* listed but not on disk when read: a reader loads nothing from it */
    sl_rollups_seg_part *parts;
    size_t part_count;
} sl_rollups_seg;

typedef struct sl_rollups_keeper {
    bool active;        /* initialised: the sink observer is ours */
    bool enabled;       /* rollups.json wanted (STORMLOG_ROLLUPS) and still possible */
    bool quiet;
    bool scanned;       /* the directory's earlier segments were read */
    bool unsupported;   /* they hold what the shim does not aggregate: no file */
    const sl_session_info *session;
    int64_t window_ns;
    char display_dir[SL_SINK_PATH_MAX]; /* the sink path, normalised as pathlib does */
    sl_rollups_seg *segs;
    size_t seg_count, seg_cap;
    sl_rollups_queued *queue; /* events encoded, not yet written (FIFO) */
    size_t q_head, q_count, q_cap;
    sl_buf text;
    uint64_t writes, failures;
    bool warned;
    /* lifetime.json, written at the same moments */
    sl_lifetime lifetime;
    bool lifetime_loaded;     /* earlier sessions' entries read */
    sl_buf lifetime_others;   /* their lines, carried over as they are */
    uint64_t own_pruned_segments, own_pruned_bytes;
    bool lifetime_warned;
    /* when: the manifest changed (dirty), at most every interval_ns unless
     * the segment set changed (urgent), at once when the sink closes */
    bool dirty, urgent;
    bool retry; /* a rewrite met a lost directory descriptor: again at the next tick */
    int64_t interval_ns, last_write_ns;
} sl_rollups_keeper;

/* Starts keeping for the sink at `path` and the session starting at
 * started_at_ns (rollups.json only when enabled; lifetime.json always);
 * installs itself as the sink's observer. */
void sl_rollups_keeper_init(sl_rollups_keeper *k, sl_sink *sink, const sl_session_info *session, int64_t started_at_ns,
                            bool enabled, uint32_t interval_ms, bool quiet);
/* The writer, after a flush has been marked synced (so no OOM waits for the
 * sidecars): rewrites them if the manifest changed since, by the policy
 * above. now: monotonic ns. */
void sl_rollups_keeper_tick(sl_rollups_keeper *k, sl_sink *sink, int64_t now);
/* Every event the writer takes from the ring (the lifetime figures). */
void sl_rollups_keeper_observe(sl_rollups_keeper *k, const sl_event *ev);
/* An event whose line was appended to the writer's pending buffer. */
void sl_rollups_keeper_queue(sl_rollups_keeper *k, const sl_event *ev);
/* The pending lines were thrown away (the last flush failed at shutdown). */
void sl_rollups_keeper_discard_queue(sl_rollups_keeper *k);
void sl_rollups_keeper_free(sl_rollups_keeper *k);

/* The document for the sink as it is now (what a rewrite writes). */
bool sl_rollups_keeper_render(sl_rollups_keeper *k, const sl_sink *sink, sl_buf *out);

#endif
