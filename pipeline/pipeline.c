/* The pipeline's public face: start, emit, stop, fork. One pipeline per
 * process; the lifecycle decides when it starts and stops. */
#define _GNU_SOURCE
#include "pipeline.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "futex.h"
#include "pipeline_shared.h"
#include "ring.h"
#include "ring_grow.h"
#include "sink.h"
#include "warn.h"
#include "writer.h"

/* Writers the process is done with but may not free: a fork child cannot
 * trust the parent writer's heap state. Kept reachable (leak checkers see
 * them as live) and bounded by the number of starts. */
static struct sl_writer *orphaned_writers[8];
static unsigned orphaned_count;

static void orphan_writer(struct sl_writer *w)
{
    if (w && orphaned_count < sizeof orphaned_writers / sizeof orphaned_writers[0])
        orphaned_writers[orphaned_count++] = w;
}

static void reset_shared(void)
{
    atomic_store(&sl_pipe.ring, NULL);
    atomic_store(&sl_pipe.writer_sleeping, 0);
    atomic_store(&sl_pipe.wake_threshold, 1);
    atomic_store(&sl_pipe.urgent, 0);
    atomic_store(&sl_pipe.flush_requested, 0);
    atomic_store(&sl_pipe.stop_requested, 0);
    atomic_store(&sl_pipe.stop_give_up_ns, 0);
    atomic_store(&sl_pipe.writer_parked, 0);
    atomic_store(&sl_pipe.synced_pos, 0);
    atomic_store(&sl_pipe.synced_epoch, 0);
    atomic_store(&sl_pipe.durable_waiters, 0);
    atomic_store(&sl_pipe.sink_failing, 0);
    atomic_store(&sl_pipe.durable_gave_up, 0);
    atomic_store(&sl_pipe.durable_next_wait_ns, 0);
    sl_pipe.writer = NULL;
    sl_pipe.thread_started = false;
    sl_pipe.has_sink_dir = false;
    atomic_store(&sl_pipe.sink_state, SL_SINK_OPENING);
}

static void reset_counters(void)
{
    atomic_store(&sl_pipe.drops_total, 0);
    atomic_store(&sl_pipe.drops_host, 0);
    for (int i = 0; i < SL_MAX_DEVICES; i++)
        atomic_store(&sl_pipe.drops_device[i], 0);
    atomic_store(&sl_pipe.stat_written, 0);
    atomic_store(&sl_pipe.stat_abandoned, 0);
    atomic_store(&sl_pipe.stat_invalid, 0);
    atomic_store(&sl_pipe.stat_write_failures, 0);
    atomic_store(&sl_pipe.stat_flushes, 0);
    atomic_store(&sl_pipe.stat_rollovers, 0);
    atomic_store(&sl_pipe.stat_pruned, 0);
    atomic_store(&sl_pipe.stat_syncs, 0);
    atomic_store(&sl_pipe.stat_durable_waits, 0);
    atomic_store(&sl_pipe.stat_durable_timeouts, 0);
    atomic_store(&sl_pipe.stat_durable_unwaited, 0);
}

/* The writer thread gets every signal blocked: the application's handlers
 * must run on the application's threads, and a stray SIGPIPE or SIGINT must
 * not land in the middle of our write. */
static bool start_writer_thread(sl_writer *w)
{
    sigset_t all, old;
    sigfillset(&all);
    /* A stack of its own size: the default follows RLIMIT_STACK, which a
     * program may have set small, and the writer's frames (encoding, the
     * sink) are bigger than a hook's. Pages are used as touched. */
    pthread_attr_t attr;
    bool have_attr = pthread_attr_init(&attr) == 0;
    if (have_attr)
        pthread_attr_setstacksize(&attr, SL_WRITER_STACK_BYTES);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&sl_pipe.thread, have_attr ? &attr : NULL, sl_writer_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (have_attr)
        pthread_attr_destroy(&attr);
    if (e != 0) {
        errno = e;
        return false;
    }
    sl_pipe.thread_started = true;
    return true;
}

bool sl_pipeline_start(const sl_session_info *session, const sl_pipeline_config *cfg_in)
{
    int saved_errno = errno;
    uint32_t expected = SL_PIPE_IDLE;
    if (!atomic_compare_exchange_strong(&sl_pipe.state, &expected, SL_PIPE_STARTING)) {
        /* Started before (or being started): a stopped pipeline may start
         * again with a new session (tests do); anything else stays. */
        expected = SL_PIPE_STOPPED;
        if (!atomic_compare_exchange_strong(&sl_pipe.state, &expected, SL_PIPE_STARTING)) {
            errno = saved_errno;
            return expected == SL_PIPE_RUNNING;
        }
        reset_counters(); /* a new session counts its own drops */
    }
    /* Drops counted before the first start (emits that came too early) are
     * kept: the first event written reports them. */
    reset_shared();

    /* Nothing large on this stack (the program's, maybe a small one): the
     * settings are normalised in the writer's heap copy. */
    sl_writer *w = calloc(1, sizeof *w);
    sl_ring *ring = NULL;
    if (!w)
        goto fail;
    w->sink.dirfd = w->sink.segfd = -1;
    w->cfg = *cfg_in;
    sl_pipeline_config *cfg = &w->cfg;
    if (cfg->ring_capacity < SL_RING_CAPACITY_MIN || cfg->ring_capacity > SL_RING_CAPACITY_MAX
        || (cfg->ring_capacity & (cfg->ring_capacity - 1)) != 0)
        cfg->ring_capacity = SL_RING_CAPACITY_DEFAULT;
    if (cfg->flush_every_events == 0)
        cfg->flush_every_events = 1;
    if (cfg->flush_every_ms == 0)
        cfg->flush_every_ms = 1;
    if (cfg->rollover_events == 0)
        cfg->rollover_events = 1;
    if (cfg->rollover_bytes == 0)
        cfg->rollover_bytes = 1;
    if (cfg->retention_files == 0)
        cfg->retention_files = 1;
    if (cfg->retention_bytes < cfg->rollover_bytes)
        cfg->retention_bytes = cfg->rollover_bytes;
    if (cfg->shutdown_deadline_ms == 0)
        cfg->shutdown_deadline_ms = SL_SHUTDOWN_DEADLINE_MS_DEFAULT;
    cfg->output_dir[sizeof cfg->output_dir - 1] = '\0';

    /* Small at first (the writer faults its pages in); it grows up to
     * ring_capacity slots when the work needs more (ring_grow.c). */
    ring = sl_ring_create(cfg->ring_capacity < SL_RING_INITIAL_SLOTS ? cfg->ring_capacity : SL_RING_INITIAL_SLOTS);
    if (!ring)
        goto fail;
    w->session = *session;
    w->session.session_id[sizeof w->session.session_id - 1] = '\0';
    w->session.host[sizeof w->session.host - 1] = '\0';
    w->session.job_id[sizeof w->session.job_id - 1] = '\0';
    w->ring = ring;
    w->start_realtime_ns = sl_realtime_ns();

    atomic_store(&sl_pipe.ring, ring);
    atomic_store(&sl_pipe.stat_ring_slots, ring->capacity);
    sl_pipe.ring_max = cfg->ring_capacity;
    sl_pipe.writer = w;
    atomic_store_explicit(&sl_pipe.state, SL_PIPE_RUNNING, memory_order_release);
    if (!start_writer_thread(w)) {
        sl_pipeline_warn(cfg_in->quiet, "cannot start the writer thread: %s; recording is off for this process "
                         "(events are counted and dropped)", strerror(errno));
        atomic_store_explicit(&sl_pipe.state, SL_PIPE_QUIET, memory_order_release);
        /* A producer may have read the ring pointer already: keep it. */
        sl_pipe_count_drops(SL_DEVICE_UNKNOWN, sl_ring_tail(ring), true, false);
        sl_pipe_retire_ring(ring);
        sl_pipe.writer = NULL;
        atomic_store(&sl_pipe.ring, NULL);
        sl_writer_free(w);
        errno = saved_errno;
        return false;
    }
    errno = saved_errno;
    return true;

fail:
    sl_pipeline_warn(cfg_in->quiet, "out of memory; recording is off for this process (events are counted and dropped)");
    sl_ring_destroy(ring);
    sl_writer_free(w);
    atomic_store_explicit(&sl_pipe.state, SL_PIPE_QUIET, memory_order_release);
    errno = saved_errno;
    return false;
}

static bool emit_at(const sl_event *ev, uint64_t *pos)
{
    if (atomic_load_explicit(&sl_pipe.state, memory_order_acquire) != SL_PIPE_RUNNING) {
        sl_pipe_count_drops(ev->device_id, 1, true, true);
        return false;
    }
    sl_ring *r = atomic_load_explicit(&sl_pipe.ring, memory_order_acquire);
    sl_ring_push_result res;
    for (;;) {
        res = sl_ring_push(r, ev, pos);
        /* Full: grow it (ring_grow.c); sealed: its successor. Without one
         * (being mapped by another thread, or at the maximum) the event is
         * dropped, never waited for. */
        sl_ring *next = res == SL_RING_FULL ? sl_ring_grow(r, sl_pipe.ring_max, &sl_pipe.ring)
                        : res == SL_RING_SEALED_OFF ? sl_ring_follow(r, &sl_pipe.ring)
                                                    : NULL;
        if (!next)
            break;
        r = next;
    }
    switch (res) {
    case SL_RING_PUSHED:
        break;
    case SL_RING_SEALED_OFF:
    case SL_RING_FULL:
        sl_pipe_count_drops(ev->device_id, 1, true, true);
        return false;
    case SL_RING_ABANDONED:
        /* The writer counted it in the total when it gave up on the slot. */
        sl_pipe_count_drops(ev->device_id, 1, false, true);
        return false;
    }
    bool urgent = (ev->flags & SL_EVENT_F_DURABLE) || ev->type == SL_EVENT_ERROR;
    if (urgent)
        atomic_store_explicit(&sl_pipe.urgent, 1, memory_order_seq_cst);
    uint64_t local = *pos;
    if (urgent)
        *pos += sl_ring_start(r); /* the running count durable waits compare */
    if (atomic_load_explicit(&sl_pipe.writer_sleeping, memory_order_seq_cst)) {
        uint64_t queued = local + 1 - atomic_load_explicit(&r->head_published, memory_order_relaxed);
        if ((urgent || queued >= atomic_load_explicit(&sl_pipe.wake_threshold, memory_order_relaxed))
            && atomic_exchange_explicit(&sl_pipe.writer_sleeping, 0, memory_order_seq_cst))
            sl_futex_wake(&sl_pipe.writer_sleeping, 1);
    }
    return true;
}

bool sl_pipeline_emit(const sl_event *ev)
{
    uint64_t pos;
    return emit_at(ev, &pos);
}

/* Waits until the writer has synced every ring position (the running count)
 * below upto, at most timeout_ms, or until the sink fails or the writer
 * parked. A wait that ran out gives durable waits up until a sync succeeds. */
static bool wait_synced(uint64_t upto, uint32_t timeout_ms)
{
    int64_t deadline = sl_monotonic_ns() + (int64_t)timeout_ms * 1000000;
    bool synced = false, timed_out = false;
    atomic_fetch_add_explicit(&sl_pipe.durable_waiters, 1, memory_order_seq_cst);
    for (;;) {
        uint32_t epoch = atomic_load_explicit(&sl_pipe.synced_epoch, memory_order_seq_cst);
        if (atomic_load_explicit(&sl_pipe.synced_pos, memory_order_seq_cst) >= upto) {
            synced = true;
            break;
        }
        int64_t left = deadline - sl_monotonic_ns();
        bool failing = atomic_load_explicit(&sl_pipe.sink_failing, memory_order_relaxed);
        if (left <= 0 || failing || atomic_load_explicit(&sl_pipe.writer_parked, memory_order_acquire)) {
            timed_out = left <= 0 && !failing;
            break;
        }
        sl_futex_wait(&sl_pipe.synced_epoch, epoch, left);
    }
    atomic_fetch_sub_explicit(&sl_pipe.durable_waiters, 1, memory_order_seq_cst);
    if (timed_out) {
        atomic_store_explicit(&sl_pipe.durable_gave_up, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&sl_pipe.stat_durable_timeouts, 1, memory_order_relaxed);
    }
    return synced;
}

bool sl_pipeline_emit_durable(const sl_event *ev_in, uint32_t timeout_ms)
{
    int saved_errno = errno;
    sl_event ev = *ev_in;
    ev.flags |= SL_EVENT_F_DURABLE;
    uint64_t pos;
    if (!emit_at(&ev, &pos))
        return false;
    /* The event is urgent: the writer writes and syncs it at once whether
     * we wait or not. A wait is what is bounded: none while the sink is
     * known to fail or since a wait timed out (until a sync succeeds), and
     * one per SL_DURABLE_WAIT_EVERY_NS, whose sync carries the others'
     * events too. A program that retries after OOM must not crawl. */
    int64_t now = sl_monotonic_ns();
    int64_t window = atomic_load_explicit(&sl_pipe.durable_next_wait_ns, memory_order_relaxed);
    if (atomic_load_explicit(&sl_pipe.sink_failing, memory_order_relaxed)
        || atomic_load_explicit(&sl_pipe.durable_gave_up, memory_order_relaxed) || now < window
        || !atomic_compare_exchange_strong(&sl_pipe.durable_next_wait_ns, &window, now + SL_DURABLE_WAIT_EVERY_NS)) {
        atomic_fetch_add_explicit(&sl_pipe.stat_durable_unwaited, 1, memory_order_relaxed);
        errno = saved_errno;
        return false;
    }
    atomic_fetch_add_explicit(&sl_pipe.stat_durable_waits, 1, memory_order_relaxed);
    bool synced = wait_synced(pos + 1, timeout_ms);
    errno = saved_errno;
    return synced;
}

bool sl_pipeline_sync(uint32_t timeout_ms)
{
    int saved_errno = errno;
    if (atomic_load_explicit(&sl_pipe.state, memory_order_acquire) != SL_PIPE_RUNNING)
        return false;
    sl_ring *r = atomic_load_explicit(&sl_pipe.ring, memory_order_acquire);
    uint64_t upto = sl_ring_start(r) + sl_ring_tail(r);
    atomic_store_explicit(&sl_pipe.flush_requested, 1, memory_order_seq_cst);
    atomic_store_explicit(&sl_pipe.urgent, 1, memory_order_seq_cst);
    if (atomic_exchange_explicit(&sl_pipe.writer_sleeping, 0, memory_order_seq_cst))
        sl_futex_wake(&sl_pipe.writer_sleeping, 1);
    bool synced = wait_synced(upto, timeout_ms);
    errno = saved_errno;
    return synced;
}

void sl_pipeline_stop(const sl_event *stop_event, const sl_member *extra_meta, size_t extra_count)
{
    int saved_errno = errno;
    /* QUIET with a writer thread: the writer could not open the directory
     * and only counts; it is stopped and joined all the same. */
    uint32_t expected = atomic_load(&sl_pipe.state);
    bool has_writer = expected == SL_PIPE_RUNNING || (expected == SL_PIPE_QUIET && sl_pipe.thread_started);
    if (!has_writer || !atomic_compare_exchange_strong(&sl_pipe.state, &expected, SL_PIPE_STOPPING)) {
        expected = SL_PIPE_QUIET;
        atomic_compare_exchange_strong(&sl_pipe.state, &expected, SL_PIPE_STOPPED);
        errno = saved_errno;
        return;
    }
    sl_writer *w = sl_pipe.writer;
    /* The writer drains until 3/4 of the deadline; the rest is for the stop
     * event, the last flush and the manifest, which the writer also does
     * (sl_writer_finish) before it parks: encoding takes kilobytes of
     * stack, which the stopping thread (the program's) may not have. */
    if (stop_event) {
        w->stop_event = *stop_event;
        w->has_stop_event = true;
    }
    w->stop_extra = extra_meta;
    w->stop_extra_count = extra_count;
    int64_t now = sl_monotonic_ns();
    int64_t deadline = now + (int64_t)w->cfg.shutdown_deadline_ms * 1000000;
    atomic_store_explicit(&sl_pipe.stop_give_up_ns, now + (int64_t)w->cfg.shutdown_deadline_ms * 750000,
                          memory_order_relaxed);
    atomic_store_explicit(&sl_pipe.stop_requested, 1, memory_order_seq_cst);
    if (atomic_exchange_explicit(&sl_pipe.writer_sleeping, 0, memory_order_seq_cst))
        sl_futex_wake(&sl_pipe.writer_sleeping, 1);

    while (!atomic_load_explicit(&sl_pipe.writer_parked, memory_order_seq_cst)) {
        int64_t left = deadline - sl_monotonic_ns();
        if (left <= 0)
            break;
        sl_futex_wait(&sl_pipe.writer_parked, 0, left);
    }
    if (atomic_load_explicit(&sl_pipe.writer_parked, memory_order_seq_cst)) {
        pthread_join(sl_pipe.thread, NULL);
        sl_writer_free(w);
    } else {
        /* The writer is stuck (a hung filesystem): leave it, and its session
         * reads `running` until a later writer marks it interrupted. The
         * exiting program does not wait for us. */
        pthread_detach(sl_pipe.thread);
        orphan_writer(w);
    }
    sl_pipe.writer = NULL;
    sl_pipe.thread_started = false;
    sl_pipe_retire_ring(atomic_load(&sl_pipe.ring));
    atomic_store_explicit(&sl_pipe.state, SL_PIPE_STOPPED, memory_order_release);
    errno = saved_errno;
}

/* No lock of ours exists to be held across fork: producers use only atomics
 * and the writer sleeps on a futex word. */
void sl_pipeline_atfork_prepare(void) {}
void sl_pipeline_atfork_parent(void) {}

/* The child has one thread: the one that forked. The parent's writer does
 * not exist here and its ring may hold a half-published slot of a thread
 * that does not exist either: forget both. The descriptors are closed (they
 * are the parent's files and its directory lock); the memory is left alone,
 * since the parent's writer may have been mid-update when the fork copied
 * it. The child starts its own pipeline (new session, its own directory:
 * the pid is in the name) if the lifecycle says so. */
void sl_pipeline_atfork_child(void)
{
    int saved_errno = errno;
    struct sl_writer *w = sl_pipe.writer;
    if (w) {
        sl_sink_forget_fds(&w->sink);
        orphan_writer(w);
    }
    sl_pipe_retire_ring(atomic_load(&sl_pipe.ring));
    reset_shared();
    reset_counters();
    atomic_store(&sl_pipe.state, SL_PIPE_IDLE);
    errno = saved_errno;
}

bool sl_pipeline_running(void)
{
    return atomic_load_explicit(&sl_pipe.state, memory_order_acquire) == SL_PIPE_RUNNING;
}

uint64_t sl_pipeline_dropped_total(void)
{
    return atomic_load_explicit(&sl_pipe.drops_total, memory_order_relaxed);
}

uint64_t sl_pipeline_dropped_device(int32_t device_id)
{
    if (device_id == -1)
        return atomic_load_explicit(&sl_pipe.drops_host, memory_order_relaxed);
    if (device_id >= 0 && device_id < SL_MAX_DEVICES)
        return atomic_load_explicit(&sl_pipe.drops_device[device_id], memory_order_relaxed);
    return 0;
}

void sl_pipeline_set_background_task(sl_pipeline_background_fn task)
{
    sl_pipe.background_task = task;
}

void sl_pipeline_set_process_label(const char *label)
{
    sl_ring_slot_set_process_label(label);
}

void sl_pipeline_set_annotator(sl_pipeline_annotate_fn fn)
{
    sl_pipe.annotator = fn;
}

const char *sl_pipeline_sink_dir(void)
{
    if (sl_pipe.thread_started && sl_pipe.writer) {
        int64_t deadline = sl_monotonic_ns() + (int64_t)sl_pipe.writer->cfg.shutdown_deadline_ms * 1000000;
        while (atomic_load_explicit(&sl_pipe.sink_state, memory_order_acquire) == SL_SINK_OPENING) {
            int64_t left = deadline - sl_monotonic_ns();
            if (left <= 0)
                return NULL;
            sl_futex_wait(&sl_pipe.sink_state, SL_SINK_OPENING, left);
        }
    }
    uint32_t st = atomic_load_explicit(&sl_pipe.state, memory_order_acquire);
    return (st == SL_PIPE_RUNNING || st == SL_PIPE_STOPPING || st == SL_PIPE_STOPPED) && sl_pipe.has_sink_dir
               ? sl_pipe.sink_dir
               : NULL;
}

void sl_pipeline_get_stats(sl_pipeline_stats *out)
{
    memset(out, 0, sizeof *out);
    out->written = atomic_load_explicit(&sl_pipe.stat_written, memory_order_relaxed);
    out->dropped_total = atomic_load_explicit(&sl_pipe.drops_total, memory_order_relaxed);
    out->abandoned_slots = atomic_load_explicit(&sl_pipe.stat_abandoned, memory_order_relaxed);
    out->invalid_events = atomic_load_explicit(&sl_pipe.stat_invalid, memory_order_relaxed);
    out->write_failures = atomic_load_explicit(&sl_pipe.stat_write_failures, memory_order_relaxed);
    out->flushes = atomic_load_explicit(&sl_pipe.stat_flushes, memory_order_relaxed);
    out->rollovers = atomic_load_explicit(&sl_pipe.stat_rollovers, memory_order_relaxed);
    out->pruned_segments = atomic_load_explicit(&sl_pipe.stat_pruned, memory_order_relaxed);
    out->ring_slots = atomic_load_explicit(&sl_pipe.stat_ring_slots, memory_order_relaxed);
    out->syncs = atomic_load_explicit(&sl_pipe.stat_syncs, memory_order_relaxed);
    out->durable_waits = atomic_load_explicit(&sl_pipe.stat_durable_waits, memory_order_relaxed);
    out->durable_timeouts = atomic_load_explicit(&sl_pipe.stat_durable_timeouts, memory_order_relaxed);
    out->durable_unwaited = atomic_load_explicit(&sl_pipe.stat_durable_unwaited, memory_order_relaxed);
}
