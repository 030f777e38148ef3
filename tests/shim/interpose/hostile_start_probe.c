/* hostile_start_probe: the first allocation where the session starts in
 * conditions a program may create (issue 13, points 3 and 4).
 *
 *   hostile_start_probe stack KIB    a thread with a KIB KiB stack makes the
 *                                    process's first cudaMalloc + cudaFree
 *   hostile_start_probe dead KIB     the same, after planting a dead writer's
 *                                    rank directory (a `running` session, a
 *                                    segment with a torn tail) where this
 *                                    process records
 *   hostile_start_probe fifo         a FIFO named manifest.json in that
 *                                    directory, then 8 threads allocate
 *
 * The rank directory is $STORMLOG_OUTPUT_DIR/local/rank-00000-<host>-<pid>
 * (sink_dir.c: the host with [^A-Za-z0-9._-] as '_'). Prints "DONE n" with
 * the number of allocations made, and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu_api.h"

static void rank_dir(char *out, size_t cap)
{
    char host[256] = "unknown";
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "unknown");
    host[64] = '\0';
    for (size_t i = 0; host[i]; i++) {
        char c = host[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_' || (c == '.' && i > 0);
        if (!keep)
            host[i] = '_';
    }
    const char *root = getenv("STORMLOG_OUTPUT_DIR");
    snprintf(out, cap, "%s/local/rank-00000-%s-%d", root ? root : "./stormlog-out", host, (int)getpid());
}

static void make_dirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        perror("mkdir");
        exit(2);
    }
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

static void plant_dead_writer(void)
{
    char dir[4096];
    rank_dir(dir, sizeof dir);
    make_dirs(dir);
    put(dir, "manifest.json",
        "{\"schema_version\": 2, \"format\": \"stormlog.append_only_telemetry_sink\", \"sessions\": ["
        "{\"session_id\": \"dead\", \"status\": \"running\", \"started_at_ns\": 10, \"ended_at_ns\": null,"
        " \"host\": \"h\", \"pid\": 1, \"job_id\": null, \"rank\": 0, \"local_rank\": 0, \"world_size\": 1,"
        " \"source\": \"stormlog.cuda_shim\"}],"
        " \"segments\": [{\"filename\": \"segment-000001.jsonl\", \"event_count\": 0, \"size_bytes\": 10,"
        " \"closed\": false, \"session_id\": \"dead\"}]}\n");
    /* Blank lines (the scan reads them all; readers skip them), the last
     * one torn: the reopening writer cuts it. */
    char path[4200];
    snprintf(path, sizeof path, "%s/segment-000001.jsonl", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 2000 && f; i++)
        fprintf(f, "%64s\n", "");
    if (!f || fputs("{\"torn", f) < 0 || fclose(f) != 0)
        exit(2);
}

static void plant_fifo(void)
{
    char dir[4096], path[4200];
    rank_dir(dir, sizeof dir);
    make_dirs(dir);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (mkfifo(path, 0600) != 0) {
        perror("mkfifo");
        exit(2);
    }
}

static void *allocate(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        void *p = NULL;
        if (cudaMalloc(&p, 4096) != 0 || cudaFree(p) != 0) {
            fprintf(stderr, "hostile_start_probe: allocation failed\n");
            exit(1);
        }
    }
    return NULL;
}

static void run_threads(int threads, size_t stack_bytes, long each)
{
    pthread_t th[8];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_bytes && pthread_attr_setstacksize(&attr, stack_bytes) != 0) {
        fprintf(stderr, "hostile_start_probe: stack of %zu bytes refused\n", stack_bytes);
        exit(2);
    }
    for (int i = 0; i < threads; i++)
        if (pthread_create(&th[i], &attr, allocate, (void *)each) != 0)
            exit(2);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    pthread_attr_destroy(&attr);
    printf("DONE %ld\n", threads * each);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "stack") == 0) {
        run_threads(1, (size_t)atoi(argv[2]) * 1024, 1);
    } else if (argc >= 3 && strcmp(argv[1], "dead") == 0) {
        plant_dead_writer();
        run_threads(1, (size_t)atoi(argv[2]) * 1024, 1);
    } else if (argc >= 2 && strcmp(argv[1], "fifo") == 0) {
        plant_fifo();
        run_threads(8, 0, 100);
    } else {
        fprintf(stderr, "usage: %s stack KIB | dead KIB | fifo\n", argv[0]);
        return 2;
    }
    return 0;
}
