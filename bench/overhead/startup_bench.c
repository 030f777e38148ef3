/* startup_bench: what a user feels of the shim, beside the bare program, in
 * one loop (alternating bare and shim runs, medians of the repeats):
 *
 *   first cudaMalloc    the process's first call, where the session starts
 *                       (with T threads: each thread's first call, at once;
 *                       the slowest and the median thread are reported)
 *   steady, 1st second  CPU ns per cudaMalloc + cudaFree pair, 30,000 pairs
 *                       per thread right after 1,000 warm ones
 *   steady, after 1 s   the same once 1.2 s have passed since the first call
 *   peak RSS            VmHWM at the end
 *   one-allocation      wall time of a whole process that makes one
 *   process             cudaMalloc + cudaFree and exits
 *
 *   startup_bench [--shim PATH] [--repeats R] [--threads T,T..] [--pairs N]
 *   startup_bench --child T N      (one run; prints the figures)
 *   startup_bench --one            (the one-allocation program)
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

#define MAX_THREADS 64
#define MAX_REPEATS 101
#define FIGURES 5 /* first call us (slowest thread, median thread), first-second ns, later ns, VmHWM KiB */

typedef struct worker {
    pthread_t thread;
    long pairs;
    pthread_barrier_t *go;
    int64_t first_ns, early_cpu_ns, late_cpu_ns;
    int64_t t0;
    int failed;
} worker;

static int64_t pairs_cpu(worker *w)
{
    void *p = NULL;
    int64_t start = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < w->pairs; i++)
        if (cudaMalloc(&p, 256 + (size_t)(i & 1023)) != 0 || cudaFree(p) != 0)
            w->failed = 1;
    return bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - start;
}

static void *run(void *arg)
{
    worker *w = arg;
    void *p = NULL;
    pthread_barrier_wait(w->go);
    int64_t a = bench_clock_ns(CLOCK_MONOTONIC);
    if (cudaMalloc(&p, 256) != 0)
        w->failed = 1;
    w->first_ns = bench_clock_ns(CLOCK_MONOTONIC) - a;
    cudaFree(p);
    for (int i = 0; i < 1000; i++)
        if (cudaMalloc(&p, 256) != 0 || cudaFree(p) != 0)
            w->failed = 1;
    w->early_cpu_ns = pairs_cpu(w);
    int64_t wake = w->t0 + 1200000000LL - bench_clock_ns(CLOCK_MONOTONIC);
    if (wake > 0) {
        struct timespec ts = {wake / 1000000000LL, wake % 1000000000LL};
        nanosleep(&ts, NULL);
    }
    w->late_cpu_ns = pairs_cpu(w);
    return NULL;
}

static long vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

static int child_main(int threads, long pairs)
{
    worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
    int64_t t0 = bench_clock_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < threads; i++) {
        w[i].pairs = pairs;
        w[i].go = &go;
        w[i].t0 = t0;
        if (pthread_create(&w[i].thread, NULL, run, &w[i]) != 0)
            return 1;
    }
    pthread_barrier_wait(&go);
    int64_t early = 0, late = 0;
    double firsts[MAX_THREADS];
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        firsts[i] = (double)w[i].first_ns / 1000.0;
        early += w[i].early_cpu_ns;
        late += w[i].late_cpu_ns;
        failed |= w[i].failed;
    }
    if (failed)
        return 1;
    double per = (double)threads * (double)pairs;
    double slowest = 0;
    for (int i = 0; i < threads; i++)
        slowest = firsts[i] > slowest ? firsts[i] : slowest;
    printf("%.1f %.1f %.2f %.2f %ld\n", slowest, bench_median(firsts, threads), (double)early / per, (double)late / per,
           vm_hwm_kib());
    return 0;
}

static int one_main(void)
{
    void *p = NULL;
    return cudaMalloc(&p, 256) != 0 || cudaFree(p) != 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child_main(atoi(argv[2]), atol(argv[3]));
    if (argc == 2 && strcmp(argv[1], "--one") == 0)
        return one_main();

    bench_options o = {STORMLOG_SHIM_PATH, 30000, 7, {1, 8}, 2};
    if (bench_parse_options(argc, argv, MAX_REPEATS, &o) != 0)
        return 2;
    char self[4096];
    if (!bench_self_path(self, sizeof self))
        return 1;
    const char *tmp = bench_tmpdir();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/stormlog-startup-%d", tmp, (int)getpid());

    printf("startup_bench: medians of %d alternating runs, %ld pairs per thread per phase, shim %s\n", o.repeats,
           o.pairs, o.shim);
    printf("%-38s %7s %12s %12s %12s\n", "figure", "threads", "bare", "shim", "added");
    static const char *const names[FIGURES + 1] = {
        "first cudaMalloc, slowest thread (us)", "first cudaMalloc, median thread (us)", "steady ns/pair, first second", "steady ns/pair, after 1 s", "peak RSS (KiB)",
        "one-allocation process (ms)",
    };
    for (int t = 0; t < o.thread_count; t++) {
        int threads = o.threads[t];
        if (threads < 1 || threads > MAX_THREADS)
            continue;
        char threads_arg[16], pairs_arg[32];
        snprintf(threads_arg, sizeof threads_arg, "%d", threads);
        snprintf(pairs_arg, sizeof pairs_arg, "%ld", o.pairs);
        char *child_args[] = {self, "--child", threads_arg, pairs_arg, NULL};
        char *one_args[] = {self, "--one", NULL};
        static double bare[FIGURES + 1][MAX_REPEATS], with[FIGURES + 1][MAX_REPEATS];
        for (int r = 0; r < o.repeats; r++) {
            for (int side = 0; side < 2; side++) {
                const char *use = side ? o.shim : NULL;
                double(*into)[MAX_REPEATS] = side ? with : bare;
                char line[256];
                double f[FIGURES];
                if (bench_run_child(child_args, use, dir, NULL, line, sizeof line) < 0
                    || sscanf(line, "%lf %lf %lf %lf %lf", &f[0], &f[1], &f[2], &f[3], &f[4]) != FIGURES) {
                    fprintf(stderr, "startup_bench: a run failed\n");
                    return 1;
                }
                for (int k = 0; k < FIGURES; k++)
                    into[k][r] = f[k];
                int64_t wall = bench_run_child(one_args, use, dir, NULL, NULL, 0);
                if (wall < 0) {
                    fprintf(stderr, "startup_bench: a one-allocation run failed\n");
                    return 1;
                }
                into[FIGURES][r] = (double)wall / 1e6;
                char cmd[4200];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
                if (system(cmd) != 0)
                    return 1;
            }
        }
        for (int k = 0; k <= FIGURES; k++) {
            double b = bench_median(bare[k], o.repeats), s = bench_median(with[k], o.repeats);
            printf("%-38s %7d %12.1f %12.1f %12.1f\n", names[k], threads, b, s, s - b);
        }
    }
    return 0;
}
