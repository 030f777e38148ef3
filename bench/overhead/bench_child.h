/* What the overhead benchmarks share: running themselves as a child process
 * with or without the shim preloaded, and medians. */
#ifndef STORMLOG_BENCH_CHILD_H
#define STORMLOG_BENCH_CHILD_H

#include <stddef.h>
#include <stdint.h>

/* Runs argv[0] with argv, in our environment minus LD_PRELOAD and
 * STORMLOG_OUTPUT_DIR, plus LD_PRELOAD=shim (when not NULL),
 * STORMLOG_OUTPUT_DIR=out_dir and the NULL-terminated extra_env. The child's
 * stdout (its first read, at most out_cap - 1 bytes) goes to out when not
 * NULL. Returns the wall-clock ns from spawn to exit, or -1 when it could not
 * run, failed, or printed nothing where out was asked. */
int64_t bench_run_child(char *const *argv, const char *shim, const char *out_dir, const char *const *extra_env,
                        char *out, size_t out_cap);

/* The options both benchmarks take:
 *   [--shim PATH] [--pairs N] [--repeats R] [--threads T,T..]
 * o holds the defaults on entry. Returns 0, or 2 after a usage line. */
typedef struct bench_options {
    const char *shim;
    long pairs;
    int repeats;
    int threads[8];
    int thread_count;
} bench_options;
int bench_parse_options(int argc, char **argv, int max_repeats, bench_options *o);

/* This program's path (for running itself), false when unknown. */
int bench_self_path(char *out, size_t cap);

/* $TMPDIR, else /tmp: where the runs' sink directories go. */
const char *bench_tmpdir(void);

/* Sorts v and returns its median. */
double bench_median(double *v, int n);

#endif
