/* clock_bench: what one timestamp costs on this machine, the floor under
 * the shim's steady cost (two events a cudaMalloc + cudaFree pair, a
 * timestamp each; docs/shim.md, "Cost").
 *
 *   clock_bench [--calls N] [--repeats R]
 *
 * Prints the kernel's clocksource (the shim reads the TSC only where it is
 * `tsc`, shim/core/clock/wallclock.c) and, medians of R runs of N calls:
 * clock_gettime(CLOCK_REALTIME) (the shim's clock elsewhere), rdtsc on
 * x86-64, and CLOCK_REALTIME_COARSE for scale (too coarse for events). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#define MAX_REPEATS 101

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile uint64_t sink;

static double per_call(int which, long calls)
{
    int64_t start = now_ns(CLOCK_MONOTONIC);
    uint64_t acc = 0;
    for (long i = 0; i < calls; i++) {
        switch (which) {
        case 0:
            acc += (uint64_t)now_ns(CLOCK_REALTIME);
            break;
        case 1:
#if defined(__x86_64__)
            acc += __rdtsc();
#endif
            break;
        default:
            acc += (uint64_t)now_ns(CLOCK_REALTIME_COARSE);
            break;
        }
    }
    sink = acc;
    return (double)(now_ns(CLOCK_MONOTONIC) - start) / (double)calls;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long calls = 2000000;
    int repeats = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
            calls = atol(argv[++i]);
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: clock_bench [--calls N] [--repeats R]\n");
            return 2;
        }
    }
    if (calls < 1 || repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "clock_bench: --calls >= 1, --repeats 1..%d\n", MAX_REPEATS);
        return 2;
    }
    char source[64] = "unknown";
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (f) {
        if (fgets(source, sizeof source, f))
            source[strcspn(source, "\n")] = '\0';
        fclose(f);
    }
    printf("clock_bench: clocksource %s (the shim reads the TSC only on 'tsc'), medians of %d x %ld calls\n",
           source, repeats, calls);
    static const char *const names[] = {"clock_gettime(CLOCK_REALTIME)", "rdtsc", "clock_gettime(CLOCK_REALTIME_COARSE)"};
    for (int which = 0; which < 3; which++) {
#if !defined(__x86_64__)
        if (which == 1)
            continue;
#endif
        double runs[MAX_REPEATS];
        for (int r = 0; r < repeats; r++)
            runs[r] = per_call(which, calls);
        qsort(runs, (size_t)repeats, sizeof runs[0], by_value);
        printf("%-40s %6.1f ns\n", names[which], runs[repeats / 2]);
    }
    return 0;
}
