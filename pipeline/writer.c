/* The writer thread.
 *
 * Waking. The writer sleeps on a futex word (writer_sleeping) when the ring
 * holds fewer events than are worth a flush; a producer wakes it only when
 * its event brings the ring to that threshold (flush_every_events minus what
 * the writer already holds), or when the event is an error/durable one. So a
 * trickle of events costs no syscall per event, and "every 50 events or 2 s"
 * falls out of the threshold and the sleep timeout. The handshake is the
 * classic one: the writer stores writer_sleeping = 1 then reads the ring's
 * tail (and the urgent flag); a producer publishes its slot then reads
 * writer_sleeping; all seq_cst, so at least one of them sees the other.
 *
 * Flushing. Lines are encoded into `pending`; a flush is one write of whole
 * lines (sink.c). It happens when flush_every_events lines wait, when
 * flush_every_ms passed since the last one, and at rollover boundaries. A
 * written line survives kill -9; only a machine crash needs the fdatasync,
 * which comes every fsync_every_ms (with the manifest), at rollover, at stop,
 * and at once for an error or durable event (an OOM must be on disk before
 * the program dies of it). Durable waits are released by syncs only. Under load the writer
 * first drains whatever is queued, up to SL_WRITER_BATCH_BYTES, so that a
 * flush carries a batch rather than 50 lines: one fdatasync per batch is
 * what makes a million events a second possible.
 *
 * Failures. A failed write is cut back (sink.c), kept in pending and retried
 * with exponential backoff; meanwhile at most SL_WRITER_PENDING_MAX waits,
 * then the ring fills and producers drop and count. The program never waits.
 */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "event_record.h"
#include "futex.h"
#include "pipeline_shared.h"
#include "warn.h"
#include "writer_ring.h"
#include "writer_start.h"

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void publish_stats(sl_writer *w)
{
    atomic_store_explicit(&sl_pipe.stat_write_failures, w->sink.write_failures, memory_order_relaxed);
    atomic_store_explicit(&sl_pipe.stat_rollovers, w->sink.rollovers, memory_order_relaxed);
    atomic_store_explicit(&sl_pipe.stat_pruned, w->sink.pruned_segments, memory_order_relaxed);
    atomic_store_explicit(&sl_pipe.stat_syncs, w->sink.syncs, memory_order_relaxed);
}

static void wake_durable_waiters(void)
{
    atomic_fetch_add_explicit(&sl_pipe.synced_epoch, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&sl_pipe.durable_waiters, memory_order_seq_cst) > 0)
        sl_futex_wake(&sl_pipe.synced_epoch, INT_MAX);
}

static void mark_synced(uint64_t upto)
{
    atomic_store_explicit(&sl_pipe.synced_pos, upto, memory_order_seq_cst);
    wake_durable_waiters();
}

static void settle_synced(sl_writer *w, int64_t now);

/* The sink directory is 0700 and ours: after setuid to another user,
 * creating files there (segments, the manifest's replacement) is refused. */
static bool user_changed(const sl_writer *w)
{
    return geteuid() != w->sink.opened_euid;
}

/* Once: the sink refused a write or the manifest since the user id changed. */
/* Whether the sink refuses (or, at the next manifest rewrite, will refuse)
 * new files because the user id changed. */
static bool refused_since_user_change(const sl_writer *w)
{
    return user_changed(w)
           && (w->sink.write_failures || w->sink.manifest_failures
               || faccessat(w->sink.dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0);
}

static void warn_if_refused(sl_writer *w, int e)
{
    if (w->user_change_warned || !user_changed(w) || (e == 0 && !refused_since_user_change(w)))
        return;
    w->user_change_warned = true;
    sl_pipeline_warn(w->cfg.quiet,
                     "%s refuses new files since the process changed its user id from %u to %u; what was recorded "
                     "before is on disk, the manifest stays as it was%s",
                     w->sink.path, (unsigned)w->sink.opened_euid, (unsigned)geteuid(),
                     e != 0 ? ", and events from now on are counted and dropped" : "");
}

/* While the sink fails, the backlog is capped and the ring fills: every event
 * dropped meanwhile was lost to the disk. Counted when the failure ends (a
 * write succeeded, or the session ends). */
static void settle_disk_loss(sl_writer *w)
{
    if (!w->failing)
        return;
    uint64_t drops = atomic_load_explicit(&sl_pipe.drops_total, memory_order_relaxed);
    w->lost_to_disk += drops - w->drops_at_failure;
    w->drops_at_failure = drops;
}

/* Writes the first `len` bytes (`events` lines) of pending; what reached
 * the disk leaves pending even when the rest failed. true when all of it did. */
static bool flush_range(sl_writer *w, size_t len, uint64_t events, int64_t now)
{
    if (len == 0)
        return true;
    size_t done = 0;
    uint64_t done_events = 0;
    int e = sl_sink_append_ex(&w->sink, w->pending.data, len, events, w->cfg.fsync_every_ms == 0, &done,
                              &done_events);
    warn_if_refused(w, e);
    atomic_fetch_add_explicit(&sl_pipe.stat_flushes, 1, memory_order_relaxed);
    memmove(w->pending.data, w->pending.data + done, w->pending.len - done);
    w->pending.len -= done;
    w->pending_events -= done_events;
    atomic_fetch_add_explicit(&sl_pipe.stat_written, done_events, memory_order_relaxed);
    publish_stats(w);
    if (e != 0) {
        if (!w->failing)
            w->drops_at_failure = atomic_load_explicit(&sl_pipe.drops_total, memory_order_relaxed);
        if (!w->failing && w->failure_warnings < 3) {
            w->failure_warnings++;
            if (!user_changed(w))
                sl_pipeline_warn(w->cfg.quiet,
                                 "writing to %s failed: %s; retrying, events are counted and dropped while it fails",
                                 w->sink.path, strerror(e));
        }
        w->failing = true;
        w->backoff_ns = w->backoff_ns ? w->backoff_ns * 2 : SL_WRITER_BACKOFF_MIN_NS;
        if (w->backoff_ns > SL_WRITER_BACKOFF_MAX_NS)
            w->backoff_ns = SL_WRITER_BACKOFF_MAX_NS;
        w->retry_at_ns = now + w->backoff_ns;
        /* Durable waiters stop waiting on a failing sink (pipeline.c). */
        atomic_store_explicit(&sl_pipe.sink_failing, 1, memory_order_relaxed);
        wake_durable_waiters();
        return false;
    }
    settle_disk_loss(w);
    w->failing = false;
    w->backoff_ns = 0;
    w->last_flush_ns = now;
    /* Conservative: a flush of part of pending (a rollover boundary) ends
     * before the event being encoded, which pending_upto does not count yet. */
    w->written_upto = w->pending_upto;
    atomic_store_explicit(&sl_pipe.sink_failing, 0, memory_order_relaxed);
    if (!sl_sink_unsynced(&w->sink))
        settle_synced(w, now);
    return true;
}

/* Everything written is on disk: durable waits up to it may return, and
 * the waits that timed out may be tried again. */
static void settle_synced(sl_writer *w, int64_t now)
{
    w->last_sync_ns = now;
    atomic_store_explicit(&sl_pipe.durable_gave_up, 0, memory_order_relaxed);
    mark_synced(w->written_upto);
}

static bool sync_now(sl_writer *w, int64_t now)
{
    int e = sl_sink_sync(&w->sink);
    atomic_store_explicit(&sl_pipe.stat_syncs, w->sink.syncs, memory_order_relaxed);
    if (e != 0)
        return false;
    settle_synced(w, now);
    return true;
}

/* Writes what is pending and, with sync, fdatasyncs it (durable events,
 * the sync timer, the stop). */
static bool flush_all(sl_writer *w, int64_t now, bool sync)
{
    if (w->pending_events > 0 && !flush_range(w, w->pending.len, w->pending_events, now))
        return false;
    if (w->pending_events == 0)
        w->written_upto = w->pending_upto;
    return sync ? sync_now(w, now) : true;
}

static void begin_session(sl_writer *w, const sl_event *first)
{
    const char *collector = sl_collector_name((sl_collector)first->collector);
    /* The ledger's source names who recorded: the collector of the first
     * event (stormlog.cuda_shim / stormlog.hip_shim), where the reference's
     * generic sink writes "stormlog.telemetry_sink". A process's session
     * has one collector in practice; tools that group by source then tell
     * shim recordings apart from Python ones. */
    sl_manifest_session s = {
        .session_id = w->session.session_id,
        .status = "running",
        .started_at_ns = first->timestamp_ns < w->start_realtime_ns ? first->timestamp_ns : w->start_realtime_ns,
        .host = w->session.host,
        .pid = w->session.pid,
        .job_id = w->session.has_job_id ? w->session.job_id : NULL,
        .rank = w->session.rank,
        .local_rank = w->session.local_rank,
        .world_size = w->session.world_size,
        .source = collector ? (char *)collector : "stormlog.telemetry_sink",
    };
    if (s.started_at_ns < 0)
        s.started_at_ns = 0;
    sl_rollups_keeper_init(&w->rollups, &w->sink, &w->session, s.started_at_ns, w->cfg.write_rollups,
                           w->cfg.sidecar_interval_ms, w->cfg.quiet);
    sl_sink_begin_session(&w->sink, &s);
    w->session_begun = true;
}

/* The segment the next line written goes to: the open one, or the next. */
static uint64_t target_segment(const sl_sink *s)
{
    return s->segfd >= 0 ? s->next_index - 1 : s->next_index;
}

/* Appends ev's line to pending, with what the annotator adds for the
 * segment the line goes to (the stack definition). *annotated: it added. */
static sl_event_line_status append_line(sl_writer *w, const sl_event *ev, const sl_event_extras *extras,
                                        bool *annotated, sl_error *err)
{
    sl_member added;
    *annotated = extras->count == 0 && sl_pipe.annotator != NULL &&
                 sl_pipe.annotator(ev, target_segment(&w->sink), &added);
    if (!*annotated)
        return sl_event_append_line(ev, &w->session, extras, &w->pending, err);
    sl_event_extras with = *extras;
    with.members = &added;
    with.count = 1;
    return sl_event_append_line(ev, &w->session, &with, &w->pending, err);
}

/* After a rollover moved the line at pending[0..len) to a new segment:
 * encodes it again for that segment (which may need a definition the old
 * one had), keeping the first encoding when the second fails. */
static void reencode_for_new_segment(sl_writer *w, const sl_event *ev, const sl_event_extras *extras, sl_error *err)
{
    size_t len = w->pending.len;
    bool annotated;
    if (append_line(w, ev, extras, &annotated, err) != SL_LINE_OK || !annotated) {
        w->pending.len = len;
        return;
    }
    memmove(w->pending.data, w->pending.data + len, w->pending.len - len);
    w->pending.len -= len;
}

/* Encodes one event into pending, keeping segments within their limits:
 * a line that would take the open segment past rollover_bytes starts the
 * next segment, and a segment that reaches rollover_events is flushed (and
 * closed by the sink) at once. */
/* Every producer that drops an event adds to drops_total; reading it for
 * every line pulled its cache line over to this core each time, and the
 * next dropping producer paid to get it back (a tenth of a producer's cost
 * in a burst that overflows the ring, by perf). A view renewed every 64
 * lines, and for the stop event, still says truly "at least this many so
 * far". */
static uint64_t drops_so_far(sl_writer *w, bool fresh)
{
    if (fresh || (w->drops_age++ & 63u) == 0)
        w->drops_view = atomic_load_explicit(&sl_pipe.drops_total, memory_order_relaxed);
    return w->drops_view;
}

static void encode_one(sl_writer *w, const sl_event *ev, const sl_member *extra, size_t extra_count,
                       bool force_dropped)
{
    if (!w->session_begun)
        begin_session(w, ev);
    sl_rollups_keeper_observe(&w->rollups, ev);
    uint64_t drops = drops_so_far(w, force_dropped);
    sl_event_extras extras = {extra, extra_count, force_dropped || drops > w->last_reported_drops, drops};
    size_t before = w->pending.len;
    sl_error err;
    bool annotated;
    sl_event_line_status st = append_line(w, ev, &extras, &annotated, &err);
    if (st != SL_LINE_OK) {
        w->pending.len = before;
        atomic_fetch_add_explicit(&sl_pipe.stat_invalid, 1, memory_order_relaxed);
        sl_pipe_count_drops(ev->device_id, 1, true, true);
        if (!w->invalid_warned) {
            w->invalid_warned = true;
            sl_pipeline_warn(w->cfg.quiet, "dropped an event the validator refused: %s",
                             st == SL_LINE_NOMEM ? "out of memory" : err.message);
        }
        return;
    }
    if (extras.with_dropped)
        w->last_reported_drops = drops;
    sl_rollups_keeper_queue(&w->rollups, ev);

    uint64_t seg_events, seg_bytes;
    sl_sink_open_counts(&w->sink, &seg_events, &seg_bytes);
    if (seg_bytes + before > 0 && seg_bytes + w->pending.len > w->cfg.rollover_bytes && !w->failing) {
        if (flush_range(w, before, w->pending_events, sl_monotonic_ns())) {
            sl_sink_roll_over(&w->sink);
            if (sl_pipe.annotator != NULL)
                reencode_for_new_segment(w, ev, &extras, &err);
        }
    }
    w->pending_events++;
    sl_sink_open_counts(&w->sink, &seg_events, &seg_bytes);
    if (seg_events + w->pending_events >= w->cfg.rollover_events && !w->failing)
        flush_range(w, w->pending.len, w->pending_events, sl_monotonic_ns());
}

/* Waits for the producer of the PENDING slot at head, bounded; gives up on
 * it (ring.c) when it takes longer than SL_WRITER_STALL_NS or the stop
 * deadline comes first. */
static void wait_for_publish(sl_writer *w, int64_t give_up_at)
{
    int64_t limit = sl_monotonic_ns() + SL_WRITER_STALL_NS;
    if (give_up_at >= 0 && give_up_at < limit)
        limit = give_up_at;
    for (unsigned i = 0;; i++) {
        const sl_event *ev;
        if (sl_ring_peek(w->ring, &ev) != SL_RING_PENDING)
            return;
        if (i < 64) {
            cpu_relax();
        } else if (i < 128) {
            sched_yield();
        } else {
            struct timespec ts = {0, 50 * 1000};
            nanosleep(&ts, NULL);
            if (sl_monotonic_ns() >= limit)
                break;
        }
    }
    if (sl_ring_abandon(w->ring)) {
        atomic_fetch_add_explicit(&sl_pipe.stat_abandoned, 1, memory_order_relaxed);
        sl_pipe_count_drops(SL_DEVICE_UNKNOWN, 1, true, false); /* the slot is half written */
    }
}

/* What one write takes under load. With a sync after every write
 * (STORMLOG_FSYNC_EVERY_MS=0) each write costs a journal commit, so it
 * takes four batches: 224 KiB writes ran 20-30 % slower than 1 MiB ones
 * there (bench_pipeline), while under the default policy they are as fast
 * and hold 0.75 MiB less. */
static size_t batch_bytes(const sl_writer *w)
{
    return w->cfg.fsync_every_ms == 0 ? 4u * SL_WRITER_BATCH_BYTES : SL_WRITER_BATCH_BYTES;
}

/* Consumes published events into pending. Returns true when it stopped
 * because the ring is empty. */
static bool drain(sl_writer *w, int64_t give_up_at)
{
    bool empty = false;
    size_t budget = w->failing ? SL_WRITER_PENDING_MAX : batch_bytes(w);
    sl_writer_prepare_ring(w);
    while (w->pending.len < budget) {
        if (give_up_at >= 0 && sl_monotonic_ns() >= give_up_at)
            break;
        const sl_event *ev;
        sl_ring_peek_result pr = sl_ring_peek(w->ring, &ev);
        if (pr == SL_RING_EMPTY) {
            if (sl_writer_next_ring(w))
                continue;
            empty = true;
            break;
        }
        if (pr == SL_RING_PENDING) {
            wait_for_publish(w, give_up_at);
            continue;
        }
        if (w->discard) { /* no sink: counted, not written */
            sl_pipe_count_drops(ev->device_id, 1, true, true);
            sl_ring_release(w->ring);
            w->pending_upto = w->ring_start + w->ring->head;
            continue;
        }
        bool urgent = (ev->flags & SL_EVENT_F_DURABLE) || ev->type == SL_EVENT_ERROR;
        encode_one(w, ev, NULL, 0, false);
        sl_ring_release(w->ring);
        w->pending_upto = w->ring_start + w->ring->head;
        if (urgent && !w->failing)
            flush_all(w, sl_monotonic_ns(), true);
    }
    sl_ring_publish_head(w->ring);
    if (w->pending_events == 0 && !sl_sink_unsynced(&w->sink)) {
        w->written_upto = w->pending_upto;
        mark_synced(w->pending_upto); /* invalid or abandoned positions are settled too */
    }
    return empty;
}

static bool sync_due(sl_writer *w, int64_t now)
{
    return sl_sink_unsynced(&w->sink) && now - w->last_sync_ns >= (int64_t)w->cfg.fsync_every_ms * 1000000;
}

static void maybe_flush(sl_writer *w, int64_t now)
{
    if (w->failing) {
        if (w->pending_events > 0 && now >= w->retry_at_ns)
            flush_all(w, now, false);
        return;
    }
    /* sl_pipeline_sync (exec, setuid) asks for everything written and synced. */
    bool requested = atomic_exchange_explicit(&sl_pipe.flush_requested, 0, memory_order_acq_rel) != 0;
    if (w->pending_events > 0
        && (requested || w->pending_events >= w->cfg.flush_every_events || w->pending.len >= batch_bytes(w)
            || now - w->last_flush_ns >= (int64_t)w->cfg.flush_every_ms * 1000000))
        flush_all(w, now, requested || sync_due(w, now));
    else if (requested || sync_due(w, now))
        sync_now(w, now);
}

/* The background task (the wall clock's calibration) when it is due. */
static void run_background_task(sl_writer *w, int64_t now)
{
    if (!sl_pipe.background_task || now < w->background_at_ns)
        return;
    int64_t again = sl_pipe.background_task();
    w->background_at_ns = again > 0 ? sl_monotonic_ns() + again : INT64_MAX;
}

static void sleep_until_work(sl_writer *w, int64_t now)
{
    int64_t timeout = (int64_t)w->cfg.flush_every_ms * 1000000;
    if (w->failing && w->pending_events > 0)
        timeout = w->retry_at_ns - now;
    else if (w->pending_events > 0)
        timeout = w->last_flush_ns + timeout - now;
    if (w->background_at_ns - now < timeout)
        timeout = w->background_at_ns - now;
    if (sl_sink_unsynced(&w->sink)) {
        int64_t sync_in = w->last_sync_ns + (int64_t)w->cfg.fsync_every_ms * 1000000 - now;
        if (sync_in < timeout)
            timeout = sync_in;
    }
    if (timeout <= 0)
        return;

    uint64_t want = w->cfg.flush_every_events > w->pending_events ? w->cfg.flush_every_events - w->pending_events : 1;
    uint64_t half = w->ring->capacity / 2 ? w->ring->capacity / 2 : 1;
    atomic_store_explicit(&sl_pipe.wake_threshold, (uint32_t)(want < half ? want : half), memory_order_relaxed);
    sl_ring_publish_head(w->ring);

    atomic_store_explicit(&sl_pipe.writer_sleeping, 1, memory_order_seq_cst);
    uint64_t queued = sl_ring_tail(w->ring) - w->ring->head;
    bool urgent = atomic_exchange_explicit(&sl_pipe.urgent, 0, memory_order_seq_cst) != 0;
    bool stop = atomic_load_explicit(&sl_pipe.stop_requested, memory_order_seq_cst) != 0;
    if (!urgent && !stop && queued < atomic_load_explicit(&sl_pipe.wake_threshold, memory_order_relaxed))
        sl_futex_wait(&sl_pipe.writer_sleeping, 1, timeout);
    atomic_store_explicit(&sl_pipe.writer_sleeping, 0, memory_order_seq_cst);
}

static void finish(sl_writer *w, const sl_event *stop_event, const sl_member *extra, size_t extra_count);

void *sl_writer_main(void *arg)
{
    sl_writer *w = arg;
    pthread_setname_np(pthread_self(), "stormlog-writer");
    sl_ring_prefault(w->ring); /* the first ring's pages: here, not on a producer */
    run_background_task(w, sl_monotonic_ns());
    w->discard = !sl_writer_open_sink(w);
    w->last_flush_ns = w->last_sync_ns = sl_monotonic_ns();
    for (;;) {
        bool stopping = atomic_load_explicit(&sl_pipe.stop_requested, memory_order_acquire) != 0;
        int64_t give_up = stopping ? atomic_load_explicit(&sl_pipe.stop_give_up_ns, memory_order_relaxed) : -1;
        bool empty = drain(w, give_up);
        int64_t now = sl_monotonic_ns();
        if (stopping && (empty || now >= give_up))
            break;
        maybe_flush(w, now);
        sl_rollups_keeper_tick(&w->rollups, &w->sink, sl_monotonic_ns());
        run_background_task(w, now);
        if (empty)
            sleep_until_work(w, now);
    }
    /* Stopping: one last flush of what was drained. What the deadline left
     * in the ring will not be written: count it. */
    flush_all(w, sl_monotonic_ns(), false); /* finish syncs once, with the stop event */
    sl_pipe_count_drops(SL_DEVICE_UNKNOWN, sl_writer_ring_backlog(w), true, false);
    finish(w, w->has_stop_event ? &w->stop_event : NULL, w->stop_extra, w->stop_extra_count);
    publish_stats(w);
    atomic_store_explicit(&sl_pipe.writer_parked, 1, memory_order_seq_cst);
    sl_futex_wake(&sl_pipe.writer_parked, INT_MAX);
    return NULL;
}

#define USER_CHANGED_TEXT                                                                                    \
    "the process changed its user id after recording began: the sink directory refused new files (segments, " \
    "the manifest), so the manifest still reads running and later events may be missing"

/* The stop event's extra members plus the writer's own counts (calloc'ed:
 * this may run on a program thread with a small stack). */
static sl_member *stop_members(const sl_writer *w, const sl_member *extra, size_t extra_count, size_t *count)
{
    *count = extra_count;
    bool refused = refused_since_user_change(w);
    if (w->lost_to_disk == 0 && w->sink.fd_reclaims == 0 && !refused)
        return NULL;
    sl_member *all = calloc(extra_count + 3, sizeof *all);
    if (!all)
        return NULL;
    if (extra_count)
        memcpy(all, extra, extra_count * sizeof *all);
    if (w->lost_to_disk)
        all[(*count)++] = sl_member_of("events_lost_to_disk", sl_value_int((int64_t)(w->lost_to_disk & INT64_MAX)));
    if (w->sink.fd_reclaims)
        all[(*count)++] = sl_member_of("descriptors_reopened", sl_value_int((int64_t)w->sink.fd_reclaims));
    if (refused)
        all[(*count)++] = sl_member_of("sink_error", sl_value_strn(USER_CHANGED_TEXT, strlen(USER_CHANGED_TEXT)));
    return all;
}

/* At the end of the writer's life: the backlog, what fits of it (a full
 * disk takes whole lines up to its last byte; the rest is lost to the disk
 * and the stop event says how much), then the stop event (its own metadata,
 * extra members, dropped_events_total, and events_lost_to_disk /
 * descriptors_reopened / sink_error when they apply) using the sink's
 * reserve if the disk is full, the last sync, and the session closed with
 * status "completed". */
static void finish(sl_writer *w, const sl_event *stop_event, const sl_member *extra, size_t extra_count)
{
    if (w->discard) /* never opened: nothing to finish */
        return;
    if (!flush_all(w, sl_monotonic_ns(), false)) {
        sl_pipe_count_drops(SL_DEVICE_UNKNOWN, w->pending_events, true, false);
        w->pending.len = 0;
        w->pending_events = 0;
    }
    settle_disk_loss(w); /* everything dropped since the failure began */
    /* The manifest is rewritten at syncs, so its refusal may be still to
     * come: say why before the sidecars and the last manifest fail. */
    warn_if_refused(w, 0);
    if (stop_event) {
        size_t count;
        sl_member *all = stop_members(w, extra, extra_count, &count);
        encode_one(w, stop_event, all ? all : extra, all ? count : extra_count, true);
        free(all);
    }
    /* The reserve's room is for the stop event and the manifest after it.
     * Written, not synced: the close below syncs the segment and then the
     * manifest, once; a sync here would also rewrite the manifest, one
     * more rename a short process waits for at its exit (issue 14). */
    if (!flush_all(w, sl_monotonic_ns(), false) && sl_sink_release_reserve(&w->sink))
        flush_all(w, sl_monotonic_ns(), false);
    if (w->pending_events > 0) {
        /* Last chance gone: what is still pending is lost. */
        sl_pipe_count_drops(SL_DEVICE_UNKNOWN, w->pending_events, true, false);
        w->pending.len = 0;
        w->pending_events = 0;
        sl_rollups_keeper_discard_queue(&w->rollups);
    }
    sl_sink_close(&w->sink, "completed", sl_realtime_ns());
    publish_stats(w); /* the close's syncs included */
}

void sl_writer_free(sl_writer *w)
{
    if (!w)
        return;
    sl_buf_free(&w->pending);
    sl_rollups_keeper_free(&w->rollups);
    free(w);
}
