/* stormlog-inspect report PATH -o report.html: one self-contained HTML page
 * for a session or a whole job. Per device a step chart of allocated and
 * reserved bytes with the peak, OOMs and phase bands; for a job a small
 * chart per rank on a shared axis and the cross-rank table of `summary`;
 * tables of the allocations live at the peak, the leaks and the failed
 * allocations. The numbers come from summary_stats.c, so the page and
 * `summary` never disagree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coverage.h"
#include "report.h"
#include "summary_fast.h"
#include "whole_file.h"

#define DEFAULT_COLUMNS 900
#define DETAIL_ALL_UP_TO 8 /* sessions drawn in full by default; beyond, the notable ones */

static const char report_help[] =
    "usage: stormlog-inspect report PATH -o FILE [--session ID] [--all-sessions]\n"
    "                               [--width PIXELS] [--full | --sidecars]\n"
    "                               [--events-key K] [--permissive-legacy 0|1]\n"
    "\n"
    "Writes one self-contained HTML file (inline SVG and CSS, no script, no\n"
    "network) for a recording: a sink directory, a job directory of sinks, or a\n"
    "JSON / JSONL file. Per device: allocated and reserved bytes over time, the\n"
    "peak, OOM and error markers, NVTX phase bands; the largest allocations live\n"
    "at the peak, the leaks at exit, the failed allocations; with call stacks\n"
    "(STORMLOG_STACKS), live bytes by call site at the peak, at each OOM and at\n"
    "exit. For a job (two or more ranks): one chart per rank on a shared time\n"
    "axis and the cross-rank table. Charts keep each pixel column's lowest and\n"
    "highest value, so no peak is lost however many events there are.\n"
    "\n"
    "  -o FILE          where to write (\"-\" for stdout); written whole or not at all\n"
    "  --session ID     only this session\n"
    "  --all-sessions   charts for every session (default: all when there are at most\n"
    "                   8, else the default session and the ranks with the highest\n"
    "                   peak and the peak furthest from the median)\n"
    "  --width PIXELS   plot width in pixels, 200..4000 (default 900)\n"
    "  --full           parse every segment; without it a sink or job directory of\n"
    "                   64 MiB of segments or more is drawn from rollups.json and\n"
    "                   lifetime.json when they cover every segment (charts from the\n"
    "                   writer's envelope; no live-allocation or failure tables)\n"
    "  --sidecars       from them whatever the size, when they cover every segment\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected or the file cannot be written,\n"
    "2 on bad usage.\n";

typedef struct report_args {
    cli_input in;
    const char *output;
    const char *session_id;
    bool all_sessions;
    size_t columns;
    summary_source source;
} report_args;

/* 0 when the arguments are good; else the exit status (help shown, or a
 * usage error said). */
static int parse_args(int argc, char **argv, report_args *a, bool *done)
{
    *a = (report_args){.in = {.permissive_legacy = 1}, .columns = DEFAULT_COLUMNS};
    *done = true;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return cli_usage(report_help, true);
        if (strcmp(arg, "--json") == 0)
            return cli_usage_error("report", report_help,
                                   "--json: the report is an HTML page (summary --json gives the figures as JSON)");
        cli_arg_result res = cli_input_arg(&a->in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("report", report_help, "%s", a->in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0 || strcmp(arg, "--session") == 0 ||
            strcmp(arg, "--width") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("report", report_help, "%s needs a value", arg);
            const char *v = argv[++i];
            if (arg[1] == 'o' || arg[2] == 'o')
                a->output = v;
            else if (arg[2] == 's')
                a->session_id = v;
            else {
                char *end;
                errno = 0;
                long w = strtol(v, &end, 10);
                if (errno || *end || end == v || w < 200 || w > 4000)
                    return cli_usage_error("report", report_help, "--width takes 200..4000 pixels, not '%s'", v);
                a->columns = (size_t)w;
            }
            continue;
        }
        if (summary_source_arg(arg, &a->source))
            continue;
        if (strcmp(arg, "--all-sessions") == 0) {
            a->all_sessions = true;
            continue;
        }
        if ((arg[0] == '-' && arg[1] != '\0') || a->in.path)
            return cli_unexpected_arg("report", report_help, arg, a->in.path);
        a->in.path = arg;
    }
    if (!a->in.path)
        return cli_usage_error("report", report_help, "no PATH given");
    if (!a->output)
        return cli_usage_error("report", report_help, "no output file: -o FILE (or -o - for stdout)");
    *done = false;
    return 0;
}

static int64_t rank_of(const summary_session *s)
{
    json_object *v;
    if (json_object_object_get_ex(s->info, "rank", &v) && json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    return 0;
}

/* Insertion sort: stable, and a job has few sessions next to its events. */
static void sort_by_rank(const summary_session **shown, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        const summary_session *s = shown[i];
        size_t j = i;
        while (j > 0 && rank_of(shown[j - 1]) > rank_of(s)) {
            shown[j] = shown[j - 1];
            j--;
        }
        shown[j] = s;
    }
}

/* Which sessions get charts and tables. */
static void choose_details(report_page *page, const report_args *a, const summary_session *const *shown)
{
    const summary_report *sum = page->summary;
    bool all = a->all_sessions || a->session_id || page->count <= DETAIL_ALL_UP_TO;
    for (size_t i = 0; i < page->count; i++) {
        page->detailed[i] = all || shown[i]->is_default;
        if (!all && sum->job.present) {
            int64_t rank = rank_of(shown[i]);
            page->detailed[i] = page->detailed[i] || rank == sum->job.ranks[sum->job.highest].rank ||
                                rank == sum->job.ranks[sum->job.furthest].rank;
        }
        /* Several jobs: each one's notable ranks. */
        for (size_t g = 0; !all && g < sum->group_count; g++) {
            const summary_group *grp = &sum->groups[g];
            if (sum->group_count < 2 || !grp->job.present)
                continue;
            for (size_t m = 0; m < grp->member_count; m++) {
                if (&sum->sessions[grp->members[m]] != shown[i])
                    continue;
                int64_t rank = rank_of(shown[i]);
                page->detailed[i] = page->detailed[i] || rank == grp->job.ranks[grp->job.highest].rank ||
                                    rank == grp->job.ranks[grp->job.furthest].rank;
            }
        }
    }
}

static bool fill_page(FILE *out, void *page)
{
    return report_write_html(out, page);
}

static int write_report(const report_args *a, report_page *page)
{
    if (strcmp(a->output, "-") == 0) {
        bool ok = report_write_html(stdout, page) && fflush(stdout) == 0;
        return ok ? 0 : cli_report_message(&a->in, "report", "cannot write the report to stdout");
    }
    /* Written whole or not at all: a failed run leaves the previous report alone. */
    int err = 0;
    if (whole_file_write(a->output, fill_page, page, &err))
        return 0;
    char msg[512];
    snprintf(msg, sizeof msg, "cannot write %s: %s", a->output, strerror(err));
    return cli_report_message(&a->in, "report", msg);
}

/* The model of each session shown, built side by side (each reads its own
 * session's events only). */
typedef struct model_job {
    report_page *page;
    const summary_session **shown;
} model_job;

static bool build_one(void *arg, size_t i)
{
    model_job *job = arg;
    if (!job->shown[i]->session) /* read from the sidecars */
        return rp_session_from_sidecars(&job->page->sessions[i], job->shown[i], job->page->columns);
    return rp_session_build(&job->page->sessions[i], job->shown[i], job->page->columns,
                            job->page->detailed[i]);
}

static int run_report(const report_args *a, const stormlog_recording *rec, summary_report *sum)
{
    size_t n = sum->session_count;
    const summary_session **shown = calloc(n ? n : 1, sizeof *shown);
    report_page page = {.input_path = a->in.path, .summary = sum, .columns = a->columns};
    page.sessions = calloc(n ? n : 1, sizeof *page.sessions);
    page.detailed = calloc(n ? n : 1, sizeof *page.detailed);
    int rc = 0;
    if (!shown || !page.sessions || !page.detailed) {
        rc = cli_report_message(&a->in, "report", "out of memory");
        goto done;
    }
    if (a->session_id && !rec) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(sum->sessions[i].id, a->session_id) == 0)
                shown[page.count++] = &sum->sessions[i];
        if (page.count == 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "Requested session_id not found: %s", a->session_id);
            rc = cli_report_message(&a->in, "report", msg);
            goto done;
        }
    } else if (a->session_id) {
        const stormlog_session *want;
        stormlog_error *err = NULL;
        if (stormlog_recording_find_session(rec, a->session_id, &want, &err) != STORMLOG_OK) {
            rc = cli_report_error(&a->in, "report", err);
            stormlog_error_free(err);
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (sum->sessions[i].session == want)
                shown[page.count++] = &sum->sessions[i];
    } else {
        for (size_t i = 0; i < n; i++)
            shown[page.count++] = &sum->sessions[i];
        page.job = sum->job.present;
        page.jobs = sum->group_count > 1;
        /* A job reads by rank; sessions of one rank keep the loader's order. */
        if (page.job)
            sort_by_rank(shown, page.count);
    }
    /* The pointer replay (the live-allocation tables) only for the
     * sessions drawn in full. */
    choose_details(&page, a, shown);
    model_job job = {&page, shown};
    if (!cli_parallel_for(page.count, build_one, &job)) {
        rc = cli_report_message(&a->in, "report", "out of memory");
        goto done;
    }
    bool any_time = false;
    for (size_t i = 0; i < page.count; i++) {
        const rp_session *s = &page.sessions[i];
        if (s->summary->event_count == 0 || s->t1 < s->t0)
            continue;
        if (!any_time || s->t0 < page.job_t0)
            page.job_t0 = s->t0;
        if (!any_time || s->t1 > page.job_t1)
            page.job_t1 = s->t1;
        any_time = true;
    }
    if (page.job_t1 <= page.job_t0)
        page.job_t1 = page.job_t0 + 1;
    rc = write_report(a, &page);
done:
    for (size_t i = 0; page.sessions && i < page.count; i++)
        rp_session_free(&page.sessions[i]);
    free(page.sessions);
    free(page.detailed);
    free(shown);
    return rc;
}

int inspect_cmd_report(int argc, char **argv)
{
    report_args a;
    bool done;
    int parsed = parse_args(argc, argv, &a, &done);
    if (done)
        return parsed;
    summary_report sum;
    stormlog_recording *rec;
    int rc = summary_read(&a.in, "report", a.source, true, &sum, &rec);
    if (rc != 0)
        return rc;
    rc = run_report(&a, rec, &sum);
    coverage_detach(&sum);
    summary_free(&sum);
    if (rec)
        stormlog_recording_free(rec);
    return rc;
}
