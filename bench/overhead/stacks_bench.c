/* stacks_bench: what call stacks add to an allocation (issue 16).
 *
 * The same workload runs as child processes bare, and with the shim under
 * STORMLOG_STACKS=off, native, python and all, alternating within each
 * repeat; medians over repeats. Two workloads:
 *   C       T threads, each N cudaMalloc + cudaFree pairs DEPTH calls below
 *           its thread function (a C program's stack: native frames only);
 *   Python  T Python threads doing the same through ctypes.PyDLL at DEPTH
 *           Python frames (stacks_bench_child.py).
 * Figures are thread-CPU nanoseconds per pair (overhead_bench's measure);
 * a free takes no stack, so "added" is the cost per allocation. Each pair is
 * a call site already interned after the warm-up: the steady cost. Frames
 * per stack are STORMLOG_STACK_DEPTH's default (32) unless our environment
 * sets it.
 *
 *   stacks_bench [--shim PATH] [--pairs N] [--repeats R] [--threads T,T..] [--depth D]
 *   stacks_bench --child T N D   (one C measurement; prints "cpu_ns wall_ns")
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_child.h"

typedef unsigned int cudaError_t;
cudaError_t cudaMalloc(void **ptr, size_t size);
cudaError_t cudaFree(void *ptr);

#define MAX_THREADS BENCH_MAX_THREADS
#define MAX_REPEATS 101
#define MODES 5

static const char *const mode_names[MODES] = {"bare", "off", "native", "python", "all"};

static long pairs_per_thread;
static int call_depth;

static __attribute__((noinline)) void pairs_loop(bench_worker *w, long n)
{
    void *p = NULL;
    for (long i = 0; i < n; i++)
        if (cudaMalloc(&p, 256 + (size_t)(i & 1023)) != 0 || cudaFree(p) != 0)
            w->failed = 1;
}

/* Goes depth calls down before the loop (not a tail call: the frames stay). */
static __attribute__((noinline)) int at_depth(bench_worker *w, int depth)
{
    if (depth > 0)
        return at_depth(w, depth - 1) + 1;
    pairs_loop(w, 1000); /* warm up */
    int64_t start = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    pairs_loop(w, pairs_per_thread);
    w->cpu_ns = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - start;
    return 0;
}

static void *run(void *arg)
{
    at_depth(arg, call_depth);
    return NULL;
}

static int child_main(int threads, long pairs, int depth)
{
    pairs_per_thread = pairs;
    call_depth = depth;
    return bench_run_workers(threads, pairs, run);
}

static int measure(char *const *argv, const char *shim, int mode, const char *out_dir, double *cpu)
{
    char stacks[64];
    snprintf(stacks, sizeof stacks, "STORMLOG_STACKS=%s", mode_names[mode]);
    const char *const extra[] = {"STORMLOG_RETENTION_FILES=1000000", stacks, NULL};
    char buf[256];
    double wall;
    if (bench_run_child(argv, mode == 0 ? NULL : shim, out_dir, extra, buf, sizeof buf) < 0 ||
        sscanf(buf, "%lf %lf", cpu, &wall) != 2)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--child") == 0)
        return child_main(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));

    int depth = 16;
    /* --depth is ours; the rest are the shared options. */
    char *rest[64];
    int n = 0;
    for (int i = 0; i < argc && n < 63; i++) {
        if (strcmp(argv[i], "--depth") == 0 && i + 1 < argc)
            depth = atoi(argv[++i]);
        else
            rest[n++] = argv[i];
    }
    rest[n] = NULL;
    bench_options o = {STORMLOG_SHIM_PATH, 100000, 7, {1, 8}, 2};
    if (bench_parse_options(n, rest, MAX_REPEATS, &o) != 0 || depth < 0 || depth > 200)
        return 2;
    char self[4096];
    if (!bench_self_path(self, sizeof self))
        return 1;
    const char *tmp = bench_tmpdir();
    printf("stacks_bench: thread-CPU ns per cudaMalloc+cudaFree pair, median of %d runs; %d frames below the "
           "thread's entry\n",
           o.repeats, depth);
    printf("%-7s %7s %9s %9s %9s %9s %9s   added to off: native python all\n", "program", "threads", "bare",
           "off", "native", "python", "all");
    for (int kind = 0; kind < 2; kind++) {
        for (int t = 0; t < o.thread_count; t++) {
            int threads = o.threads[t];
            if (threads < 1 || threads > MAX_THREADS)
                continue;
            /* The Python child does fewer pairs: each costs a ctypes call. */
            long pairs = kind == 0 ? o.pairs : o.pairs / 4;
            char threads_arg[16], pairs_arg[32], depth_arg[16];
            snprintf(threads_arg, sizeof threads_arg, "%d", threads);
            snprintf(pairs_arg, sizeof pairs_arg, "%ld", pairs);
            snprintf(depth_arg, sizeof depth_arg, "%d", depth);
            char *c_argv[] = {self, "--child", threads_arg, pairs_arg, depth_arg, NULL};
            char *py_argv[] = {STORMLOG_PYTHON, STORMLOG_STACKS_CHILD_PY, STORMLOG_CUDART_DOUBLE, threads_arg,
                               pairs_arg, depth_arg, NULL};
            double v[MODES][MAX_REPEATS];
            for (int r = 0; r < o.repeats; r++) {
                for (int m = 0; m < MODES; m++) {
                    char dir[4096];
                    snprintf(dir, sizeof dir, "%s/stormlog-stacks-bench-%d-%d-%d-%d", tmp, (int)getpid(), threads,
                             r, m);
                    if (measure(kind == 0 ? c_argv : py_argv, o.shim, m, dir, &v[m][r]) != 0) {
                        fprintf(stderr, "stacks_bench: a %s run failed\n", mode_names[m]);
                        return 1;
                    }
                    bench_remove_tree(dir);
                }
            }
            double med[MODES];
            for (int m = 0; m < MODES; m++)
                med[m] = bench_median(v[m], o.repeats);
            printf("%-7s %7d %9.1f %9.1f %9.1f %9.1f %9.1f   %+8.1f %+8.1f %+8.1f\n", kind == 0 ? "C" : "Python",
                   threads, med[0], med[1], med[2], med[3], med[4], med[2] - med[1], med[3] - med[1],
                   med[4] - med[1]);
        }
    }
    return 0;
}
