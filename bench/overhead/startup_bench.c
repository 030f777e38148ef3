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
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef unsigned int cudaError_t;
cudaError_t cudaMalloc(void **ptr, size_t size);
cudaError_t cudaFree(void *ptr);

extern char **environ;

#define MAX_THREADS 64
#define MAX_REPEATS 101
#define FIGURES 5 /* first call us (slowest thread, median thread), first-second ns, later ns, VmHWM KiB */

static int64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

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
    int64_t start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < w->pairs; i++)
        if (cudaMalloc(&p, 256 + (size_t)(i & 1023)) != 0 || cudaFree(p) != 0)
            w->failed = 1;
    return clock_ns(CLOCK_THREAD_CPUTIME_ID) - start;
}

static void *run(void *arg)
{
    worker *w = arg;
    void *p = NULL;
    pthread_barrier_wait(w->go);
    int64_t a = clock_ns(CLOCK_MONOTONIC);
    if (cudaMalloc(&p, 256) != 0)
        w->failed = 1;
    w->first_ns = clock_ns(CLOCK_MONOTONIC) - a;
    cudaFree(p);
    for (int i = 0; i < 1000; i++)
        if (cudaMalloc(&p, 256) != 0 || cudaFree(p) != 0)
            w->failed = 1;
    w->early_cpu_ns = pairs_cpu(w);
    int64_t wake = w->t0 + 1200000000LL - clock_ns(CLOCK_MONOTONIC);
    if (wake > 0) {
        struct timespec ts = {wake / 1000000000LL, wake % 1000000000LL};
        nanosleep(&ts, NULL);
    }
    w->late_cpu_ns = pairs_cpu(w);
    return NULL;
}

static double median(double *v, int n);

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
    int64_t t0 = clock_ns(CLOCK_MONOTONIC);
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
    printf("%.1f %.1f %.2f %.2f %ld\n", slowest, median(firsts, threads), (double)early / per, (double)late / per,
           vm_hwm_kib());
    return 0;
}

static int one_main(void)
{
    void *p = NULL;
    return cudaMalloc(&p, 256) != 0 || cudaFree(p) != 0;
}

/* Spawns self with args, with or without the shim; returns wall ns, and
 * the child's first stdout line in out (may be NULL). -1 on failure. */
static int64_t spawn(const char *self, const char *shim, char *const *args, const char *out_dir, char *out,
                     size_t out_cap)
{
    char preload[4200], output[4200];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim ? shim : "");
    snprintf(output, sizeof output, "STORMLOG_OUTPUT_DIR=%s", out_dir);
    char *env[512];
    size_t n = 0;
    for (char **e = environ; *e != NULL && n < 500; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "STORMLOG_OUTPUT_DIR=", 20) != 0)
            env[n++] = *e;
    if (shim)
        env[n++] = preload;
    env[n++] = output;
    env[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    pid_t pid;
    int64_t start = clock_ns(CLOCK_MONOTONIC);
    int rc = posix_spawn(&pid, self, &actions, NULL, args, env);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    char buf[256] = {0};
    ssize_t got = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    int64_t wall = clock_ns(CLOCK_MONOTONIC) - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    if (out) {
        if (got <= 0)
            return -1;
        snprintf(out, out_cap, "%s", buf);
    }
    return wall;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child_main(atoi(argv[2]), atol(argv[3]));
    if (argc == 2 && strcmp(argv[1], "--one") == 0)
        return one_main();

    const char *shim = STORMLOG_SHIM_PATH;
    int repeats = 7;
    long pairs = 30000;
    int thread_counts[8] = {1, 8};
    int thread_count_n = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--shim") == 0) {
            shim = argv[i + 1];
        } else if (strcmp(argv[i], "--repeats") == 0) {
            repeats = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--pairs") == 0) {
            pairs = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--threads") == 0) {
            thread_count_n = 0;
            for (char *tok = strtok(argv[i + 1], ","); tok && thread_count_n < 8; tok = strtok(NULL, ","))
                thread_counts[thread_count_n++] = atoi(tok);
        } else {
            fprintf(stderr, "usage: %s [--shim PATH] [--repeats R] [--threads T,T..] [--pairs N]\n", argv[0]);
            return 2;
        }
    }
    if (repeats < 1 || repeats > MAX_REPEATS || pairs < 1) {
        fprintf(stderr, "startup_bench: bad --repeats or --pairs\n");
        return 2;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return 1;
    self[len] = '\0';
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/stormlog-startup-%d", tmp, (int)getpid());

    printf("startup_bench: medians of %d alternating runs, %ld pairs per thread per phase, shim %s\n", repeats, pairs,
           shim);
    printf("%-38s %7s %12s %12s %12s\n", "figure", "threads", "bare", "shim", "added");
    static const char *const names[FIGURES + 1] = {
        "first cudaMalloc, slowest thread (us)", "first cudaMalloc, median thread (us)", "steady ns/pair, first second", "steady ns/pair, after 1 s", "peak RSS (KiB)",
        "one-allocation process (ms)",
    };
    for (int t = 0; t < thread_count_n; t++) {
        int threads = thread_counts[t];
        if (threads < 1 || threads > MAX_THREADS)
            continue;
        char threads_arg[16], pairs_arg[32];
        snprintf(threads_arg, sizeof threads_arg, "%d", threads);
        snprintf(pairs_arg, sizeof pairs_arg, "%ld", pairs);
        char *child_args[] = {self, "--child", threads_arg, pairs_arg, NULL};
        char *one_args[] = {self, "--one", NULL};
        static double bare[FIGURES + 1][MAX_REPEATS], with[FIGURES + 1][MAX_REPEATS];
        for (int r = 0; r < repeats; r++) {
            for (int side = 0; side < 2; side++) {
                const char *use = side ? shim : NULL;
                double(*into)[MAX_REPEATS] = side ? with : bare;
                char line[256];
                double f[FIGURES];
                if (spawn(self, use, child_args, dir, line, sizeof line) < 0
                    || sscanf(line, "%lf %lf %lf %lf %lf", &f[0], &f[1], &f[2], &f[3], &f[4]) != FIGURES) {
                    fprintf(stderr, "startup_bench: a run failed\n");
                    return 1;
                }
                for (int k = 0; k < FIGURES; k++)
                    into[k][r] = f[k];
                int64_t wall = spawn(self, use, one_args, dir, NULL, 0);
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
            double b = median(bare[k], repeats), s = median(with[k], repeats);
            printf("%-38s %7d %12.1f %12.1f %12.1f\n", names[k], threads, b, s, s - b);
        }
    }
    return 0;
}
