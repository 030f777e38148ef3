/* A segment that disappears between the listing and its opening (a live
 * writer's retention pruned it) is skipped and counted, never an error:
 * for stormlog_load (sequential and segment-parallel), the stream and
 * stormlog_check (a warning there). The window is made deterministic: the
 * stream opens segments lazily; stormlog_load and stormlog_check call a
 * test hook after planning. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "stormlog/loader.h"
#include "tmpdir.h"

static void cleanup(void)
{
    sl_test_after_plan = NULL;
    tmp_cleanup();
}
TestSuite(vanished, .fini = cleanup);

/* sink/segment-00000{1,2,3}.jsonl, 4 events each; returns the sink's path. */
static char *three_segments(void)
{
    for (int s = 1; s <= 3; s++) {
        char rel[64], text[8192];
        size_t len = 0;
        for (int i = 0; i < 4; i++) {
            char *l = v3_line("S", s * 100 + i, "sample");
            len += (size_t)snprintf(text + len, sizeof text - len, "%s", l);
            free(l);
        }
        snprintf(rel, sizeof rel, "sink/segment-%06d.jsonl", s);
        free(tmp_write(rel, text, len));
    }
    return tmp_path("sink");
}

static void remove_second(void)
{
    char *p = tmp_path("sink/segment-000002.jsonl");
    cr_assert_eq(unlink(p), 0);
    free(p);
}

static void remove_second_after_plan(const sl_plan *plan)
{
    cr_assert_eq(plan->segment_count, 3, "the plan lists all three before the removal");
    remove_second();
}

static void load_skips_it(unsigned threads)
{
    char *path = three_segments();
    sl_test_after_plan = remove_second_after_plan;
    stormlog_options *opts = stormlog_options_new();
    stormlog_options_set_threads(opts, threads);
    stormlog_recording *rec = NULL;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, opts, &rec, &err), STORMLOG_OK, "%s",
                 err ? stormlog_error_message(err) : "");
    cr_expect_eq(stormlog_recording_event_count(rec), 8);
    cr_expect_eq(stormlog_recording_vanished_segment_count(rec), 1);
    cr_assert_eq(stormlog_recording_warning_count(rec), 1);
    cr_expect(strstr(stormlog_recording_warning(rec, 0), "segment-000002.jsonl: it disappeared") != NULL, "%s",
              stormlog_recording_warning(rec, 0));
    stormlog_recording_free(rec);
    stormlog_options_free(opts);
    free(path);
}

Test(vanished, load_skips_and_counts_it)
{
    load_skips_it(1);
}

Test(vanished, parallel_load_skips_and_counts_it)
{
    load_skips_it(4);
}

Test(vanished, stream_skips_and_counts_it)
{
    char *path = three_segments();
    stormlog_stream *st;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_stream_open(path, NULL, &st, &err), STORMLOG_OK);
    remove_second();
    const stormlog_event *ev;
    int n = 0, rc;
    while ((rc = stormlog_stream_next(st, &ev, &err)) == 1)
        n++;
    cr_expect_eq(rc, 0, "%s", err ? stormlog_error_message(err) : "");
    cr_expect_eq(n, 8);
    cr_expect_eq(stormlog_stream_vanished_segment_count(st), 1);
    cr_assert_eq(stormlog_stream_warning_count(st), 1);
    cr_expect(strstr(stormlog_stream_warning(st, 0), "segment-000002.jsonl: it disappeared") != NULL);
    stormlog_stream_close(st);
    stormlog_error_free(err);
    free(path);
}

/* A file named as the input itself is not a segment that vanished: it fails. */
Test(vanished, a_missing_input_file_is_still_an_error)
{
    char *path = three_segments();
    char *seg = tmp_path("sink/segment-000002.jsonl");
    stormlog_stream *st;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_stream_open(seg, NULL, &st, &err), STORMLOG_OK);
    remove_second();
    const stormlog_event *ev;
    cr_expect_eq(stormlog_stream_next(st, &ev, &err), -1);
    cr_expect_eq(stormlog_error_code(err), STORMLOG_E_IO);
    stormlog_stream_close(st);
    stormlog_error_free(err);
    free(seg);
    free(path);
}

typedef struct seen {
    int warnings, errors;
    char kind[64];
} seen;

static void count(void *ctx, const stormlog_finding *f)
{
    seen *s = ctx;
    if (f->severity == STORMLOG_FINDING_WARNING) {
        s->warnings++;
        snprintf(s->kind, sizeof s->kind, "%s", f->kind);
    } else {
        s->errors++;
    }
}

Test(vanished, check_reports_it_as_a_warning)
{
    char *path = three_segments();
    sl_test_after_plan = remove_second_after_plan;
    seen s = {0};
    uint64_t events = 0;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_check(path, NULL, count, &s, &events, &err), STORMLOG_OK);
    cr_expect_eq(events, 8);
    cr_expect_eq(s.errors, 0);
    cr_expect_eq(s.warnings, 1);
    cr_expect_str_eq(s.kind, "vanished-segment");
    free(path);
}
