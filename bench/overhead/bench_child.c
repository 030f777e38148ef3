#define _GNU_SOURCE
#include "bench_child.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int64_t bench_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t monotonic_ns(void)
{
    return bench_clock_ns(CLOCK_MONOTONIC);
}

int bench_remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

int64_t bench_run_child(char *const *argv, const char *shim, const char *out_dir, const char *const *extra_env,
                        char *out, size_t out_cap)
{
    char preload[4200], output[4200];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim ? shim : "");
    snprintf(output, sizeof output, "STORMLOG_OUTPUT_DIR=%s", out_dir);
    char *env[512];
    size_t n = 0;
    for (char **e = environ; *e != NULL && n < 480; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "STORMLOG_OUTPUT_DIR=", 20) != 0)
            env[n++] = *e;
    if (shim != NULL)
        env[n++] = preload;
    env[n++] = output;
    for (size_t i = 0; extra_env && extra_env[i] && n < 510; i++)
        env[n++] = (char *)extra_env[i];
    env[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    pid_t pid;
    int64_t start = monotonic_ns();
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, argv, env);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    /* Until end of file: a child's output may come in more than one write,
     * and closing early would kill it with SIGPIPE. */
    char buf[256] = {0};
    ssize_t got = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf + got, sizeof buf - 1 - (size_t)got);
        if (r > 0 && (size_t)(got + r) < sizeof buf - 1) {
            got += r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r > 0)
            got += r;
        break;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    int64_t wall = monotonic_ns() - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    if (out != NULL) {
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

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_parse_options(int argc, char **argv, int max_repeats, bench_options *o)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--shim") == 0) {
            o->shim = argv[i + 1];
        } else if (strcmp(argv[i], "--pairs") == 0) {
            o->pairs = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--repeats") == 0) {
            o->repeats = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--threads") == 0) {
            o->thread_count = 0;
            for (char *tok = strtok(argv[i + 1], ","); tok && o->thread_count < 8; tok = strtok(NULL, ","))
                o->threads[o->thread_count++] = atoi(tok);
        } else {
            fprintf(stderr, "usage: %s [--shim PATH] [--pairs N] [--repeats R] [--threads T,T..]\n", argv[0]);
            return 2;
        }
    }
    if ((argc - 1) % 2 != 0 || o->repeats < 1 || o->repeats > max_repeats || o->pairs < 1) {
        fprintf(stderr, "%s: bad arguments, --repeats (1..%d) or --pairs\n", argv[0], max_repeats);
        return 2;
    }
    return 0;
}

int bench_self_path(char *out, size_t cap)
{
    ssize_t len = readlink("/proc/self/exe", out, cap - 1);
    if (len <= 0)
        return 0;
    out[len] = '\0';
    return 1;
}

const char *bench_tmpdir(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp != NULL ? tmp : "/tmp";
}

int bench_run_workers(int threads, long pairs, void *(*fn)(void *))
{
    bench_worker workers[BENCH_MAX_THREADS];
    memset(workers, 0, sizeof workers);
    if (threads < 1 || threads > BENCH_MAX_THREADS)
        return 1;
    int64_t wall_start = bench_clock_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < threads; i++)
        if (pthread_create(&workers[i].thread, NULL, fn, &workers[i]) != 0)
            return 1;
    int64_t cpu = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        cpu += workers[i].cpu_ns;
        failed |= workers[i].failed;
    }
    int64_t wall = bench_clock_ns(CLOCK_MONOTONIC) - wall_start;
    if (failed)
        return 1;
    printf("%.2f %.2f\n", (double)cpu / ((double)threads * (double)pairs),
           (double)wall / ((double)threads * (double)pairs));
    return 0;
}
