/* stormlog-inspect sessions PATH: one row per session in the loader's order
 * (the order a caller that asks for "the events" picks from), the default
 * session marked with '*'. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "coverage.h"
#include "summary_fast.h"

static const char sessions_help[] =
    "usage: stormlog-inspect sessions PATH [--json] [--full | --sidecars] [--events-key K] [--permissive-legacy 0|1]\n"
    "\n"
    "One row per session of a recording (file, sink directory or job directory):\n"
    "job, rank, host, pid, status, start (UTC), duration, events. The default\n"
    "session (the one tools read when none is named) is marked '*'.\n"
    "\n"
    "  --json                   the sessions as JSON, exact figures\n"
    "  --full                   parse every segment; without it a sink or job\n"
    "                           directory of 64 MiB of segments or more is answered\n"
    "                           from rollups.json and lifetime.json when they cover\n"
    "                           every segment\n"
    "  --sidecars               from them whatever the size, when they cover it\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected, 2 on bad usage.\n";

static const char *json_str(json_object *summary, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(summary, key, &v) || !v)
        return NULL;
    return json_object_get_string(v);
}

/* The session's end as the manifest (or the loader) gives it. */
static bool ended_at(const summary_session *s, int64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(s->info, "ended_at_ns", &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static const summary_session *default_of(const summary_report *r)
{
    for (size_t i = 0; i < r->session_count; i++)
        if (r->sessions[i].is_default)
            return &r->sessions[i];
    return NULL;
}

static int print_json(const summary_report *r)
{
    const summary_session *def = default_of(r);
    json_object *doc = json_object_new_object();
    json_object *list = json_object_new_array();
    if (!doc || !list) {
        json_object_put(doc);
        json_object_put(list);
        return CLI_EXIT_PROBLEM;
    }
    json_object_object_add(doc, "sessions", list);
    for (size_t i = 0; i < r->session_count; i++) {
        const summary_session *s = &r->sessions[i];
        json_object *row = json_object_new_object();
        if (!row)
            continue;
        json_object_object_foreach(s->info, key, value)
            json_object_object_add(row, key, json_object_get(value));
        int64_t ended;
        bool has_end = ended_at(s, &ended);
        json_object_object_add(row, "duration_ns", has_end ? json_object_new_int64(ended - s->started_at_ns) : NULL);
        json_object_object_add(row, "event_count", json_object_new_int64((int64_t)s->event_count));
        json_object_object_add(row, "default", json_object_new_boolean(s == def));
        coverage_session_json(row, s);
        json_object_array_add(list, row);
    }
    json_object_object_add(doc, "default_session_id", def ? json_object_new_string(def->id) : NULL);
    bool ok = cli_print_json(doc);
    json_object_put(doc);
    return ok ? 0 : CLI_EXIT_PROBLEM;
}

static int print_table(const summary_report *r)
{
    const summary_session *def = default_of(r);
    cli_table *t = cli_table_new(10);
    if (!t)
        return CLI_EXIT_PROBLEM;
    static const char *const head[] = {"", "SESSION", "JOB", "RANK", "HOST", "PID",
                                       "STATUS", "START (UTC)", "DURATION", "EVENTS"};
    bool ok = cli_table_row(t, head);
    size_t total = 0;
    for (size_t i = 0; ok && i < r->session_count; i++) {
        const summary_session *s = &r->sessions[i];
        json_object *sum = s->info;
        char rank[64], pid[32], start[CLI_FIGURE_MAX], dur[CLI_FIGURE_MAX], events[32];
        json_object *v;
        int64_t rk = 0, w = 1;
        if (json_object_object_get_ex(sum, "rank", &v))
            rk = json_object_get_int64(v);
        if (json_object_object_get_ex(sum, "world_size", &v))
            w = json_object_get_int64(v);
        snprintf(rank, sizeof rank, "%" PRId64 "/%" PRId64, rk, w);
        const char *p = json_str(sum, "pid");
        snprintf(pid, sizeof pid, "%s", p ? p : "-");
        cli_timestamp(s->started_at_ns, start);
        int64_t ended;
        if (ended_at(s, &ended))
            cli_duration(ended - s->started_at_ns, dur);
        else
            snprintf(dur, sizeof dur, "-");
        snprintf(events, sizeof events, "%zu", s->event_count);
        total += s->event_count;
        const char *job = json_str(sum, "job_id");
        const char *host = json_str(sum, "host");
        const char *cells[] = {s == def ? "*" : "", s->id, job ? job : "-", rank,
                               host ? host : "-", pid, s->status, start, dur, events};
        ok = cli_table_row(t, cells);
    }
    if (ok) {
        cli_table_print(t, stdout, 0);
        size_t n = r->session_count;
        cli_printf(stdout, "%zu session%s, %zu events%s\n", n, n == 1 ? "" : "s", total,
                   def ? "; * = default session" : "");
        for (size_t i = 0; i < n; i++)
            coverage_session_note(stdout, &r->sessions[i]);
    }
    cli_table_free(t);
    return ok && !ferror(stdout) ? 0 : CLI_EXIT_PROBLEM;
}

int inspect_cmd_sessions(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    summary_source source = SUMMARY_SOURCE_AUTO;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return cli_usage(sessions_help, true);
        if (summary_source_arg(argv[i], &source))
            continue;
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("sessions", sessions_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || in.path)
            return cli_unexpected_arg("sessions", sessions_help, argv[i], in.path);
        in.path = argv[i];
    }
    if (!in.path)
        return cli_usage_error("sessions", sessions_help, "no PATH given");
    summary_report report;
    stormlog_recording *rec;
    int rc = summary_read(&in, "sessions", source, false, &report, &rec);
    if (rc != 0)
        return rc;
    rc = in.json ? print_json(&report) : print_table(&report);
    coverage_detach(&report);
    summary_free(&report);
    if (rec)
        stormlog_recording_free(rec);
    return rc;
}
