/* The pipeline's concurrency, as a plain program: Criterion cannot start
 * under ThreadSanitizer (see tests/CMakeLists.txt), and these are exactly
 * the paths TSan must see. Scenarios:
 *   ring      8 producers x N through a 1,024-slot ring, one consumer
 *   disk      8 producers through the whole pipeline (1,024 slots) to disk
 *   durable   durable emits from several threads at once
 *   dead      a producer dead between claim and publish
 *   stop      stop racing with producers that keep emitting
 *   grow      8 producers grow a 2-slot ring to 65,536 while one consumer
 *             follows it: nothing lost, each producer's events in order
 * Sizes scale with STORMLOG_STRESS_SCALE (percent). Exit 0 = pass. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"
#include "pipeline_shared.h"
#include "ring.h"
#include "ring_grow.h"
#include "sink_reader.h"

#define PRODUCERS 8

static int failures;

static void check(bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    failures++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- ring ---- */

typedef struct ring_run {
    sl_ring *ring;
    uint64_t per_producer;
    _Atomic int producers_left;
    uint64_t pushed[PRODUCERS], refused[PRODUCERS], consumed[PRODUCERS];
    int64_t last_seq[PRODUCERS];
    bool out_of_order;
    uint64_t abandoned;
} ring_run;

typedef struct ring_arg {
    ring_run *run;
    int id;
} ring_arg;

static void *ring_produce(void *p)
{
    ring_arg *a = p;
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.device_id = a->id;
    for (uint64_t i = 0; i < a->run->per_producer; i++) {
        ev.allocated_bytes = (int64_t)i;
        uint64_t pos;
        if (sl_ring_push(a->run->ring, &ev, &pos) == SL_RING_PUSHED)
            a->run->pushed[a->id]++;
        else
            a->run->refused[a->id]++;
    }
    atomic_fetch_sub(&a->run->producers_left, 1);
    return NULL;
}

static void *ring_consume(void *p)
{
    ring_run *run = p;
    int64_t pending_since = 0;
    for (;;) {
        bool done = atomic_load(&run->producers_left) == 0;
        const sl_event *ev;
        sl_ring_peek_result pr = sl_ring_peek(run->ring, &ev);
        if (pr == SL_RING_READY) {
            int id = ev->device_id;
            if (ev->allocated_bytes <= run->last_seq[id])
                run->out_of_order = true;
            run->last_seq[id] = ev->allocated_bytes;
            run->consumed[id]++;
            sl_ring_release(run->ring);
            pending_since = 0;
        } else if (pr == SL_RING_PENDING) {
            if (!pending_since)
                pending_since = now_ns();
            else if (now_ns() - pending_since > 200000000 && sl_ring_abandon(run->ring)) {
                run->abandoned++;
                pending_since = 0;
            }
            sched_yield();
        } else if (done) {
            break;
        } else {
            sched_yield();
        }
    }
    return NULL;
}

static void scenario_ring(void)
{
    ring_run *run = calloc(1, sizeof *run);
    run->ring = sl_ring_create(1024);
    run->per_producer = test_scaled(1000000);
    atomic_store(&run->producers_left, PRODUCERS);
    for (int i = 0; i < PRODUCERS; i++)
        run->last_seq[i] = -1;
    pthread_t c, th[PRODUCERS];
    ring_arg args[PRODUCERS];
    pthread_create(&c, NULL, ring_consume, run);
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (ring_arg){run, i};
        pthread_create(&th[i], NULL, ring_produce, &args[i]);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    pthread_join(c, NULL);
    uint64_t consumed = 0, refused = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        check(run->consumed[i] == run->pushed[i], "ring: producer %d: %lu pushed, %lu consumed", i,
              (unsigned long)run->pushed[i], (unsigned long)run->consumed[i]);
        check(run->pushed[i] + run->refused[i] == run->per_producer, "ring: producer %d lost events", i);
        consumed += run->consumed[i];
        refused += run->refused[i];
    }
    check(!run->out_of_order, "ring: out of order");
    printf("ring: %lu consumed, %lu refused (%lu slots abandoned)\n", (unsigned long)consumed, (unsigned long)refused,
           (unsigned long)run->abandoned);
    sl_ring_destroy(run->ring);
    free(run);
}

/* ---- whole pipeline ---- */

typedef struct disk_run {
    uint64_t per_producer;
    uint64_t refused[PRODUCERS];
    uint64_t written[PRODUCERS];
    int64_t last_seq[PRODUCERS];
    bool out_of_order;
    bool pace;
    _Atomic bool stop_producing;
    uint64_t produced[PRODUCERS];
} disk_run;

typedef struct disk_arg {
    disk_run *run;
    int id;
} disk_arg;

static void *disk_produce(void *p)
{
    disk_arg *a = p;
    sl_event ev;
    for (uint64_t i = 0; i < a->run->per_producer && !atomic_load(&a->run->stop_producing); i++) {
        test_event(&ev, a->id, (int64_t)i);
        a->run->produced[a->id]++;
        if (!sl_pipeline_emit(&ev)) {
            a->run->refused[a->id]++;
            if (a->run->pace && a->run->refused[a->id] % 8 == 0)
                usleep(200);
        }
    }
    return NULL;
}

static bool disk_count(void *ctx, const char *segment, size_t line_no, json_object *rec)
{
    (void)segment;
    (void)line_no;
    disk_run *run = ctx;
    int64_t id = meta_int(rec, "producer", -1), seq = meta_int(rec, "seq", -1);
    if (id < 0 || id >= PRODUCERS)
        return true;
    if (seq <= run->last_seq[id])
        run->out_of_order = true;
    run->last_seq[id] = seq;
    run->written[id]++;
    return true;
}

static void run_producers(disk_run *run, pthread_t *th, disk_arg *args)
{
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (disk_arg){run, i};
        pthread_create(&th[i], NULL, disk_produce, &args[i]);
    }
}

static void read_back(const char *dir, disk_run *run)
{
    for (int i = 0; i < PRODUCERS; i++)
        run->last_seq[i] = -1;
    sink_line_visitor v = {disk_count, run};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    check(r.invalid_lines == 0, "invalid line: %s", r.first_error);
    check(r.torn_tails == 0, "torn tail");
    check(!run->out_of_order, "written sequence numbers out of order");
}

static void scenario_disk(const char *root)
{
    sl_session_info s;
    test_session(&s, "threads-disk");
    sl_pipeline_config cfg = test_config(root, true);
    cfg.ring_capacity = 1024;
    check(sl_pipeline_start(&s, &cfg), "start");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    disk_run *run = calloc(1, sizeof *run);
    run->per_producer = test_scaled(10000);
    run->pace = true;
    pthread_t th[PRODUCERS];
    disk_arg args[PRODUCERS];
    run_producers(run, th, args);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    sl_pipeline_stop(NULL, NULL, 0);
    read_back(dir, run);
    uint64_t refused = 0, written = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        check(run->written[i] + run->refused[i] == run->per_producer, "disk: producer %d: %lu + %lu != %lu", i,
              (unsigned long)run->written[i], (unsigned long)run->refused[i], (unsigned long)run->per_producer);
        refused += run->refused[i];
        written += run->written[i];
    }
    check(sl_pipeline_dropped_total() == refused, "disk: dropped counter %lu, refused %lu",
          (unsigned long)sl_pipeline_dropped_total(), (unsigned long)refused);
    printf("disk: %lu written, %lu dropped\n", (unsigned long)written, (unsigned long)refused);
    free(run);
}

/* ---- durable ---- */

static _Atomic int durable_failures;

static void *durable_produce(void *p)
{
    int id = (int)(intptr_t)p;
    sl_event ev;
    for (int i = 0; i < 100; i++) {
        test_event(&ev, id, i);
        if (i % 10 == 9) {
            ev.type = SL_EVENT_ERROR;
            if (!sl_pipeline_emit_durable(&ev, 10000))
                atomic_fetch_add(&durable_failures, 1); /* did not wait (bounded waits) */
        } else {
            sl_pipeline_emit(&ev);
        }
    }
    return NULL;
}

static void scenario_durable(const char *root)
{
    sl_session_info s;
    test_session(&s, "threads-durable");
    sl_pipeline_config cfg = test_config(root, true);
    cfg.flush_every_events = 1000000;
    cfg.flush_every_ms = 3600000;
    check(sl_pipeline_start(&s, &cfg), "start");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, durable_produce, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    /* Waits are bounded (one per SL_DURABLE_WAIT_EVERY_NS): every emit
     * either waited and found its event synced, or did not wait at all. */
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    check(st.durable_timeouts == 0, "durable: %lu waits timed out", (unsigned long)st.durable_timeouts);
    check(st.durable_waits >= 1 && st.durable_waits + st.durable_unwaited == 40,
          "durable: %lu waited + %lu did not, of 40", (unsigned long)st.durable_waits,
          (unsigned long)st.durable_unwaited);
    check((uint64_t)atomic_load(&durable_failures) == st.durable_unwaited, "durable: false for each one unwaited");
    /* The next window: a durable emit waits, and its sync carries everything
     * the ring held before it. */
    struct timespec pause = {0, SL_DURABLE_WAIT_EVERY_NS + 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
    sl_event last;
    test_event(&last, 9, 0);
    last.type = SL_EVENT_ERROR;
    check(sl_pipeline_emit_durable(&last, 10000), "durable: the wait of a new window");
    sink_scan_result r;
    scan_sink_dir(dir, NULL, &r);
    check(r.lines == 401 && r.invalid_lines == 0, "durable: only %zu lines before stop", r.lines);
    sl_pipeline_stop(NULL, NULL, 0);
    scan_sink_dir(dir, NULL, &r);
    check(r.lines == 401 && r.invalid_lines == 0, "durable: %zu lines at the end", r.lines);
    printf("durable: 40 durable emits from 4 threads (%lu waited), all synced by the next wait\n",
           (unsigned long)st.durable_waits);
}

/* ---- dead producer ---- */

static void scenario_dead(const char *root)
{
    sl_session_info s;
    test_session(&s, "threads-dead");
    sl_pipeline_config cfg = test_config(root, true);
    cfg.ring_capacity = 64;
    check(sl_pipeline_start(&s, &cfg), "start");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    sl_ring *r = atomic_load(&sl_pipe.ring);
    uint64_t pos = atomic_load(&r->tail);
    while (!atomic_compare_exchange_weak(&r->tail, &pos, pos + 1))
        ;
    disk_run *run = calloc(1, sizeof *run);
    run->per_producer = 200;
    run->pace = true;
    pthread_t th[PRODUCERS];
    disk_arg args[PRODUCERS];
    run_producers(run, th, args);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    sl_pipeline_stop(NULL, NULL, 0);
    read_back(dir, run);
    uint64_t refused = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        check(run->written[i] + run->refused[i] == run->per_producer, "dead: producer %d", i);
        refused += run->refused[i];
    }
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    check(st.abandoned_slots == 1, "dead: %lu abandoned", (unsigned long)st.abandoned_slots);
    check(sl_pipeline_dropped_total() == refused + 1, "dead: dropped %lu, want %lu",
          (unsigned long)sl_pipeline_dropped_total(), (unsigned long)refused + 1);
    printf("dead: writer gave up on the dead slot and went on\n");
    free(run);
}

/* ---- stop while producing ---- */

static void scenario_stop(const char *root)
{
    sl_session_info s;
    test_session(&s, "threads-stop");
    sl_pipeline_config cfg = test_config(root, true);
    cfg.ring_capacity = 256;
    check(sl_pipeline_start(&s, &cfg), "start");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    disk_run *run = calloc(1, sizeof *run);
    run->per_producer = UINT64_MAX;
    pthread_t th[PRODUCERS];
    disk_arg args[PRODUCERS];
    run_producers(run, th, args);
    usleep(100000);
    sl_pipeline_stop(NULL, NULL, 0);
    usleep(20000);
    atomic_store(&run->stop_producing, true);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    read_back(dir, run);
    uint64_t produced = 0, accounted = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        produced += run->produced[i];
        accounted += run->written[i] + run->refused[i];
    }
    /* An emit that passed the running check just before the stop may land in
     * the retired ring: at most one per producer goes unaccounted. */
    check(accounted <= produced && produced - accounted <= PRODUCERS, "stop: produced %lu, accounted %lu",
          (unsigned long)produced, (unsigned long)accounted);
    printf("stop: %lu produced while stopping, %lu accounted for\n", (unsigned long)produced,
           (unsigned long)accounted);
    free(run);
}

/* ---- grow ---- */

static sl_ring *_Atomic growing_ring;
static _Atomic int grow_producers_left;
static uint64_t grow_per_producer;

static void *grow_produce(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (uint64_t i = 0; i < grow_per_producer; i++) {
        sl_event ev;
        test_event(&ev, id, (int64_t)i);
        for (int m = 0; id % 2 && m < 4; m++) /* odd producers: three-slot events */
            sl_event_meta_int(&ev, "pad", m);
        sl_ring *r = atomic_load(&growing_ring);
        uint64_t pos;
        sl_ring_push_result res;
        while ((res = sl_ring_push(r, &ev, &pos)) != SL_RING_PUSHED) {
            sl_ring *next = res == SL_RING_FULL ? sl_ring_grow(r, 65536, &growing_ring)
                                                : sl_ring_follow(r, &growing_ring);
            if (!next) { /* full at the maximum: the consumer catches up */
                sched_yield();
                r = atomic_load(&growing_ring);
                continue;
            }
            r = next;
        }
    }
    atomic_fetch_sub(&grow_producers_left, 1);
    return NULL;
}

static void scenario_grow(void)
{
    grow_per_producer = test_scaled(20000);
    sl_ring *first = sl_ring_create(2);
    atomic_store(&growing_ring, first);
    atomic_store(&grow_producers_left, PRODUCERS);
    pthread_t th[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++)
        pthread_create(&th[i], NULL, grow_produce, (void *)(intptr_t)i);
    int64_t next_seq[PRODUCERS] = {0};
    uint64_t total = 0;
    sl_ring *rings[32];
    int nrings = 0;
    sl_ring *r = first;
    rings[nrings++] = r;
    for (;;) {
        const sl_event *ev;
        sl_ring_peek_result pr = sl_ring_peek(r, &ev);
        if (pr == SL_RING_READY) {
            int p = (int)ev->meta[2].v.i; /* test_event: producer, then seq */
            int64_t seq = ev->meta[3].v.i;
            check(p >= 0 && p < PRODUCERS && seq == next_seq[p], "grow: producer %d out of order", p);
            if (p >= 0 && p < PRODUCERS)
                next_seq[p] = seq + 1;
            total++;
            sl_ring_release(r);
            continue;
        }
        if (pr == SL_RING_PENDING) {
            sched_yield();
            continue;
        }
        sl_ring *next = sl_ring_successor(r);
        if (sl_ring_sealed(r) && r->head == sl_ring_tail(r) && next && nrings < 32) {
            r = next;
            rings[nrings++] = r;
            continue;
        }
        if (atomic_load(&grow_producers_left) == 0 && !sl_ring_sealed(r) && sl_ring_peek(r, &ev) == SL_RING_EMPTY)
            break;
        sched_yield();
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    check(total == PRODUCERS * grow_per_producer, "grow: %lu of %lu events", (unsigned long)total,
          (unsigned long)(PRODUCERS * grow_per_producer));
    check(nrings > 1, "grow: it never grew");
    for (int i = 0; i < nrings; i++)
        sl_ring_destroy(rings[i]);
    printf("grow: %lu events through %d rings, in order\n", (unsigned long)total, nrings);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ring|disk|durable|dead|stop|grow\n", argv[0]);
        return 2;
    }
    char root[4096];
    tmp_dir(root, "threads");
    if (strcmp(argv[1], "ring") == 0)
        scenario_ring();
    else if (strcmp(argv[1], "disk") == 0)
        scenario_disk(root);
    else if (strcmp(argv[1], "durable") == 0)
        scenario_durable(root);
    else if (strcmp(argv[1], "dead") == 0)
        scenario_dead(root);
    else if (strcmp(argv[1], "stop") == 0)
        scenario_stop(root);
    else if (strcmp(argv[1], "grow") == 0)
        scenario_grow();
    else
        failures++;
    if (failures == 0)
        rm_rf(root);
    else
        fprintf(stderr, "left %s\n", root);
    return failures ? 1 : 0;
}
