/* The whole pipeline under many producers, and under a producer that dies
 * between claiming a slot and publishing it. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "pipeline_shared.h"
#include "sink_reader.h"

#define PRODUCERS 8

static char root[4096];
static void setup_root(void) { tmp_dir(root, "stress"); }
static void teardown_root(void) { rm_rf(root); }

typedef struct tally {
    uint64_t per_producer;
    uint64_t refused[PRODUCERS];
    uint64_t written[PRODUCERS];
    int64_t last_seq[PRODUCERS];
    bool out_of_order;
    int64_t stop_dropped;
    uint64_t lines;
} tally;

typedef struct producer_arg {
    tally *t;
    int id;
} producer_arg;

static void *produce(void *p)
{
    producer_arg *a = p;
    sl_event ev;
    for (uint64_t i = 0; i < a->t->per_producer; i++) {
        test_event(&ev, a->id, (int64_t)i);
        if (!sl_pipeline_emit(&ev)) {
            a->t->refused[a->id]++;
            /* The test's own pacing (emit itself never waits): give the
             * writer a moment so that most events take the whole path. */
            if (a->t->refused[a->id] % 8 == 0)
                usleep(200);
        }
    }
    return NULL;
}

static bool count_line(void *ctx, const char *segment, size_t line_no, json_object *rec)
{
    (void)segment;
    (void)line_no;
    tally *t = ctx;
    t->lines++;
    int64_t id = meta_int(rec, "producer", -1);
    if (id < 0) {
        t->stop_dropped = meta_int(rec, "dropped_events_total", -1);
        return true;
    }
    int64_t seq = meta_int(rec, "seq", -1);
    if (id >= PRODUCERS || seq <= t->last_seq[id])
        t->out_of_order = true;
    else
        t->last_seq[id] = seq;
    t->written[id]++;
    return true;
}

TestSuite(pipeline_stress, .init = setup_root, .fini = teardown_root, .timeout = 600);

Test(pipeline_stress, eight_producers_through_a_1024_slot_ring_to_disk)
{
    sl_session_info s;
    test_session(&s, "stress");
    sl_pipeline_config cfg = test_config(root, true);
    cfg.ring_capacity = 1024;
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());

    tally *t = calloc(1, sizeof *t);
    t->per_producer = test_scaled(10000);
    for (int i = 0; i < PRODUCERS; i++)
        t->last_seq[i] = -1;
    t->stop_dropped = -1;
    pthread_t th[PRODUCERS];
    producer_arg args[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (producer_arg){t, i};
        pthread_create(&th[i], NULL, produce, &args[i]);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    sl_event stop;
    memset(&stop, 0, sizeof stop);
    stop.device_id = -1;
    stop.type = SL_EVENT_STOP;
    stop.timestamp_ns = 1700000000999999999;
    sl_pipeline_stop(&stop, NULL, 0);

    sink_line_visitor v = {count_line, t};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_assert_eq(r.torn_tails, 0);
    cr_assert_not(t->out_of_order, "per producer, written sequence numbers increase (no duplicates)");
    uint64_t written = 0, refused = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        cr_assert_eq(t->written[i] + t->refused[i], t->per_producer, "producer %d: written + dropped == produced", i);
        written += t->written[i];
        refused += t->refused[i];
    }
    cr_assert_eq(sl_pipeline_dropped_total(), refused);
    cr_assert_eq(sl_pipeline_dropped_device(0), refused);
    cr_assert_eq(t->stop_dropped, (int64_t)refused, "the stop event reports every drop");
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    cr_assert_eq(st.written, written + 1);
    cr_log_info("pipeline stress: %lu written, %lu dropped, %lu flushes", (unsigned long)written,
                (unsigned long)refused, (unsigned long)st.flushes);
    free(t);
}

/* What a producer that dies mid-emit leaves: a claimed, never published slot. */
static void claim_and_vanish(void)
{
    sl_ring *r = atomic_load(&sl_pipe.ring);
    uint64_t pos = atomic_load(&r->tail);
    while (!atomic_compare_exchange_weak(&r->tail, &pos, pos + 1))
        ;
}

Test(pipeline_stress, a_producer_dead_mid_emit_hangs_neither_the_writer_nor_the_exit)
{
    sl_session_info s;
    test_session(&s, "dead-producer");
    sl_pipeline_config cfg = test_config(root, true);
    cfg.ring_capacity = 64;
    cfg.flush_every_events = 1;
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    sl_event ev;
    test_event(&ev, 0, 0);
    cr_assert(sl_pipeline_emit(&ev));
    claim_and_vanish();
    uint64_t accepted = 1;
    for (int i = 1; i < 200; i++) {
        test_event(&ev, 0, i);
        accepted += sl_pipeline_emit(&ev);
        if (i % 16 == 0)
            usleep(20000);
    }
    /* and one more at the very end, so shutdown meets it too */
    claim_and_vanish();
    sl_pipeline_stop(NULL, NULL, 0);

    sink_scan_result r;
    scan_sink_dir(dir, NULL, &r);
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_assert_eq(r.lines, accepted, "everything published after the dead slot is written");
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    cr_assert_eq(st.abandoned_slots, 2);
    cr_assert_eq(sl_pipeline_dropped_total(), 2 + (200 - accepted), "the lost events are counted");
    json_object *m = read_manifest(dir);
    json_object *sessions;
    json_object_object_get_ex(m, "sessions", &sessions);
    json_object *status;
    json_object_object_get_ex(json_object_array_get_idx(sessions, 0), "status", &status);
    cr_assert_str_eq(json_object_get_string(status), "completed");
    json_object_put(m);
}
