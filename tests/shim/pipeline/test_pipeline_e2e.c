/* The pipeline as the hooks use it: start, emit, durable emit, stop, and
 * what lands on disk. Each Criterion test runs in its own process, so each
 * gets a fresh pipeline. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline.h"
#include "sink_reader.h"

static char root[4096];

static void setup_root(void)
{
    tmp_dir(root, "e2e");
}
static void teardown_root(void)
{
    rm_rf(root);
}

typedef struct collected {
    size_t count;
    int64_t last_seq;
    bool in_order;
    json_object *last;
    size_t with_dropped;
    int64_t max_dropped;
} collected;

static bool collect(void *ctx, const char *segment, size_t line_no, json_object *rec)
{
    (void)segment;
    (void)line_no;
    collected *c = ctx;
    int64_t seq = meta_int(rec, "seq", -1);
    if (seq >= 0) {
        if (seq <= c->last_seq)
            c->in_order = false;
        c->last_seq = seq;
    }
    int64_t d = meta_int(rec, "dropped_events_total", -1);
    if (d >= 0) {
        c->with_dropped++;
        if (d > c->max_dropped)
            c->max_dropped = d;
    }
    if (c->last)
        json_object_put(c->last);
    c->last = json_object_get(rec);
    c->count++;
    return true;
}

static const char *str_member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

TestSuite(pipeline_e2e, .init = setup_root, .fini = teardown_root, .timeout = 60);

Test(pipeline_e2e, records_events_and_closes_the_session)
{
    sl_session_info s;
    test_session(&s, "e2e-basic");
    sl_pipeline_config cfg = test_config(root, false);
    cr_assert(sl_pipeline_start(&s, &cfg));
    cr_assert(sl_pipeline_running());
    const char *dir_in_use = sl_pipeline_sink_dir();
    cr_assert_not_null(dir_in_use);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", dir_in_use);

    sl_event ev;
    for (int i = 0; i < 120; i++) {
        test_event(&ev, 0, i);
        errno = 4242;
        cr_assert(sl_pipeline_emit(&ev));
        cr_assert_eq(errno, 4242, "emit must leave errno alone");
    }
    sl_event stop;
    memset(&stop, 0, sizeof stop);
    stop.timestamp_ns = 1700000000000001000;
    stop.device_id = -1;
    stop.type = SL_EVENT_STOP;
    sl_event_meta_int(&stop, "live_bytes", 0);
    sl_member extra[1] = {sl_member_of("peak_bytes", sl_value_int(123))};
    errno = 77;
    sl_pipeline_stop(&stop, extra, 1);
    cr_assert_eq(errno, 77);
    cr_assert_not(sl_pipeline_running());

    collected c = {.last_seq = -1, .in_order = true};
    sink_line_visitor v = {collect, &c};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_assert_eq(r.torn_tails, 0);
    cr_assert_eq(c.count, 121);
    cr_assert(c.in_order);
    cr_assert_str_eq(str_member(c.last, "event_type"), "stop");
    cr_assert_eq(meta_int(c.last, "peak_bytes", -1), 123);
    cr_assert_eq(meta_int(c.last, "live_bytes", -1), 0);
    cr_assert_eq(meta_int(c.last, "dropped_events_total", -1), 0);
    json_object_put(c.last);

    json_object *m = read_manifest(dir);
    cr_assert_not_null(m);
    json_object *sessions, *segments;
    cr_assert(json_object_object_get_ex(m, "sessions", &sessions));
    cr_assert(json_object_object_get_ex(m, "segments", &segments));
    cr_assert_eq(json_object_array_length(sessions), 1);
    json_object *ses = json_object_array_get_idx(sessions, 0);
    cr_assert_str_eq(str_member(ses, "session_id"), "e2e-basic");
    cr_assert_str_eq(str_member(ses, "status"), "completed");
    cr_assert_str_eq(str_member(ses, "source"), "stormlog.cuda_shim");
    json_object *ended;
    cr_assert(json_object_object_get_ex(ses, "ended_at_ns", &ended));
    cr_assert_eq(json_object_get_type(ended), json_type_int);
    cr_assert_eq(json_object_array_length(segments), 1);
    json_object *seg = json_object_array_get_idx(segments, 0);
    cr_assert_str_eq(str_member(seg, "filename"), "segment-000001.jsonl");
    json_object *count, *closed;
    json_object_object_get_ex(seg, "event_count", &count);
    json_object_object_get_ex(seg, "closed", &closed);
    cr_assert_eq(json_object_get_int64(count), 121);
    cr_assert(json_object_get_boolean(closed));
    json_object_put(m);
}

Test(pipeline_e2e, a_full_ring_drops_counts_and_reports)
{
    sl_session_info s;
    test_session(&s, "e2e-drops");
    sl_pipeline_config cfg = test_config(root, false);
    cfg.ring_capacity = SL_RING_CAPACITY_MIN;
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());

    sl_event ev;
    uint64_t produced = 0, refused = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 200; i++) {
            test_event(&ev, 0, (int64_t)produced++);
            ev.device_id = 3;
            if (!sl_pipeline_emit(&ev))
                refused++;
        }
        usleep(2000);
    }
    cr_assert_gt(refused, 0, "an 8-slot ring fed 200 events at once must drop some");
    cr_assert_eq(sl_pipeline_dropped_total(), refused);
    cr_assert_eq(sl_pipeline_dropped_device(3), refused);
    cr_assert_eq(sl_pipeline_dropped_device(0), 0);

    sl_event stop;
    memset(&stop, 0, sizeof stop);
    stop.device_id = -1;
    stop.type = SL_EVENT_STOP;
    stop.timestamp_ns = 1700000000000009999;
    sl_pipeline_stop(&stop, NULL, 0);

    collected c = {.last_seq = -1, .in_order = true};
    sink_line_visitor v = {collect, &c};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_assert(c.in_order);
    cr_assert_eq(c.count - 1 + refused, produced, "written + dropped == produced");
    cr_assert_gt(c.with_dropped, 1, "drops are reported in a later event and in the stop event");
    cr_assert_eq(meta_int(c.last, "dropped_events_total", -1), (int64_t)refused);
    json_object_put(c.last);
}

Test(pipeline_e2e, durable_emit_returns_after_the_line_is_on_disk)
{
    sl_session_info s;
    test_session(&s, "e2e-durable");
    sl_pipeline_config cfg = test_config(root, false);
    cfg.flush_every_events = 1000000; /* only the durable path flushes */
    cfg.flush_every_ms = 3600000;
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());

    sl_event ev;
    for (int i = 0; i < 10; i++) {
        test_event(&ev, 0, i);
        cr_assert(sl_pipeline_emit(&ev));
    }
    test_event(&ev, 0, 10);
    ev.type = SL_EVENT_ERROR;
    sl_event_meta_str(&ev, "reason", "out_of_memory");
    errno = 12;
    cr_assert(sl_pipeline_emit_durable(&ev, 5000));
    cr_assert_eq(errno, 12);

    /* Without a stop: what is on disk now is what a crash would leave. */
    collected c = {.last_seq = -1, .in_order = true};
    sink_line_visitor v = {collect, &c};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_assert_eq(c.count, 11);
    cr_assert_str_eq(str_member(c.last, "event_type"), "error");
    json_object_put(c.last);
    sl_pipeline_stop(NULL, NULL, 0);
}

Test(pipeline_e2e, time_based_flush_writes_a_trickle)
{
    sl_session_info s;
    test_session(&s, "e2e-trickle");
    sl_pipeline_config cfg = test_config(root, false);
    cfg.flush_every_ms = 100;
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    sl_event ev;
    for (int i = 0; i < 3; i++) {
        test_event(&ev, 0, i);
        cr_assert(sl_pipeline_emit(&ev));
    }
    sink_scan_result r = {0};
    for (int i = 0; i < 100 && r.lines < 3; i++) {
        usleep(20000);
        scan_sink_dir(dir, NULL, &r);
    }
    cr_assert_eq(r.lines, 3, "3 events (fewer than flush_every_events) are flushed by the timer");
    sl_pipeline_stop(NULL, NULL, 0);
}

Test(pipeline_e2e, emits_before_start_and_after_stop_are_counted_drops)
{
    sl_event ev;
    test_event(&ev, 0, 0);
    ev.device_id = -1;
    cr_assert_not(sl_pipeline_emit(&ev));
    cr_assert_eq(sl_pipeline_dropped_device(-1), 1);
    sl_pipeline_stop(NULL, NULL, 0); /* never started: a no-op */
    cr_assert_null(sl_pipeline_sink_dir());
}

Test(pipeline_e2e, a_fork_child_records_its_own_session_in_its_own_directory)
{
    sl_session_info s;
    test_session(&s, "e2e-parent");
    sl_pipeline_config cfg = test_config(root, false);
    cr_assert(sl_pipeline_start(&s, &cfg));
    char parent_dir[4096];
    snprintf(parent_dir, sizeof parent_dir, "%s", sl_pipeline_sink_dir());
    sl_event ev;
    for (int i = 0; i < 50; i++) {
        test_event(&ev, 0, i);
        if (i < 49)
            sl_pipeline_emit(&ev);
        else
            cr_assert(sl_pipeline_emit_durable(&ev, 60000));
    }
    /* Let the writer finish its flush and go back to sleep before forking:
     * under ASan (gcc 12) a child forked while another thread is inside
     * malloc can wait for ever on the sanitizer allocator's lock, which
     * glibc's malloc would have taken around the fork. */
    struct timespec settle = {0, 100 * 1000 * 1000};
    nanosleep(&settle, NULL);
    sl_pipeline_atfork_prepare();
    pid_t pid = fork();
    if (pid == 0) {
        sl_pipeline_atfork_child();
        int rc = 0;
        if (sl_pipeline_running())
            rc = 10;
        sl_session_info cs;
        test_session(&cs, "e2e-child");
        if (rc == 0 && !sl_pipeline_start(&cs, &cfg))
            rc = 11;
        if (rc == 0 && strcmp(sl_pipeline_sink_dir(), parent_dir) == 0)
            rc = 12;
        for (int i = 0; rc == 0 && i < 30; i++) {
            test_event(&ev, 1, i);
            if (!sl_pipeline_emit(&ev))
                rc = 13;
        }
        sl_pipeline_stop(NULL, NULL, 0);
        _exit(rc);
    }
    sl_pipeline_atfork_parent();
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0, "child step %d failed", WEXITSTATUS(status));
    for (int i = 50; i < 80; i++) {
        test_event(&ev, 0, i);
        sl_pipeline_emit(&ev);
    }
    sl_pipeline_stop(NULL, NULL, 0);

    sink_scan_result r;
    scan_sink_dir(parent_dir, NULL, &r);
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_assert_eq(r.lines, 80);
    char child_dir[8192];
    snprintf(child_dir, sizeof child_dir, "%s/local/rank-00000-testhost-%d", root, (int)pid);
    scan_sink_dir(child_dir, NULL, &r);
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_assert_eq(r.lines, 30);
}
