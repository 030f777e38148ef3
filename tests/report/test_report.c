/* stormlog-inspect report, run as a user runs it on recordings written by
 * fixture.c. The page is checked for what a reader must find in it (the
 * peak, the OOM, the phases, the tables with exact byte counts in their
 * title attributes) and for what it must never contain (scripts, fetches,
 * unescaped input). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "run_tool.h"

TestSuite(report, .fini = scratch_cleanup);

static char *path_in_scratch(const char *rel)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/%s", scratch_dir(), rel) > 0);
    return p;
}

/* Runs `report IN -o OUT [extra...]`; returns the exit status. */
static int report(const char *in, const char *out, const char *extra1, const char *extra2)
{
    char *err = path_in_scratch("stderr.txt");
    const char *argv[] = {inspect_path(), "report", in, "-o", out, extra1, extra2, NULL};
    int rc = run_tool(argv, NULL, err);
    free(err);
    return rc;
}

static char *report_text(const char *in, const char *extra1, const char *extra2)
{
    char *out = path_in_scratch("report.html");
    cr_assert_eq(report(in, out, extra1, extra2), 0, "report exited non-zero");
    char *html = slurp(out, NULL);
    cr_assert_not_null(html);
    free(out);
    return html;
}

static char *write_single(fixture_opts *o, fixture_truth *t, const char *name)
{
    char *dir = path_in_scratch(name);
    cr_assert(fixture_write_sink(dir, o, t));
    return dir;
}

static void assert_self_contained(const char *html)
{
    /* Nothing runs and nothing is fetched: no script, no external resource. */
    static const char *const banned[] = {"<script", "src=", "href=", "url(", "@import", "http://", "https://",
                                         "<link", "<iframe", "<img"};
    for (size_t i = 0; i < sizeof banned / sizeof *banned; i++)
        cr_assert_null(strstr(html, banned[i]), "the report contains %s", banned[i]);
}

/* Copies the value of attribute `name` in the first tag starting with
 * `tag_prefix` at or after `from`. */
static char *attr_after(const char *from, const char *tag_prefix, const char *name)
{
    const char *tag = strstr(from, tag_prefix);
    cr_assert_not_null(tag, "no %s", tag_prefix);
    const char *end = strchr(tag, '>');
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *at = strstr(tag, key);
    cr_assert(at && at < end, "no %s in %s", name, tag_prefix);
    at += strlen(key);
    return strndup(at, (size_t)(strchr(at, '"') - at));
}

/* Lowest y (the highest value) an SVG path made of M/H/V commands reaches,
 * and how many commands it has. */
static double path_min_y(const char *d, size_t *commands)
{
    double min_y = INFINITY;
    *commands = 0;
    const char *p = d;
    while (*p) {
        char c = *p++;
        char *end;
        if (c == 'M') {
            strtod(p, &end);
            double y = strtod(end, &end);
            min_y = fmin(min_y, y);
            p = end;
        } else if (c == 'V') {
            min_y = fmin(min_y, strtod(p, &end));
            p = end;
        } else if (c == 'H') {
            strtod(p, &end);
            p = end;
        } else {
            cr_assert_fail("unexpected path command %c", c);
        }
        (*commands)++;
    }
    return min_y;
}

Test(report, single_session_has_curves_peak_oom_phases_and_tables)
{
    fixture_opts o = fixture_defaults();
    fixture_truth t;
    char *dir = write_single(&o, &t, "single");
    char *html = report_text(dir, NULL, NULL);
    assert_self_contained(html);
    cr_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    /* One chart per device (GPU 0 and pinned host memory), each with its
     * allocated and reserved lines and its peak. */
    cr_assert_eq(count_of(html, "<svg class=\"chart\""), 2);
    cr_assert_eq(count_of(html, "<path class=\"alloc\""), 2);
    cr_assert_eq(count_of(html, "<path class=\"reserved\""), 2);
    cr_assert_eq(count_of(html, "<g class=\"peak\">"), 2);
    cr_assert_not_null(strstr(html, "peak 3.78 GiB at +"), "the device 0 peak is labelled");
    /* The OOM: one marker on device 0 (recovered: the program allocated
     * again), and its row in the table with the exact size asked for, the
     * runtime's code by number and name, and its outcome. */
    cr_assert_eq(count_of(html, "<g class=\"oom oom-recovered\">"), 1);
    cr_assert_eq(count_of(html, "<g class=\"oom\">"), 0);
    cr_assert_not_null(strstr(html, "OOM on device 0: cudaMalloc asked for 80.0 GiB, error 2 cudaErrorMemoryAllocation"));
    cr_assert_not_null(strstr(html, "<td>2 cudaErrorMemoryAllocation</td>"));
    cr_assert_not_null(strstr(html, "<td>recovered</td><td>train/step/backward</td>"));
    /* Every mark has its own legend entry; the words PyTorch users read. */
    cr_assert_not_null(strstr(html, "<i class=\"lo\"></i>OOM, last"));
    cr_assert_not_null(strstr(html, "<i class=\"lor\"></i>OOM, recovered"));
    cr_assert_not_null(strstr(html, "<i class=\"lf\"></i>failed allocation"));
    cr_assert_not_null(strstr(html, "memory held from the GPU runtime (PyTorch calls this &quot;reserved&quot;"));
    char requested[64];
    snprintf(requested, sizeof requested, "title=\"%lld bytes\"", (long long)t.oom_requested);
    cr_assert_not_null(strstr(html, requested));
    cr_assert_not_null(strstr(html, "<td>out of memory</td>"));
    /* Phase bands from the phase events, by path. */
    cr_assert_not_null(strstr(html, "<g class=\"phase\"><title>train ("));
    cr_assert_not_null(strstr(html, "<g class=\"phase\"><title>train/step/forward ("));
    cr_assert_not_null(strstr(html, "<g class=\"phase\"><title>train/step/backward ("));
    /* Tables. */
    const char *at_peak = strstr(html, "Largest live allocations at the peak");
    cr_assert_not_null(at_peak);
    char spike[64];
    snprintf(spike, sizeof spike, "title=\"%lld bytes\"", (long long)o.spike_bytes);
    const char *spike_row = strstr(at_peak, spike);
    cr_assert_not_null(spike_row, "the spike is the largest live allocation at the peak");
    cr_assert(strncmp(strstr(spike_row, "<td>"), "<td>cudaMalloc</td><td>train/step/forward</td>", 46) == 0,
              "API and phase of the spike");
    char live[64];
    snprintf(live, sizeof live, "%zu allocations live, 3.78 GiB", t.live_at_peak);
    cr_assert_not_null(strstr(at_peak, live), "expected \"%s\"", live);
    const char *leaks = strstr(html, "<h4>Leaks at exit</h4>");
    cr_assert_not_null(leaks);
    char leak_line[64];
    snprintf(leak_line, sizeof leak_line, "%zu allocations, 768 MiB", t.leak_count);
    cr_assert_not_null(strstr(leaks, leak_line), "expected \"%s\"", leak_line);
    snprintf(leak_line, sizeof leak_line, "title=\"%lld bytes\"", (long long)t.largest_leak);
    cr_assert_not_null(strstr(leaks, leak_line));
    cr_assert_not_null(strstr(html, "Failed allocations and errors"));
    free(html);
    free(dir);
}

Test(report, downsampling_keeps_a_one_event_spike)
{
    /* Many thousands of events per pixel column, and one event at the peak:
     * the drawn line must still reach it, and the page must not grow with
     * the number of events. */
    fixture_opts o = fixture_defaults();
    const char *divisor = getenv("STORMLOG_REPORT_DIVISOR");
    long div = divisor ? atol(divisor) : 1;
    o.steps = (size_t)(20000 / (div > 0 ? div : 1));
    o.spike_step = o.steps / 2;
    o.oom = false;
    fixture_truth t;
    char *dir = write_single(&o, &t, "big");
    char *out = path_in_scratch("big.html");
    cr_assert_eq(report(dir, out, NULL, NULL), 0);
    size_t size;
    char *html = slurp(out, &size);
    cr_assert_not_null(html);
    cr_assert_gt(t.events, 100000 / (size_t)(div > 0 ? div : 1));
    cr_assert_lt(size, 200000, "a %zu-event session gave %zu bytes", t.events, size);
    /* GPU 0's chart comes first: its allocated path and its peak marker. */
    char *d = attr_after(html, "<path class=\"alloc\"", "d");
    const char *peak = strstr(html, "<g class=\"peak\">");
    cr_assert_not_null(peak);
    char *cy = attr_after(peak, "<circle", "cy");
    size_t commands;
    double min_y = path_min_y(d, &commands);
    cr_assert_float_eq(min_y, strtod(cy, NULL), 0.051, "the line reaches the peak marker");
    /* 900 columns, at most a move, 3 strokes and a run per column. */
    cr_assert_leq(commands, 4 * 900 + 2);
    /* The peak label is the spike's height, not an average. */
    cr_assert_not_null(strstr(html, "peak 3.78 GiB at +"));
    free(d);
    free(cy);
    free(html);
    free(out);
    free(dir);
}

Test(report, an_oom_with_nothing_allocated_after_it_is_the_last)
{
    fixture_opts o = fixture_defaults();
    o.spike_step = o.steps - 2; /* the OOM in the last step, after its allocations */
    fixture_truth t;
    char *dir = write_single(&o, &t, "last");
    char *html = report_text(dir, NULL, NULL);
    cr_assert_eq(count_of(html, "<g class=\"oom\">"), 1);
    cr_assert_eq(count_of(html, "<g class=\"oom oom-recovered\">"), 0);
    cr_assert_not_null(strstr(html, "; last (nothing allocated on the device after it)"));
    cr_assert_not_null(strstr(html, "<td>last</td>"));
    free(html);
    free(dir);
}

Test(report, job_overview_shows_every_devices_ooms)
{
    char *dir = path_in_scratch("jobdev");
    fixture_truth t[4];
    /* Rank 1's OOM is on device 1, while its row draws device 0. */
    cr_assert(fixture_write_job_oom(dir, 4, 2, 1, 12, t));
    char *html = report_text(dir, NULL, NULL);
    const char *rank1 = strstr(html, "aria-label=\"rank 1, device 0, peak ");
    cr_assert_not_null(rank1);
    const char *end = strstr(rank1, "</svg>");
    const char *mark = strstr(rank1, "<g class=\"oom");
    cr_assert(mark && mark < end, "rank 1's OOM on device 1 is marked in the overview");
    cr_assert_not_null(strstr(rank1, "; 1 OOM, 1 failed allocation (device 1)"));
    /* The label is drawn after the markers, with a halo: never overdrawn. */
    const char *label = strstr(rank1, "<text class=\"ranklabel\"");
    cr_assert(label && label > mark && label < end, "the rank label comes after the markers");
    cr_assert_not_null(strstr(html, "svg .ranklabel{paint-order:stroke;stroke:#fff"));
    /* The overview's legend names every mark. */
    const char *legend = strstr(html, "<p class=\"legend\"><i class=\"la\"></i>each rank");
    cr_assert_not_null(legend);
    cr_assert(strstr(legend, "<i class=\"lo\"></i>OOM, last") < strstr(legend, "</p>"));
    /* The cross-rank table counts the OOMs of every device. */
    const char *table = strstr(html, "Cross-rank peaks");
    const char *row1 = strstr(table, "<tr><td class=\"n\">1</td>");
    cr_assert_not_null(row1);
    cr_assert_not_null(strstr(row1, "<td class=\"n\">1</td><td class=\"n\">1</td><td></td></tr>"));
    free(html);
    free(dir);
}

Test(report, job_has_rank_charts_and_the_cross_rank_table)
{
    char *dir = path_in_scratch("job");
    fixture_truth t[4];
    cr_assert(fixture_write_job(dir, 4, 2, 12, t));
    char *html = report_text(dir, NULL, NULL);
    assert_self_contained(html);
    cr_assert_not_null(strstr(html, "<h2>Job job-77</h2>"));
    cr_assert_eq(count_of(html, "aria-label=\"rank "), 4, "one small chart per rank");
    cr_assert_not_null(strstr(html, "aria-label=\"rank 2, device 0, peak 3.56 GiB, highest, furthest from median; 1 OOM, "
                                    "1 failed allocation (device 0)\""));
    cr_assert_eq(count_of(html, "<path class=\"rankhot\""), 1, "the diverging rank stands out");
    const char *table = strstr(html, "Cross-rank peaks");
    cr_assert_not_null(table);
    const char *row2 = strstr(table, "<tr class=\"mark\"><td class=\"n\">2</td>");
    cr_assert_not_null(row2, "rank 2 is the marked row");
    cr_assert_not_null(strstr(row2, "highest peak, furthest from median"));
    /* Every rank's session is drawn in full, in rank order. */
    const char *prev = html;
    for (int r = 0; r < 4; r++) {
        char h[64];
        snprintf(h, sizeof h, "<h2>Session <code>sess-rank-%d</code>", r);
        const char *at = strstr(html, h);
        cr_assert(at && at > prev, "session of rank %d in order", r);
        prev = at;
    }
    free(html);
    free(dir);
}

Test(report, many_ranks_draw_the_notable_ones_and_list_the_rest)
{
    char *dir = path_in_scratch("job10");
    fixture_truth t[10];
    cr_assert(fixture_write_job(dir, 10, 7, 3, t));
    char *html = report_text(dir, NULL, NULL);
    cr_assert_eq(count_of(html, "aria-label=\"rank "), 10);
    cr_assert_not_null(strstr(html, "<h2>Session <code>sess-rank-7</code>"), "the hot rank is drawn");
    cr_assert_not_null(strstr(html, "<h2>Other sessions</h2>"));
    cr_assert_null(strstr(html, "<h2>Session <code>sess-rank-3</code>"));
    free(html);
    html = report_text(dir, "--all-sessions", NULL);
    cr_assert_null(strstr(html, "<h2>Other sessions</h2>"));
    cr_assert_eq(count_of(html, "<h2>Session <code>"), 10);
    free(html);
    free(dir);
}

Test(report, one_session_of_a_job)
{
    char *dir = path_in_scratch("job");
    fixture_truth t[3];
    cr_assert(fixture_write_job(dir, 3, 1, 4, t));
    char *html = report_text(dir, "--session", "sess-rank-1");
    cr_assert_eq(count_of(html, "<h2>Session <code>"), 1);
    cr_assert_not_null(strstr(html, "<h2>Session <code>sess-rank-1</code>"));
    cr_assert_null(strstr(html, "<h2>Job "), "one session is not a job view");
    free(html);
    free(dir);
}

Test(report, recording_text_is_escaped)
{
    fixture_opts o = fixture_defaults();
    o.host = "<script>alert(1)</script>&amp";
    o.session_id = "s<b>1";
    fixture_truth t;
    char *dir = write_single(&o, &t, "hostile");
    char *html = report_text(dir, NULL, NULL);
    assert_self_contained(html);
    cr_assert_not_null(strstr(html, "host &lt;script&gt;alert(1)&lt;/script&gt;&amp;amp,"));
    cr_assert_not_null(strstr(html, "s&lt;b&gt;1"));
    cr_assert_null(strstr(html, "<b>"));
    free(html);
    free(dir);
}

Test(report, events_without_pointers_get_curves_and_say_why_no_tables)
{
    /* A Python collector's record: counters, no pointer in metadata. */
    char *file = path_in_scratch("python.jsonl");
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 5; i++)
        fprintf(f,
                "{\"schema_version\":3,\"session_id\":\"py\",\"timestamp_ns\":%d000,\"event_type\":\"allocation\","
                "\"collector\":\"stormlog.pytorch\",\"sampling_interval_ms\":0,\"pid\":1,\"host\":\"h\","
                "\"device_id\":0,\"allocator_allocated_bytes\":%d,\"allocator_reserved_bytes\":%d,"
                "\"allocator_active_bytes\":null,\"allocator_inactive_bytes\":null,\"allocator_change_bytes\":1024,"
                "\"device_used_bytes\":0,\"device_free_bytes\":null,\"device_total_bytes\":null,\"context\":null,"
                "\"metadata\":{}}\n",
                i + 1, (i + 1) * 1024, (i + 1) * 2048);
    cr_assert_eq(fclose(f), 0);
    char *html = report_text(file, NULL, NULL);
    cr_assert_eq(count_of(html, "<path class=\"alloc\""), 1);
    cr_assert_not_null(strstr(html, "carry no pointer"));
    cr_assert_not_null(strstr(html, "peak 5.00 KiB at +4.0 us"));
    free(html);
    free(file);
}

Test(report, usage_and_failures)
{
    fixture_opts o = fixture_defaults();
    fixture_truth t;
    char *dir = write_single(&o, &t, "single");
    char *out = path_in_scratch("out.html");
    const char *no_output[] = {inspect_path(), "report", dir, NULL};
    cr_assert_eq(run_tool(no_output, NULL, NULL), 2, "-o is required");
    cr_assert_eq(report(dir, out, "--width", "10"), 2, "a width below 200");
    cr_assert_eq(report(dir, out, "--bogus", NULL), 2);
    char *missing = path_in_scratch("does-not-exist");
    cr_assert_eq(report(missing, out, NULL, NULL), 1);
    cr_assert_eq(report(dir, out, "--session", "nope"), 1);
    char *err_path = path_in_scratch("stderr.txt");
    char *err = slurp(err_path, NULL);
    cr_assert_not_null(err);
    cr_assert_not_null(strstr(err, "Requested session_id not found: nope"));
    free(err);
    free(err_path);
    cr_assert_eq(access(out, F_OK), -1, "no report is left behind by a failed run");
    char *bad_dir = path_in_scratch("no-such-dir/out.html");
    cr_assert_eq(report(dir, bad_dir, NULL, NULL), 1, "an unwritable output");
    /* To stdout. */
    char *stdout_file = path_in_scratch("stdout.html");
    const char *to_stdout[] = {inspect_path(), "report", dir, "-o", "-", NULL};
    cr_assert_eq(run_tool(to_stdout, stdout_file, NULL), 0);
    char *html = slurp(stdout_file, NULL);
    cr_assert_not_null(strstr(html, "</html>"));
    free(html);
    free(stdout_file);
    free(bad_dir);
    free(missing);
    free(out);
    free(dir);
}
