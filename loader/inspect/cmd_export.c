/* stormlog-inspect export PATH [--format perfetto|pprof] [-o FILE]: the
 * recording as a trace for ui.perfetto.dev or chrome://tracing (perfetto.c
 * says what goes where), the default; or its call sites as a pprof profile
 * (stacks/cmd_export_pprof.c, which takes the arguments when asked for). */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stacks/pprof.h"
#include "whole_file.h"

static const char export_help[] =
    "usage: stormlog-inspect export PATH [--format perfetto|pprof] [-o FILE] [--session ID]\n"
    "                               [--events-key K] [--permissive-legacy 0|1]\n"
    "\n"
    "Writes Chrome / Perfetto trace-event JSON (opens in ui.perfetto.dev and\n"
    "chrome://tracing): a process per session sorted by rank, a counter track per\n"
    "device (allocated, reserved bytes), instant events for OOMs and errors, NVTX\n"
    "phases as slices on their thread. Times are microseconds from the first\n"
    "event (otherData.origin_unix_ns holds that instant).\n"
    "\n"
    "  --format F     perfetto (the default), or pprof: the call sites as a gzipped\n"
    "                 pprof profile (`export --format pprof --help` for its options)\n"
    "  -o FILE        where to write (default: stdout); a file is written whole or\n"
    "                 not at all\n"
    "  --session ID   only this session\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected or the file cannot be written,\n"
    "2 on bad usage.\n";

typedef struct perfetto_job {
    const summary_session *const *sessions;
    size_t count;
} perfetto_job;

static bool fill_trace(FILE *out, void *ctx)
{
    const perfetto_job *job = ctx;
    return perfetto_write(out, job->sessions, job->count);
}

static int write_to_file(const cli_input *in, const char *path, const summary_session *const *sessions,
                         size_t count)
{
    perfetto_job job = {sessions, count};
    int saved;
    if (whole_file_write(path, fill_trace, &job, &saved))
        return 0;
    char msg[512];
    snprintf(msg, sizeof msg, "cannot write %s: %s", path, strerror(saved));
    return cli_report_message(in, "export", msg);
}

int inspect_cmd_export(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--format") == 0 && strcmp(argv[i + 1], "pprof") == 0)
            return inspect_export_pprof(argc, argv);
    cli_input in = {.permissive_legacy = 1};
    const char *format = NULL, *output = NULL, *session_id = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return cli_usage(export_help, true);
        if (strcmp(arg, "--json") == 0)
            return cli_usage_error("export", export_help, "--json: the trace is JSON already");
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("export", export_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        const char **slot = strcmp(arg, "--format") == 0                            ? &format
                            : strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0 ? &output
                            : strcmp(arg, "--session") == 0                          ? &session_id
                                                                                     : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return cli_usage_error("export", export_help, "%s needs a value", arg);
            *slot = argv[++i];
            continue;
        }
        if ((arg[0] == '-' && arg[1] != '\0') || in.path)
            return cli_unexpected_arg("export", export_help, arg, in.path);
        in.path = arg;
    }
    if (!in.path)
        return cli_usage_error("export", export_help, "no PATH given");
    if (format && strcmp(format, "perfetto") != 0)
        return cli_usage_error("export", export_help, "unknown format '%s' (known: perfetto, pprof)", format);
    stormlog_recording *rec = cli_load(&in, "export");
    if (!rec)
        return CLI_EXIT_PROBLEM;
    summary_report sum;
    const summary_session **chosen = NULL;
    size_t count = 0;
    int rc = 0;
    if (!summary_compute(rec, &sum) || !(chosen = calloc(sum.session_count ? sum.session_count : 1, sizeof *chosen))) {
        rc = cli_report_message(&in, "export", "out of memory");
        goto done;
    }
    if (session_id) {
        const stormlog_session *want;
        stormlog_error *err = NULL;
        if (stormlog_recording_find_session(rec, session_id, &want, &err) != STORMLOG_OK) {
            rc = cli_report_error(&in, "export", err);
            stormlog_error_free(err);
            goto done;
        }
        for (size_t i = 0; i < sum.session_count; i++)
            if (sum.sessions[i].session == want)
                chosen[count++] = &sum.sessions[i];
    } else {
        for (size_t i = 0; i < sum.session_count; i++)
            chosen[count++] = &sum.sessions[i];
    }
    if (output && strcmp(output, "-") != 0)
        rc = write_to_file(&in, output, chosen, count);
    else if (!perfetto_write(stdout, chosen, count) || fflush(stdout) != 0)
        rc = cli_report_message(&in, "export", "cannot write the trace to stdout");
done:
    free(chosen);
    summary_free(&sum);
    stormlog_recording_free(rec);
    return rc;
}
