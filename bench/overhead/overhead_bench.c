/* overhead_bench: what the shim adds to one allocation + free pair.
 *
 * The same workload - T threads, each doing N cudaMalloc + cudaFree pairs
 * against the runtime double (whose own call costs a few nanoseconds, so the
 * shim's share is visible) - runs as child processes with and without
 * LD_PRELOAD=libstormlog_shim.so, alternating, R times each; the medians are
 * compared. Cost per pair is the CPU time of the allocating threads divided
 * by their pairs (CLOCK_THREAD_CPUTIME_ID), so that 8 threads on a 2-core
 * machine are not charged for waiting on a core; wall-clock throughput is
 * printed too. The shim records as it would in production (default ring, or
 * STORMLOG_RING_CAPACITY from our environment): every pair is two events
 * through the ring to a sink directory under $TMPDIR, and the events the ring
 * had to drop are reported (a dropped event costs less than a written one, so
 * a run with drops understates the cost).
 *
 *   overhead_bench [--shim PATH] [--pairs N] [--repeats R] [--threads T,T..]
 *   overhead_bench --child T N      (one measurement; prints "cpu_ns wall_ns")
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
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
cudaError_t cudaSetDevice(int device);

#define MAX_THREADS BENCH_MAX_THREADS
#define MAX_REPEATS 101

static long pairs_per_thread;

static void *run_pairs(void *arg)
{
    bench_worker *w = arg;
    void *p = NULL;
    /* Warm up: resolution, the session start, the thread's first event. */
    for (int i = 0; i < 1000; i++)
        if (cudaMalloc(&p, 256) != 0 || cudaFree(p) != 0)
            w->failed = 1;
    int64_t start = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < pairs_per_thread; i++) {
        if (cudaMalloc(&p, 256 + (size_t)(i & 1023)) != 0 || cudaFree(p) != 0)
            w->failed = 1;
    }
    w->cpu_ns = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - start;
    return NULL;
}

static int child_main(int threads, long pairs)
{
    pairs_per_thread = pairs;
    if (cudaSetDevice(0) != 0)
        return 1;
    return bench_run_workers(threads, pairs, run_pairs);
}

/* The largest "dropped_events_total": N in the sink under dir (0 if none). */
static long long dropped_events(const char *dir)
{
    long long best = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) {
            long long sub = dropped_events(path);
            best = sub > best ? sub : best;
        } else if (strncmp(e->d_name, "segment-", 8) == 0) {
            FILE *f = fopen(path, "r");
            char line[8192];
            while (f != NULL && fgets(line, sizeof line, f) != NULL) {
                const char *hit = strstr(line, "\"dropped_events_total\": ");
                if (hit != NULL) {
                    long long v = atoll(hit + 24);
                    best = v > best ? v : best;
                }
            }
            if (f != NULL)
                fclose(f);
        }
    }
    closedir(d);
    return best;
}

/* Runs one child; fills cpu and wall ns per pair. */
static int measure(const char *self, const char *shim, int threads, long pairs, const char *out_dir, double *cpu,
                   double *wall)
{
    char threads_arg[16], pairs_arg[32];
    snprintf(threads_arg, sizeof threads_arg, "%d", threads);
    snprintf(pairs_arg, sizeof pairs_arg, "%ld", pairs);
    char *argv[] = {(char *)self, "--child", threads_arg, pairs_arg, NULL};
    static const char *const extra[] = {"STORMLOG_RETENTION_FILES=1000000", NULL};
    char buf[256];
    if (bench_run_child(argv, shim, out_dir, extra, buf, sizeof buf) < 0 || sscanf(buf, "%lf %lf", cpu, wall) != 2)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child_main(atoi(argv[2]), atol(argv[3]));

    bench_options o = {STORMLOG_SHIM_PATH, 200000, 7, {1, 8}, 2};
    if (bench_parse_options(argc, argv, MAX_REPEATS, &o) != 0)
        return 2;
    char self[4096];
    if (!bench_self_path(self, sizeof self))
        return 1;
    const char *tmp = bench_tmpdir();

    printf("overhead_bench: %ld pairs per thread, median of %d runs, shim %s\n", o.pairs, o.repeats, o.shim);
    printf("%7s %14s %14s %14s %8s %16s %16s %10s\n", "threads", "bare cpu ns", "shim cpu ns", "added ns",
           "ratio", "bare wall ns/op", "shim wall ns/op", "dropped");
    for (int t = 0; t < o.thread_count; t++) {
        int threads = o.threads[t];
        if (threads < 1 || threads > MAX_THREADS)
            continue;
        double bare_cpu[MAX_REPEATS], shim_cpu[MAX_REPEATS], bare_wall[MAX_REPEATS], shim_wall[MAX_REPEATS];
        long long dropped = 0;
        for (int r = 0; r < o.repeats; r++) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/stormlog-overhead-%d-%d-%d", tmp, (int)getpid(), threads, r);
            if (measure(self, NULL, threads, o.pairs, dir, &bare_cpu[r], &bare_wall[r]) != 0 ||
                measure(self, o.shim, threads, o.pairs, dir, &shim_cpu[r], &shim_wall[r]) != 0) {
                fprintf(stderr, "overhead_bench: a run failed\n");
                return 1;
            }
            long long d = dropped_events(dir);
            dropped = d > dropped ? d : dropped;
            bench_remove_tree(dir);
        }
        double bc = bench_median(bare_cpu, o.repeats), sc = bench_median(shim_cpu, o.repeats);
        printf("%7d %14.1f %14.1f %14.1f %8.2f %16.1f %16.1f %10lld\n", threads, bc, sc, sc - bc, sc / bc,
               bench_median(bare_wall, o.repeats), bench_median(shim_wall, o.repeats), dropped);
    }
    return 0;
}
