/* What the overhead benchmarks share: running themselves as a child process
 * with or without the shim preloaded, and medians. */
#ifndef STORMLOG_BENCH_CHILD_H
#define STORMLOG_BENCH_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>

/* clock_gettime(clock) in nanoseconds. */
int64_t bench_clock_ns(clockid_t clock);

/* rm -rf dir (a run's sink directory). */
int bench_remove_tree(const char *dir);

/* One allocating thread of a child: fn sets cpu_ns (thread CPU time of its
 * measured pairs) and failed. */
typedef struct bench_worker {
    pthread_t thread;
    int64_t cpu_ns;
    int failed;
} bench_worker;
#define BENCH_MAX_THREADS 64

/* Runs fn on `threads` threads (each given its bench_worker), joins them
 * and prints "cpu_ns wall_ns" per pair: CPU ns of one pair on one thread,
 * wall ns per pair overall. 0, or 1 when a thread failed or did not start. */
int bench_run_workers(int threads, long pairs, void *(*fn)(void *));

/* Runs argv[0] with argv, in our environment minus LD_PRELOAD and
 * STORMLOG_OUTPUT_DIR, plus LD_PRELOAD=shim (when not NULL),
 * STORMLOG_OUTPUT_DIR=out_dir and the NULL-terminated extra_env. The child's
 * stdout (up to end of file, at most out_cap - 1 bytes) goes to out when not
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
