/* wl_options.c: command line and environment of the workload programs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

void wl_default_options(wl_options *options, const char *program)
{
    memset(options, 0, sizeof *options);
    options->program = program;
    options->threads = 8;
    options->ops = 100000;
    options->devices = 0;
    options->seed = 1;
    options->oom_device = -1;
    options->keep = 4;
    options->expect_oom_min = 0;
    options->truth_path = NULL;
}

static int parse_long(const char *text, long min, long max, long *out)
{
    if (text == NULL || text[0] == '\0')
        return -1;
    errno = 0;
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

static int usage(const wl_options *options, const char *why, const char *what)
{
    fprintf(stderr,
            "%s: %s%s%s\n"
            "usage: %s [--threads T] [--ops N] [--devices D] [--seed S] [--oom-device d]\n"
            "          [--keep K] [--expect-oom-min N] [--truth FILE]\n",
            options->program, why, what ? ": " : "", what ? what : "", options->program);
    return 2;
}

int wl_parse_options(int argc, char **argv, wl_options *options)
{
    long value = 0;
    const char *env = getenv("STORMLOG_WORKLOAD_THREADS");
    if (env != NULL && parse_long(env, 1, 1024, &value) == 0)
        options->threads = (int)value;
    env = getenv("STORMLOG_WORKLOAD_OPS");
    if (env != NULL && parse_long(env, 0, 1000000000L, &value) == 0)
        options->ops = value;
    env = getenv("STORMLOG_WORKLOAD_SEED");
    if (env != NULL && parse_long(env, 0, 0x7fffffffL, &value) == 0)
        options->seed = (unsigned long long)value;

    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--truth") == 0) {
            if (arg == NULL)
                return usage(options, "missing value", flag);
            options->truth_path = arg;
            i++;
            continue;
        }
        struct { const char *name; long min, max; } numeric[] = {
            { "--threads", 1, 1024 }, { "--ops", 0, 1000000000L }, { "--devices", 1, WL_MAX_DEVICES },
            { "--seed", 0, 0x7fffffffL }, { "--oom-device", -1, WL_MAX_DEVICES - 1 },
            { "--keep", 0, 64 }, { "--expect-oom-min", 0, 1000000000L },
        };
        size_t which = 0, count = sizeof numeric / sizeof numeric[0];
        while (which < count && strcmp(flag, numeric[which].name) != 0)
            which++;
        if (which == count)
            return usage(options, "unknown argument", flag);
        if (parse_long(arg, numeric[which].min, numeric[which].max, &value) != 0)
            return usage(options, "bad value for", flag);
        i++;
        switch (which) {
        case 0: options->threads = (int)value; break;
        case 1: options->ops = value; break;
        case 2: options->devices = (int)value; break;
        case 3: options->seed = (unsigned long long)value; break;
        case 4: options->oom_device = (int)value; break;
        case 5: options->keep = (int)value; break;
        case 6: options->expect_oom_min = value; break;
        }
    }
    return 0;
}
