/* stormlog-inspect export PATH --format pprof [-o FILE] [--at ...]: the
 * call sites of one session as a gzipped pprof profile, which go tool
 * pprof, speedscope and Pyroscope open as flame graphs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../whole_file.h"
#include "pprof.h"

static const char pprof_help[] =
    "usage: stormlog-inspect export PATH --format pprof [-o FILE] [--at WHEN]\n"
    "                               [--device N] [--rank R] [--session ID]\n"
    "\n"
    "Writes a gzipped pprof profile of one session's call sites (the stacks the\n"
    "shim records with STORMLOG_STACKS): sample types inuse_space (bytes live at\n"
    "the moment --at names, default the peak) and alloc_space (bytes allocated in\n"
    "the whole session), frames leaf first, native frames symbolized here.\n"
    "Open it with `go tool pprof -top FILE`, speedscope or Pyroscope.\n"
    "\n"
    "  -o FILE                  where to write (default: stdout, unless it is a\n"
    "                           terminal); a file is written whole or not at all\n" CS_QUERY_OPTIONS_HELP
    CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected, has no stacks or the file\n"
    "cannot be written, 2 on bad usage.\n";

typedef struct bytes_out {
    const unsigned char *bytes;
    size_t len;
} bytes_out;

static bool write_bytes(FILE *out, void *ctx)
{
    const bytes_out *b = ctx;
    return fwrite(b->bytes, 1, b->len, out) == b->len;
}

static int write_output(const cli_input *in, const char *path, const unsigned char *bytes, size_t len)
{
    bytes_out b = {bytes, len};
    if (!path) {
        bool ok = write_bytes(stdout, &b) && fflush(stdout) == 0;
        return ok ? 0 : cli_report_message(in, "export", "cannot write to stdout");
    }
    int saved;
    if (whole_file_write(path, write_bytes, &b, &saved))
        return 0;
    char msg[512];
    snprintf(msg, sizeof msg, "cannot write %s: %s", path, strerror(saved));
    return cli_report_message(in, "export", msg);
}

int inspect_export_pprof(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    cs_query q;
    cs_query_init(&q);
    const char *output = NULL;
    char problem[512];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return cli_usage(pprof_help, true);
        if (strcmp(arg, "--json") == 0)
            return cli_usage_error("export", pprof_help, "--json: a pprof profile is protobuf");
        if (strcmp(arg, "--format") == 0) {
            i++; /* export saw "pprof" to come here */
            continue;
        }
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("export", pprof_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        res = cs_query_arg(&q, argc, argv, &i, problem, sizeof problem);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("export", pprof_help, "%s", problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("export", pprof_help, "%s needs a value", arg);
            output = argv[++i];
            continue;
        }
        if (arg[0] == '-' || in.path)
            return cli_unexpected_arg("export", pprof_help, arg, in.path);
        in.path = arg;
    }
    if (!in.path)
        return cli_usage_error("export", pprof_help, "PATH is required");
    if (!output && isatty(STDOUT_FILENO))
        return cli_usage_error("export", pprof_help, "a pprof profile is binary: give -o FILE or redirect stdout");
    stormlog_recording *rec = cli_load(&in, "export");
    if (!rec)
        return CLI_EXIT_PROBLEM;
    cs_moment m;
    int rc;
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (!cs_moment_build(&m, rec, &q, problem, sizeof problem))
        rc = cli_report_message(&in, "export", problem);
    else if (!pprof_encode(&m, &bytes, &len))
        rc = cli_report_message(&in, "export", "out of memory");
    else
        rc = write_output(&in, output, bytes, len);
    if (rc == 0)
        cs_moment_warn_unresolved(&m, "export");
    free(bytes);
    cs_moment_free(&m);
    stormlog_recording_free(rec);
    return rc;
}
