/* stormlog-inspect: dispatch to the subcommand named by argv[1]. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"
#include "report.h"
#include "stacks/stacks.h"

static const inspect_cmd commands[] = {
    {"load", "load a recording and print sessions and events as JSON", inspect_cmd_load},
    {"sessions", "list the sessions of a recording, the default one marked", inspect_cmd_sessions},
    {"summary", "peaks, leaks, counts and OOMs per session and device; cross-rank for a job", inspect_cmd_summary},
    {"events", "stream events as JSONL or CSV, filtered by session, type or device", inspect_cmd_events},
    {"validate", "list every invalid record with file:line; exit 1 if any", inspect_cmd_validate},
    {"convert", "convert legacy / v2 / JSON recordings into a v3 sink directory", inspect_cmd_convert},
    {"report", "write a self-contained HTML report: charts, peak, phases, ranks, leaks", inspect_cmd_report},
    {"rollups", "print the rollups.json document of a sink directory (as the reference computes it)", inspect_cmd_rollups},
    {"export", "export a recording as Chrome / Perfetto trace-event JSON", inspect_cmd_export},
    {"stacks", "live bytes by call site at the peak, an OOM, exit or a time", inspect_cmd_stacks},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: stormlog-inspect <command> [args]\n"
                 "       stormlog-inspect help [COMMAND] | --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'stormlog-inspect COMMAND --help' describes a command and its options.\n");
    return out == stdout ? 0 : CLI_EXIT_USAGE;
}

static const inspect_cmd *command_named(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

void inspect_print_json(FILE *out, json_object *obj)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    cli_write_json(out, text, len);
}

int inspect_report_error(const stormlog_error *err)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "error", json_object_new_string(stormlog_error_message(err)));
    inspect_print_json(stdout, doc);
    fputc('\n', stdout);
    json_object_put(doc);
    const char *file = stormlog_error_file(err);
    cli_printf(stderr, "stormlog-inspect: %s: %s", stormlog_status_name(stormlog_error_code(err)),
            stormlog_error_message(err));
    if (file)
        cli_printf(stderr, " [file %s", file);
    if (file && stormlog_error_line(err) > 0)
        cli_printf(stderr, ", line %ld", stormlog_error_line(err));
    if (stormlog_error_index(err) >= 0)
        cli_printf(stderr, "%s index %ld", file ? "," : " [", stormlog_error_index(err));
    if (file || stormlog_error_index(err) >= 0)
        fputc(']', stderr);
    fputc('\n', stderr);
    return CLI_EXIT_PROBLEM;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return usage(stdout);
    if (strcmp(argv[1], "--version") == 0) {
        cli_printf(stdout, "stormlog-inspect %s\n", STORMLOG_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc == 2)
            return usage(stdout);
        const inspect_cmd *cmd = command_named(argv[2]);
        if (!cmd)
            cli_printf(stderr, "stormlog-inspect help: no command '%s' (the commands are listed below)\n", argv[2]);
        else if (argc > 3)
            cli_printf(stderr, "stormlog-inspect help: one COMMAND only\n");
        if (!cmd || argc > 3)
            return usage(stderr);
        char *help_argv[] = {argv[2], "--help", NULL};
        return cmd->run(2, help_argv);
    }
    const inspect_cmd *cmd = command_named(argv[1]);
    if (cmd)
        return cmd->run(argc - 1, argv + 1);
    cli_printf(stderr, "stormlog-inspect: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
