/* stormlog-inspect sessions PATH: one row per session in the loader's order
 * (the order a caller that asks for "the events" picks from), the default
 * session marked with '*'. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "coverage.h"

static const char sessions_help[] =
    "usage: stormlog-inspect sessions PATH [--json] [--events-key K] [--permissive-legacy 0|1]\n"
    "\n"
    "One row per session of a recording (file, sink directory or job directory):\n"
    "job, rank, host, pid, status, start (UTC), duration, events. The default\n"
    "session (the one tools read when none is named) is marked '*'.\n"
    "\n"
    "  --json                   the sessions as JSON, exact figures\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected, 2 on bad usage.\n";

static const char *json_str(json_object *summary, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(summary, key, &v) || !v)
        return NULL;
    return json_object_get_string(v);
}

static int print_json(const stormlog_recording *rec, const char *input_path)
{
    const stormlog_session *def = stormlog_recording_default_session(rec);
    json_object *doc = json_object_new_object();
    json_object *list = json_object_new_array();
    if (!doc || !list) {
        json_object_put(doc);
        json_object_put(list);
        return CLI_EXIT_PROBLEM;
    }
    json_object_object_add(doc, "sessions", list);
    for (size_t i = 0; i < stormlog_recording_session_count(rec); i++) {
        const stormlog_session *s = stormlog_recording_session(rec, i);
        json_object *row = stormlog_session_summary_json(s);
        if (!row)
            continue;
        int64_t ended;
        bool has_end = stormlog_session_ended_at_ns(s, &ended);
        json_object_object_add(row, "duration_ns",
                               has_end ? json_object_new_int64(ended - stormlog_session_started_at_ns(s)) : NULL);
        json_object_object_add(row, "event_count", json_object_new_int64((int64_t)stormlog_session_event_count(s)));
        json_object_object_add(row, "default", json_object_new_boolean(s == def));
        coverage_session_json(row, s, input_path);
        json_object_array_add(list, row);
    }
    json_object_object_add(doc, "default_session_id", def ? json_object_new_string(stormlog_session_id(def)) : NULL);
    bool ok = cli_print_json(doc);
    json_object_put(doc);
    return ok ? 0 : CLI_EXIT_PROBLEM;
}

static int print_table(const stormlog_recording *rec, const char *input_path)
{
    const stormlog_session *def = stormlog_recording_default_session(rec);
    cli_table *t = cli_table_new(10);
    if (!t)
        return CLI_EXIT_PROBLEM;
    static const char *const head[] = {"", "SESSION", "JOB", "RANK", "HOST", "PID",
                                       "STATUS", "START (UTC)", "DURATION", "EVENTS"};
    bool ok = cli_table_row(t, head);
    for (size_t i = 0; ok && i < stormlog_recording_session_count(rec); i++) {
        const stormlog_session *s = stormlog_recording_session(rec, i);
        json_object *sum = stormlog_session_summary_json(s);
        if (!sum) {
            ok = false;
            break;
        }
        char rank[64], pid[32], start[CLI_FIGURE_MAX], dur[CLI_FIGURE_MAX], events[32];
        json_object *v;
        int64_t r = 0, w = 1;
        if (json_object_object_get_ex(sum, "rank", &v))
            r = json_object_get_int64(v);
        if (json_object_object_get_ex(sum, "world_size", &v))
            w = json_object_get_int64(v);
        snprintf(rank, sizeof rank, "%" PRId64 "/%" PRId64, r, w);
        const char *p = json_str(sum, "pid");
        snprintf(pid, sizeof pid, "%s", p ? p : "-");
        cli_timestamp(stormlog_session_started_at_ns(s), start);
        int64_t ended;
        if (stormlog_session_ended_at_ns(s, &ended))
            cli_duration(ended - stormlog_session_started_at_ns(s), dur);
        else
            snprintf(dur, sizeof dur, "-");
        snprintf(events, sizeof events, "%zu", stormlog_session_event_count(s));
        const char *job = json_str(sum, "job_id");
        const char *host = json_str(sum, "host");
        const char *cells[] = {s == def ? "*" : "", stormlog_session_id(s), job ? job : "-", rank,
                               host ? host : "-", pid, stormlog_session_status(s), start, dur, events};
        ok = cli_table_row(t, cells);
        json_object_put(sum);
    }
    if (ok) {
        cli_table_print(t, stdout, 0);
        size_t n = stormlog_recording_session_count(rec);
        cli_printf(stdout, "%zu session%s, %zu events%s\n", n, n == 1 ? "" : "s", stormlog_recording_event_count(rec),
               def ? "; * = default session" : "");
        for (size_t i = 0; i < n; i++)
            coverage_session_note(stdout, stormlog_recording_session(rec, i), input_path);
    }
    cli_table_free(t);
    return ok && !ferror(stdout) ? 0 : CLI_EXIT_PROBLEM;
}

int inspect_cmd_sessions(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return cli_usage(sessions_help, true);
        cli_arg_result r = cli_input_arg(&in, argc, argv, &i);
        if (r == CLI_ARG_BAD)
            return cli_usage_error("sessions", sessions_help, "%s", in.problem);
        if (r == CLI_ARG_TAKEN)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || in.path)
            return cli_unexpected_arg("sessions", sessions_help, argv[i], in.path);
        in.path = argv[i];
    }
    if (!in.path)
        return cli_usage_error("sessions", sessions_help, "no PATH given");
    stormlog_recording *rec = cli_load(&in, "sessions");
    if (!rec)
        return CLI_EXIT_PROBLEM;
    int rc = in.json ? print_json(rec, in.path) : print_table(rec, in.path);
    stormlog_recording_free(rec);
    return rc;
}
