/* stormlog-inspect summary PATH: per session and device, the peak (and when),
 * what was still live at the end (leaks), allocation / free / failed /
 * unmatched counts, OOM errors with the size asked for, dropped events; for
 * a job (sessions of two or more ranks) a cross-rank table naming the rank
 * with the highest peak and the rank furthest from the median. Tables round
 * bytes to KiB/MiB/GiB; --json carries exact integers. */
#include <inttypes.h>
#include <string.h>

#include "runtime_codes.h"
#include "coverage.h"
#include "summary_fast.h"
#include "summary_stats.h"
#include <limits.h>

static const char summary_help[] =
    "usage: stormlog-inspect summary PATH [--json] [--full | --sidecars] [--events-key K] [--permissive-legacy 0|1]\n"
    "\n"
    "Per session and device: peak allocated bytes and when it was reached, bytes\n"
    "still live at the end (leaks), allocations, frees, failed allocations,\n"
    "unmatched frees, dropped events; each failed allocation with its API, the\n"
    "runtime's error code and name, the bytes asked for and the device's free and\n"
    "total memory, and for an OOM whether the program recovered (a later\n"
    "allocation on the device succeeded) or it was the last; failed frees and\n"
    "other failed calls from the shim's books. For the shim's recordings the bytes\n"
    "are memory held from the GPU runtime: what PyTorch calls \"reserved\".\n"
    "A folder of several runs is shown one job (job id) at a time, newest first;\n"
    "a job of two or more ranks starts with its cross-rank table: each rank's\n"
    "largest GPU peak, the rank with the highest peak and the rank furthest from\n"
    "the median.\n"
    "\n"
    "  --json                   exact figures; \"jobs\" lists each job's sessions and\n"
    "                           cross-rank table; for one job, \"job\" and\n"
    "                           \"highest_peak\": {\"rank\", \"device\", \"bytes\",\n"
    "                           \"timestamp_ns\"}\n"
    "  --full                   parse every segment; without it a sink or job\n"
    "                           directory of 64 MiB of segments or more whose\n"
    "                           rollups.json and lifetime.json cover every segment\n"
    "                           is answered from them (failed allocations are then\n"
    "                           counted, not listed)\n"
    "  --sidecars               answer from rollups.json and lifetime.json whatever\n"
    "                           the size, when they cover every segment\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected, 2 on bad usage.\n";

/* ---- JSON ---------------------------------------------------------------- */

static json_object *i64(int64_t v)
{
    return json_object_new_int64(v);
}

static json_object *device_json(const summary_device *d, bool listed)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "device_id", i64(d->device_id));
    json_object_object_add(o, "events", i64((int64_t)d->events));
    json_object_object_add(o, "peak_allocated_bytes", i64(d->peak_bytes));
    json_object_object_add(o, "peak_timestamp_ns", d->has_peak_time ? i64(d->peak_timestamp_ns) : NULL);
    json_object_object_add(o, "final_allocated_bytes", i64(d->final_bytes));
    json_object_object_add(o, "leaked_bytes", i64(d->final_bytes));
    json_object_object_add(o, "allocations", i64((int64_t)d->allocations));
    json_object_object_add(o, "frees", i64((int64_t)d->frees));
    json_object_object_add(o, "failed_allocations", i64((int64_t)d->failed));
    json_object_object_add(o, "unmatched_frees", d->has_unmatched ? i64(d->unmatched_frees) : NULL);
    json_object_object_add(o, "dropped_events", d->has_dropped ? i64(d->dropped_events) : NULL);
    json_object_object_add(o, "oom_count", i64((int64_t)d->oom_count));
    /* From the sidecars the failed allocations are counted, not listed:
     * which OOM the program got past only the events say. */
    json_object_object_add(o, "oom_recovered", listed ? i64((int64_t)d->oom_recovered) : NULL);
    json_object_object_add(o, "oom_last", listed ? i64((int64_t)d->oom_last) : NULL);
    json_object *ooms = json_object_new_array(), *failures = json_object_new_array();
    for (size_t i = 0; i < d->oom_kept; i++) {
        const summary_oom *f = &d->ooms[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "timestamp_ns", i64(f->timestamp_ns));
        json_object_object_add(e, "requested_bytes", f->has_requested ? i64(f->requested_bytes) : NULL);
        json_object_object_add(e, "api", f->api[0] ? json_object_new_string(f->api) : NULL);
        json_object_object_add(e, "reason", json_object_new_string(f->oom ? "out_of_memory" : "api_error"));
        json_object_object_add(e, "error_code", f->has_code ? i64(f->code) : NULL);
        const char *name = f->has_code ? runtime_code_name(f->api, f->code) : NULL;
        json_object_object_add(e, "error_name", name ? json_object_new_string(name) : NULL);
        json_object_object_add(e, "device_free_bytes", f->has_device_memory ? i64(f->device_free_bytes) : NULL);
        json_object_object_add(e, "device_total_bytes", f->has_device_memory ? i64(f->device_total_bytes) : NULL);
        if (f->oom)
            json_object_object_add(e, "outcome", json_object_new_string(f->recovered ? "recovered" : "last"));
        json_object_array_add(failures, json_object_get(e));
        if (f->oom)
            json_object_array_add(ooms, json_object_get(e));
        json_object_put(e);
    }
    json_object_object_add(o, "oom_errors", ooms);
    json_object_object_add(o, "failed_allocation_errors", failures);
    return o;
}

static json_object *rank_peak_json(const summary_rank *k)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "rank", i64(k->rank));
    json_object_object_add(o, "device", k->has_device ? i64(k->device_id) : NULL);
    json_object_object_add(o, "bytes", i64(k->has_device ? k->peak_bytes : 0));
    json_object_object_add(o, "timestamp_ns", k->has_device && k->has_peak_time ? i64(k->peak_timestamp_ns) : NULL);
    return o;
}

/* The shim's books of failed calls by API and code; null without them. */
static json_object *failed_calls_json(const summary_session *s)
{
    if (!s->has_failed_calls)
        return NULL;
    json_object *calls = json_object_new_array();
    for (size_t i = 0; i < s->failed_call_count; i++) {
        const summary_failed_call *c = &s->failed_calls[i];
        json_object *e = json_object_new_object();
        const char *name = c->has_code ? runtime_code_name(c->api, c->code) : NULL;
        json_object_object_add(e, "api", json_object_new_string(c->api));
        json_object_object_add(e, "error_code", c->has_code ? i64(c->code) : NULL);
        json_object_object_add(e, "error_name", name ? json_object_new_string(name) : NULL);
        json_object_object_add(e, "count", i64(c->count));
        json_object_array_add(calls, e);
    }
    return calls;
}

static json_object *job_json(const summary_job *job)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "job_id", job->job_id ? json_object_new_string(job->job_id) : NULL);
    json_object_object_add(j, "mixed_job_ids", json_object_new_boolean(job->mixed_job_ids));
    json_object_object_add(j, "median_peak_bytes", i64(job->median_peak_bytes));
    json_object *ranks = json_object_new_array();
    for (size_t i = 0; i < job->rank_count; i++) {
        json_object *k = rank_peak_json(&job->ranks[i]);
        json_object_object_add(k, "sessions", i64((int64_t)job->ranks[i].sessions));
        json_object_object_add(k, "difference_from_median_bytes",
                               i64(job->ranks[i].peak_bytes - job->median_peak_bytes));
        json_object_array_add(ranks, k);
    }
    json_object_object_add(j, "ranks", ranks);
    const summary_rank *far = &job->ranks[job->furthest];
    json_object *f = rank_peak_json(far);
    json_object_object_add(f, "difference_from_median_bytes", i64(far->peak_bytes - job->median_peak_bytes));
    json_object_object_add(j, "furthest_from_median", f);
    return j;
}

/* One entry per job id, newest first: its sessions and its cross-rank table. */
static json_object *groups_json(const summary_report *r)
{
    json_object *jobs = json_object_new_array();
    for (size_t g = 0; g < r->group_count; g++) {
        const summary_group *grp = &r->groups[g];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "job_id", grp->job_id ? json_object_new_string(grp->job_id) : NULL);
        json_object *ids = json_object_new_array();
        for (size_t i = 0; i < grp->member_count; i++)
            json_object_array_add(ids, json_object_new_string(r->sessions[grp->members[i]].id));
        json_object_object_add(o, "session_ids", ids);
        json_object_object_add(o, "cross_rank", grp->job.present ? job_json(&grp->job) : NULL);
        json_object_object_add(o, "highest_peak",
                               grp->job.present ? rank_peak_json(&grp->job.ranks[grp->job.highest]) : NULL);
        json_object_array_add(jobs, o);
    }
    return jobs;
}

static int print_json(const summary_report *r)
{
    json_object *doc = json_object_new_object();
    json_object *sessions = json_object_new_array();
    json_object_object_add(doc, "sessions", sessions);
    for (size_t i = 0; i < r->session_count; i++) {
        const summary_session *s = &r->sessions[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "summary", json_object_get(s->info));
        json_object_object_add(o, "default", json_object_new_boolean(s->is_default));
        json_object_object_add(o, "event_count", i64((int64_t)s->event_count));
        json_object_object_add(o, "counts_from",
                               json_object_new_string(s->from_stop_summary ? "stop_summary" : "events"));
        json_object_object_add(o, "read_from", json_object_new_string(s->from_sidecars ? "sidecars" : "segments"));
        json_object_object_add(o, "dropped_events", s->has_dropped_total ? i64(s->dropped_total) : NULL);
        json_object_object_add(o, "failed_frees", s->has_failed_calls ? i64(s->failed_frees) : NULL);
        json_object_object_add(o, "failed_calls", failed_calls_json(s));
        if (s->lost_to_disk > 0) /* only then: the event list has gaps */
            json_object_object_add(o, "events_lost_to_disk", i64(s->lost_to_disk));
        json_object *devices = json_object_new_array();
        for (size_t d = 0; d < s->device_count; d++)
            json_object_array_add(devices, device_json(&s->devices[d], !s->from_sidecars));
        json_object_object_add(o, "devices", devices);
        coverage_json_add(o, s);
        json_object_array_add(sessions, o);
    }
    const summary_job *job = &r->job;
    json_object_object_add(doc, "jobs", groups_json(r));
    json_object_object_add(doc, "job", job->present ? job_json(job) : NULL);
    json_object_object_add(doc, "highest_peak", job->present ? rank_peak_json(&job->ranks[job->highest]) : NULL);
    bool ok = cli_print_json(doc);
    json_object_put(doc);
    return ok ? 0 : CLI_EXIT_PROBLEM;
}

/* ---- tables -------------------------------------------------------------- */

static const char *info_text(json_object *info, const char *key, char *buf, size_t cap)
{
    json_object *v;
    if (!json_object_object_get_ex(info, key, &v) || !v)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%s", json_object_get_string(v));
    return buf;
}

static const char *count_or_dash(bool known, int64_t v, char out[CLI_FIGURE_MAX])
{
    if (known)
        snprintf(out, CLI_FIGURE_MAX, "%" PRId64, v);
    else
        snprintf(out, CLI_FIGURE_MAX, "-");
    return out;
}

#define SUMMARY_TEXT_FAILURES 4 /* failed allocations printed per device; --json keeps SUMMARY_OOM_KEPT */

/* One failed allocation: what was asked of which API, the runtime's answer
 * by number and name, the device's memory then, and for an OOM whether the
 * program got past it. */
static void print_failure(const summary_device *d, const summary_oom *o, int64_t start)
{
    char req[CLI_FIGURE_MAX], rel[CLI_FIGURE_MAX], code[RUNTIME_CODE_TEXT_MAX];
    if (d->device_id == -1)
        cli_printf(stdout, "  %s of pinned host memory: ", o->oom ? "OOM" : "failed allocation");
    else
        cli_printf(stdout, "  %s on device %" PRId64 ": ", o->oom ? "OOM" : "failed allocation", d->device_id);
    cli_printf(stdout, "%s%s", o->api[0] ? o->api : "", o->api[0] ? " " : "");
    if (o->has_requested)
        cli_printf(stdout, "requested %s (%" PRId64 " bytes)", cli_bytes(o->requested_bytes, req), o->requested_bytes);
    else
        cli_printf(stdout, "size unknown");
    cli_printf(stdout, " at +%s", cli_duration(o->timestamp_ns - start, rel));
    if (o->has_code)
        cli_printf(stdout, ", error %s", runtime_code_text(o->api, o->code, code));
    if (o->has_device_memory) {
        char fr[CLI_FIGURE_MAX], tot[CLI_FIGURE_MAX];
        cli_printf(stdout, ", device %s free of %s", cli_bytes(o->device_free_bytes, fr), cli_bytes(o->device_total_bytes, tot));
    }
    if (o->oom)
        cli_printf(stdout, o->recovered ? "; recovered (a later allocation on the device succeeded)"
                            : "; last (no allocation on the device succeeded after it)");
    putchar('\n');
}

/* Failed frees and every other failed call the shim's books counted. */
static void print_failed_calls(const summary_session *s)
{
    if (!s->has_failed_calls)
        return;
    cli_printf(stdout, "  failed frees: %" PRId64 "\n", s->failed_frees);
    for (size_t i = 0; i < s->failed_call_count; i++) {
        const summary_failed_call *c = &s->failed_calls[i];
        char code[RUNTIME_CODE_TEXT_MAX];
        cli_printf(stdout, "  failed call: %s, error %s: %" PRId64 " time%s\n", c->api,
               c->has_code ? runtime_code_text(c->api, c->code, code) : "(other codes)", c->count,
               c->count == 1 ? "" : "s");
    }
}

static bool print_session(const summary_report *r, const summary_session *s)
{
    char job[128], host[128], pid[32], rank[32], world[32];
    json_object *info = s->info;
    cli_printf(stdout, "session %s%s\n", s->id, s->is_default ? " (default)" : "");
    json_object *job_id;
    bool has_job = json_object_object_get_ex(info, "job_id", &job_id) && job_id;
    if (has_job)
        cli_printf(stdout, "  job %s, ", info_text(info, "job_id", job, sizeof job));
    else
        cli_printf(stdout, "  no job id, ");
    cli_printf(stdout, "rank %s of %s, host %s, pid %s, %s, %zu event%s\n",
           info_text(info, "rank", rank, sizeof rank), info_text(info, "world_size", world, sizeof world),
           info_text(info, "host", host, sizeof host), info_text(info, "pid", pid, sizeof pid),
           s->status, s->event_count, s->event_count == 1 ? "" : "s");
    coverage_print_text(stdout, s);
    if (s->device_count == 0) {
        cli_printf(stdout, "  no events\n");
        return true;
    }
    if (s->shim && !has_job)
        cli_printf(stdout, "  (STORMLOG_JOB_ID=NAME, or stormlog-run under a launcher, gives the processes of one run a job id)\n");
    if (s->shim)
        cli_printf(stdout, "  bytes are memory held from the GPU runtime (what PyTorch calls \"reserved\"; its \"allocated\" is "
               "the tensors inside)\n");
    cli_table *t = cli_table_new(10);
    if (!t)
        return false;
    static const char *const head[] = {"DEVICE", "PEAK", "PEAK AT", "FINAL (LEAKED)", "ALLOCS",
                                       "FREES", "FAILED", "UNMATCHED", "OOM", "DROPPED"};
    bool ok = cli_table_row(t, head);
    int64_t start = s->started_at_ns;
    for (size_t i = 0; ok && i < s->device_count; i++) {
        const summary_device *d = &s->devices[i];
        char dev[32], peak[CLI_FIGURE_MAX], at[CLI_FIGURE_MAX + 1], fin[CLI_FIGURE_MAX], a[CLI_FIGURE_MAX],
            f[CLI_FIGURE_MAX], x[CLI_FIGURE_MAX], u[CLI_FIGURE_MAX], o[CLI_FIGURE_MAX], dr[CLI_FIGURE_MAX];
        snprintf(dev, sizeof dev, "%" PRId64 "%s", d->device_id, d->device_id == -1 ? " (host)" : "");
        if (d->has_peak_time) {
            char rel[CLI_FIGURE_MAX];
            snprintf(at, sizeof at, "+%s", cli_duration(d->peak_timestamp_ns - start, rel));
        } else {
            snprintf(at, sizeof at, "-");
        }
        const char *cells[] = {dev,
                               cli_bytes(d->peak_bytes, peak),
                               at,
                               cli_bytes(d->final_bytes, fin),
                               count_or_dash(true, (int64_t)d->allocations, a),
                               count_or_dash(true, (int64_t)d->frees, f),
                               count_or_dash(true, (int64_t)d->failed, x),
                               count_or_dash(d->has_unmatched, d->unmatched_frees, u),
                               count_or_dash(true, (int64_t)d->oom_count, o),
                               count_or_dash(d->has_dropped, d->dropped_events, dr)};
        ok = cli_table_row(t, cells);
    }
    if (ok)
        cli_table_print(t, stdout, 2);
    cli_table_free(t);
    for (size_t i = 0; i < s->device_count; i++) {
        const summary_device *d = &s->devices[i];
        /* A few lines per device, in time order, chosen by what matters
         * most: an OOM nothing got past, then recovered OOMs, then other
         * errors (the failed-call lines below count them all by code). */
        bool shown[SUMMARY_OOM_KEPT] = {false};
        size_t picked = 0;
        for (int pass = 0; pass < 3; pass++)
            for (size_t k = 0; k < d->oom_kept && picked < SUMMARY_TEXT_FAILURES; k++) {
                const summary_oom *o = &d->ooms[k];
                int rank_of_kind = o->oom ? (o->recovered ? 1 : 0) : 2;
                if (!shown[k] && rank_of_kind == pass) {
                    shown[k] = true;
                    picked++;
                }
            }
        for (size_t k = 0; k < d->oom_kept; k++)
            if (shown[k])
                print_failure(d, &d->ooms[k], start);
        uint64_t failed_total = d->failed > d->oom_kept ? d->failed : d->oom_kept;
        if (s->from_sidecars) {
            if (failed_total > 0)
                cli_printf(stdout, "  %" PRIu64 " failed allocation%s on device %" PRId64 " (%" PRIu64 " OOM%s): counted, "
                           "not listed (summary --full, or events PATH --type error, lists each)\n",
                           failed_total, cli_plural(failed_total), d->device_id, d->oom_count, cli_plural(d->oom_count));
            continue;
        }
        if (failed_total > picked)
            cli_printf(stdout, "  ... and %" PRIu64 " more failed allocation%s on device %" PRId64 " (stormlog-inspect "
                   "events PATH --type error lists each)\n",
                   failed_total - picked, cli_plural(failed_total - picked), d->device_id);
        if (d->oom_count > 1)
            cli_printf(stdout, "  OOMs on device %" PRId64 ": %" PRIu64 " recovered, %" PRIu64 " last\n", d->device_id,
                   d->oom_recovered, d->oom_last);
    }
    print_failed_calls(s);
    if (s->has_dropped_total)
        cli_printf(stdout, "  dropped events: %" PRId64 "\n", s->dropped_total);
    summary_print_disk_loss(s);
    cli_printf(stdout, "  counts from: %s\n",
               coverage_counts_from(s, s->from_stop_summary ? "the shim's stop summary" : "the events"));
    return ok;
}

static bool print_job(const summary_job *job)
{
    char med[CLI_FIGURE_MAX];
    cli_printf(stdout, "job %s: %zu ranks, median peak %s\n", job->mixed_job_ids ? "(mixed ids)" : job->job_id ? job->job_id : "-",
           job->rank_count, cli_bytes(job->median_peak_bytes, med));
    cli_table *t = cli_table_new(6);
    if (!t)
        return false;
    static const char *const head[] = {"RANK", "SESSIONS", "DEVICE", "PEAK", "VS MEDIAN", ""};
    bool ok = cli_table_row(t, head);
    for (size_t i = 0; ok && i < job->rank_count; i++) {
        const summary_rank *k = &job->ranks[i];
        char rank[32], ses[32], dev[32], peak[CLI_FIGURE_MAX], diff[CLI_FIGURE_MAX];
        snprintf(rank, sizeof rank, "%" PRId64, k->rank);
        snprintf(ses, sizeof ses, "%zu", k->sessions);
        if (k->has_device)
            snprintf(dev, sizeof dev, "%" PRId64, k->device_id);
        else
            snprintf(dev, sizeof dev, "-");
        const char *mark = i == job->highest && i == job->furthest ? "<- highest peak, furthest from median"
                           : i == job->highest                     ? "<- highest peak"
                           : i == job->furthest                    ? "<- furthest from median"
                                                                   : "";
        const char *cells[] = {rank, ses, dev, cli_bytes(k->peak_bytes, peak),
                               cli_bytes_signed(k->peak_bytes - job->median_peak_bytes, diff), mark};
        ok = cli_table_row(t, cells);
    }
    if (ok)
        cli_table_print(t, stdout, 2);
    cli_table_free(t);
    const summary_rank *h = &job->ranks[job->highest], *f = &job->ranks[job->furthest];
    char hp[CLI_FIGURE_MAX], fp[CLI_FIGURE_MAX], fd[CLI_FIGURE_MAX], when[CLI_FIGURE_MAX];
    if (h->has_device)
        cli_printf(stdout, "  highest peak: rank %" PRId64 ", device %" PRId64 ", %s (%" PRId64 " bytes)%s%s\n", h->rank,
               h->device_id, cli_bytes(h->peak_bytes, hp), h->peak_bytes, h->has_peak_time ? " at " : "",
               h->has_peak_time ? cli_timestamp(h->peak_timestamp_ns, when) : "");
    else
        cli_printf(stdout, "  highest peak: no rank used a GPU device\n");
    cli_printf(stdout, "  furthest from median: rank %" PRId64 ", %s (%s)\n", f->rank, cli_bytes(f->peak_bytes, fp),
           cli_bytes_signed(f->peak_bytes - job->median_peak_bytes, fd));
    return ok;
}

/* A job without a cross-rank table (one rank, or no job id): one line. */
static void print_group_heading(const summary_group *g)
{
    if (g->job_id)
        cli_printf(stdout, "job %s: %zu session%s\n", g->job_id, g->member_count, g->member_count == 1 ? "" : "s");
    else
        cli_printf(stdout, "no job id: %zu session%s (STORMLOG_JOB_ID=NAME groups the processes of one run)\n", g->member_count,
               g->member_count == 1 ? "" : "s");
}

/* One job: its cross-rank table first (where a big job's user sees it
 * without scrolling), then its sessions. */
static bool print_group(const summary_report *r, const summary_group *g, bool heading)
{
    bool ok = true;
    if (g->job.present) {
        ok = print_job(&g->job);
        putchar('\n');
    } else if (heading) {
        print_group_heading(g);
        putchar('\n');
    }
    for (size_t i = 0; ok && i < g->member_count; i++) {
        if (i)
            putchar('\n');
        ok = print_session(r, &r->sessions[g->members[i]]);
    }
    return ok;
}

static int print_text(const summary_report *r, const char *path)
{
    bool ok = true;
    if (r->session_count == 0)
        cli_printf(stdout, "no sessions\n");
    /* Several runs under one folder: one block per job, newest first, never
     * one comparison across unrelated runs. */
    if (r->session_count > 0 && r->sessions[0].from_sidecars)
        cli_printf(stdout, "read from rollups.json and lifetime.json, which cover every segment (--full parses the "
                           "segments)\n\n");
    if (r->group_count > 1)
        cli_printf(stdout, "%zu jobs in %s, newest first\n\n", r->group_count, path);
    for (size_t g = 0; ok && g < r->group_count; g++) {
        if (g)
            cli_printf(stdout, "\n");
        ok = print_group(r, &r->groups[g], r->group_count > 1);
    }
    return ok && !ferror(stdout) ? 0 : CLI_EXIT_PROBLEM;
}

int inspect_cmd_summary(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    summary_source source = SUMMARY_SOURCE_AUTO;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return cli_usage(summary_help, true);
        if (summary_source_arg(argv[i], &source))
            continue;
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("summary", summary_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || in.path)
            return cli_unexpected_arg("summary", summary_help, argv[i], in.path);
        in.path = argv[i];
    }
    if (!in.path)
        return cli_usage_error("summary", summary_help, "no PATH given");
    summary_report report;
    stormlog_recording *rec;
    int rc = summary_read(&in, "summary", source, true, &report, &rec);
    if (rc != 0)
        return rc;
    rc = in.json ? print_json(&report) : print_text(&report, in.path);
    coverage_detach(&report);
    summary_free(&report);
    if (rec)
        stormlog_recording_free(rec);
    return rc;
}
