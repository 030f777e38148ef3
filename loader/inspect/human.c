/* Figures for people. Tables round; --json never does, so nothing a program
 * reads passes through here. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

/* |v| without overflow at INT64_MIN. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
}

static void put_bytes(uint64_t b, const char *sign, char out[CLI_FIGURE_MAX])
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (b < 1024) {
        snprintf(out, CLI_FIGURE_MAX, "%s%" PRIu64 " B", sign, b);
        return;
    }
    double v = (double)b / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024.0;
        u++;
    }
    /* Three significant digits read well in a column: 1.50 KiB, 12.5 MiB, 512 GiB. */
    int decimals = v < 10.0 ? 2 : v < 100.0 ? 1 : 0;
    snprintf(out, CLI_FIGURE_MAX, "%s%.*f %s", sign, decimals, v, units[u]);
}

const char *cli_bytes(int64_t bytes, char out[CLI_FIGURE_MAX])
{
    put_bytes(magnitude(bytes), bytes < 0 ? "-" : "", out);
    return out;
}

const char *cli_bytes_signed(int64_t bytes, char out[CLI_FIGURE_MAX])
{
    put_bytes(magnitude(bytes), bytes < 0 ? "-" : "+", out);
    return out;
}

const char *cli_duration(int64_t ns, char out[CLI_FIGURE_MAX])
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t v = magnitude(ns);
    if (v < 1000u)
        snprintf(out, CLI_FIGURE_MAX, "%s%" PRIu64 " ns", sign, v);
    else if (v < 1000000u)
        snprintf(out, CLI_FIGURE_MAX, "%s%.1f us", sign, (double)v / 1e3);
    else if (v < 1000000000u)
        snprintf(out, CLI_FIGURE_MAX, "%s%.2f ms", sign, (double)v / 1e6);
    else if (v < UINT64_C(60000000000))
        snprintf(out, CLI_FIGURE_MAX, "%s%.2f s", sign, (double)v / 1e9);
    else if (v < UINT64_C(3600000000000)) {
        uint64_t s = v / 1000000000u;
        snprintf(out, CLI_FIGURE_MAX, "%s%" PRIu64 "m%02" PRIu64 "s", sign, s / 60, s % 60);
    } else {
        uint64_t m = v / UINT64_C(60000000000);
        snprintf(out, CLI_FIGURE_MAX, "%s%" PRIu64 "h%02" PRIu64 "m", sign, m / 60, m % 60);
    }
    return out;
}

const char *cli_timestamp(int64_t ns, char out[CLI_FIGURE_MAX])
{
    /* Floor division, so that a (legal) negative time still prints a real
     * instant rather than garbage milliseconds. */
    int64_t sec = ns / 1000000000;
    int64_t rem = ns % 1000000000;
    if (rem < 0) {
        rem += 1000000000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, CLI_FIGURE_MAX, "%" PRId64 " ns", ns);
        return out;
    }
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, CLI_FIGURE_MAX, "%s.%03dZ", day, (int)(rem / 1000000));
    return out;
}

const char *cli_plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}
