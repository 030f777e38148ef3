/* The loader benchmark. Generates a sink directory of N v3 events (~700-byte
 * lines, 10,000 per segment, a manifest), then measures, each in a child
 * process so that peak RSS is the mode's own:
 *   json-c    json_tokener_parse_ex + json_object_put per line (the ceiling)
 *   load-1    stormlog_load, one thread
 *   load-N    stormlog_load, segment-parallel on N threads
 *   stream    stormlog_stream_next over every event
 * Usage: bench_loader [events=1000000] [dir] [threads=2]
 * A dir that already holds the recording is reused. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stormlog/loader.h"

#define PER_SEGMENT 10000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t write_line(char *buf, size_t cap, long i, long segment)
{
    /* Keys sorted, as the sink writes them; about 700 bytes. */
    return (size_t)snprintf(buf, cap,
        "{\"allocator_active_bytes\": %ld, \"allocator_allocated_bytes\": %ld, "
        "\"allocator_change_bytes\": %ld, \"allocator_inactive_bytes\": 0, "
        "\"allocator_reserved_bytes\": %ld, \"collector\": \"stormlog.cuda_shim\", \"context\": null, "
        "\"device_free_bytes\": %ld, \"device_id\": %ld, \"device_total_bytes\": 85899345920, "
        "\"device_used_bytes\": %ld, \"event_type\": \"%s\", \"host\": \"gpu-node-017\", "
        "\"job_id\": \"job-42\", \"local_rank\": 1, \"metadata\": {\"api\": \"cudaMalloc\", "
        "\"ptr\": \"0x7f%010lx\", \"size\": %ld, \"tid\": %ld, \"phase_scope\": "
        "{\"name\": \"forward\", \"sequence\": %ld}}, "
        "\"pid\": 424242, \"rank\": 3, \"sampling_interval_ms\": 0, \"schema_version\": 3, "
        "\"session_id\": \"bench-session-0001\", \"timestamp_ns\": %ld, \"world_size\": 8}\n",
        i * 512, i * 4096, 4096L, i * 8192, 85899345920L - i * 4096, segment % 8, i * 4096,
        (i % 2) ? "allocation" : "free", (unsigned long)i * 64, 4096L + i % 1024, 4243 + i % 7,
        i, 1767225600000000000L + i * 1000);
}

static int generate(const char *dir, long events)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (access(path, F_OK) == 0)
        return 0;
    mkdir(dir, 0755);
    char line[2048];
    long segments = (events + PER_SEGMENT - 1) / PER_SEGMENT;
    size_t bytes = 0;
    for (long s = 0; s < segments; s++) {
        snprintf(path, sizeof path, "%s/segment-%06ld.jsonl", dir, s + 1);
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        for (long i = s * PER_SEGMENT; i < events && i < (s + 1) * PER_SEGMENT; i++) {
            size_t n = write_line(line, sizeof line, i, s);
            fwrite(line, 1, n, f);
            bytes += n;
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"schema_version\": 2, \"format\": \"stormlog.append_only_telemetry_sink\", "
               "\"sessions\": [{\"session_id\": \"bench-session-0001\", \"status\": \"completed\", "
               "\"started_at_ns\": 1767225600000000000, \"ended_at_ns\": 1767225601000000000, "
               "\"host\": \"gpu-node-017\", \"pid\": 424242, \"job_id\": null, "
               "\"rank\": 3, \"local_rank\": 1, \"world_size\": 8, \"source\": \"stormlog.telemetry_sink\"}], "
               "\"segments\": [");
    for (long s = 0; s < segments; s++)
        fprintf(f, "%s{\"filename\": \"segment-%06ld.jsonl\", \"event_count\": %d, \"size_bytes\": 0, "
                   "\"closed\": true, \"session_id\": \"bench-session-0001\"}",
                s ? ", " : "", s + 1, PER_SEGMENT);
    fprintf(f, "]}\n");
    fclose(f);
    fprintf(stderr, "generated %ld events, %.1f MB, mean line %.0f bytes\n", events, bytes / 1e6,
            (double)bytes / (double)events);
    return 0;
}

/* The ceiling: json-c parsing every line and freeing it, nothing else. */
static long bare_parse(const char *dir)
{
    long lines = 0;
    char path[4096];
    json_tokener *tok = json_tokener_new();
    char *buf = NULL;
    size_t cap = 0;
    for (long s = 1;; s++) {
        snprintf(path, sizeof path, "%s/segment-%06ld.jsonl", dir, s);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        ssize_t n;
        while ((n = getline(&buf, &cap, f)) > 0) {
            json_tokener_reset(tok);
            json_object *o = json_tokener_parse_ex(tok, buf, (int)n);
            if (o)
                lines++;
            json_object_put(o);
        }
        fclose(f);
    }
    free(buf);
    json_tokener_free(tok);
    return lines;
}

static long load_all(const char *dir, unsigned threads)
{
    stormlog_options *opts = stormlog_options_new();
    stormlog_options_set_threads(opts, threads);
    stormlog_recording *rec;
    stormlog_error *err;
    if (stormlog_load(dir, opts, &rec, &err) != STORMLOG_OK) {
        fprintf(stderr, "load: %s\n", stormlog_error_message(err));
        exit(1);
    }
    long n = (long)stormlog_recording_event_count(rec);
    stormlog_recording_free(rec);
    stormlog_options_free(opts);
    return n;
}

static long stream_all(const char *dir)
{
    stormlog_stream *st;
    stormlog_error *err;
    if (stormlog_stream_open(dir, NULL, &st, &err) != STORMLOG_OK) {
        fprintf(stderr, "stream: %s\n", stormlog_error_message(err));
        exit(1);
    }
    const stormlog_event *ev;
    long n = 0;
    int rc;
    while ((rc = stormlog_stream_next(st, &ev, &err)) == 1)
        n++;
    if (rc < 0) {
        fprintf(stderr, "stream: %s\n", stormlog_error_message(err));
        exit(1);
    }
    stormlog_stream_close(st);
    return n;
}

static void run_mode(const char *name, const char *dir, int mode, unsigned threads, double *rate_out)
{
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double t0 = now();
        long n = mode == 0 ? bare_parse(dir) : mode == 1 ? load_all(dir, threads) : stream_all(dir);
        double dt = now() - t0;
        double out[2] = {(double)n, dt};
        if (write(fds[1], out, sizeof out) != (ssize_t)sizeof out)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    double res[2] = {0, 0};
    ssize_t got = read(fds[0], res, sizeof res);
    close(fds[0]);
    int status;
    struct rusage ru;
    wait4(pid, &status, 0, &ru);
    if (got != (ssize_t)sizeof res || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s failed\n", name);
        exit(1);
    }
    double rate = res[0] / res[1];
    *rate_out = rate;
    printf("%-10s %9.0f events  %7.2f s  %9.0f events/s  peak RSS %7.1f MB\n", name, res[0], res[1],
           rate, (double)ru.ru_maxrss / 1024.0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    long events = argc > 1 ? atol(argv[1]) : 1000000;
    char dflt[256];
    snprintf(dflt, sizeof dflt, "/tmp/stormlog-bench-%ld", events);
    const char *dir = argc > 2 ? argv[2] : dflt;
    unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
    if (generate(dir, events) != 0) {
        fprintf(stderr, "cannot generate %s: %s\n", dir, strerror(errno));
        return 1;
    }
    double ceiling, load1, loadn, stream;
    run_mode("json-c", dir, 0, 1, &ceiling);
    run_mode("load-1", dir, 1, 1, &load1);
    char name[32];
    snprintf(name, sizeof name, "load-%u", threads);
    run_mode(name, dir, 1, threads, &loadn);
    run_mode("stream", dir, 2, 1, &stream);
    printf("load-1 / json-c = %.2f   load-%u / json-c = %.2f   stream / json-c = %.2f\n",
           load1 / ceiling, threads, loadn / ceiling, stream / ceiling);
    return 0;
}
