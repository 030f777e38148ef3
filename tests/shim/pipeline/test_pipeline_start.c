/* The session's start is the writer's work, not the program's: the first
 * emit returns while the writer is still starting (held here by the test
 * hook, as long as the test likes: an ordering check, not a timing), and its
 * event still reaches the disk once the writer is up. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "futex.h"
#include "sink_reader.h"
#include "writer_start.h"

static char root[4096];
static void setup_root(void) { tmp_dir(root, "start"); }
static void teardown_root(void) { rm_rf(root); }

TestSuite(start, .init = setup_root, .fini = teardown_root, .timeout = 60);

static _Atomic uint32_t writer_in_hook; /* the writer reached its start-up */
static _Atomic uint32_t release_writer; /* the test lets it go on */

static void hold_writer(void)
{
    atomic_store(&writer_in_hook, 1);
    sl_futex_wake(&writer_in_hook, 1);
    while (!atomic_load(&release_writer))
        sl_futex_wait(&release_writer, 0, -1);
}

static bool count_line(void *ctx, const char *segment, size_t line_no, json_object *record)
{
    (void)segment;
    (void)line_no;
    (void)record;
    ++*(size_t *)ctx;
    return true;
}

Test(start, the_first_emit_returns_before_the_writer_is_up_and_still_reaches_the_disk)
{
    sl_writer_start_test_hook = hold_writer;
    sl_session_info s;
    test_session(&s, "held-start");
    sl_pipeline_config cfg = test_config(root, true);
    cr_assert(sl_pipeline_start(&s, &cfg));
    sl_event ev;
    test_event(&ev, 0, 0);
    cr_assert(sl_pipeline_emit(&ev), "accepted into the ring");
    test_event(&ev, 0, 1);
    cr_assert(sl_pipeline_emit(&ev));

    /* Both calls returned; the writer has not opened anything yet. */
    while (!atomic_load(&writer_in_hook))
        sl_futex_wait(&writer_in_hook, 0, -1);
    char job[4200];
    snprintf(job, sizeof job, "%s/local", root);
    struct stat st;
    cr_assert_neq(stat(job, &st), 0, "no directory before the writer's start-up");
    cr_assert_eq(atomic_load(&release_writer), 0, "the writer is still held");

    atomic_store(&release_writer, 1);
    sl_futex_wake(&release_writer, 1);
    const char *dir_p = sl_pipeline_sink_dir();
    cr_assert_not_null(dir_p);
    char dir[4400];
    snprintf(dir, sizeof dir, "%s", dir_p);
    sl_pipeline_stop(NULL, NULL, 0);

    size_t lines = 0;
    sink_line_visitor v = {count_line, &lines};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    cr_expect_eq(r.invalid_lines, 0, "%s", r.first_error);
    cr_expect_eq(lines, 2, "both events emitted before the writer was up are on disk");
    cr_expect_eq(sl_pipeline_dropped_total(), 0);
}
