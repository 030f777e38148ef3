/* bench_pipeline: how fast events go through ring -> encoder -> sink.
 *
 *   bench_pipeline [output_dir] [events]
 *
 * Prints, for this machine:
 *   - the disk's ceilings into output_dir, as events/s at our line size:
 *     write(2) alone, write + fdatasync per 1 MiB, and write + fdatasync
 *     per 50 lines (the old policy's cadence);
 *   - the encoder alone (event -> validated canonical line), events/s;
 *   - producer side: ns per sl_pipeline_emit, uncontended, into a ring with
 *     room (median of repeats);
 *   - end to end: events/s from the first emit until stop() returned with
 *     everything on disk, with 1 and 8 producers, under the default
 *     durability policy and with an fdatasync after every write (a producer
 *     that finds the ring full retries: the bench wants throughput, not
 *     drops).
 * Numbers only; nothing here is a pass/fail test. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "event_record.h"
#include "pipeline.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void session(sl_session_info *s, const char *id)
{
    memset(s, 0, sizeof *s);
    snprintf(s->session_id, sizeof s->session_id, "%s", id);
    gethostname(s->host, sizeof s->host - 1);
    s->pid = getpid();
    s->world_size = 1;
}

static void event(sl_event *ev, int64_t i)
{
    memset(ev, 0, sizeof *ev);
    ev->timestamp_ns = 1700000000000000000 + i;
    ev->device_id = 0;
    ev->type = SL_EVENT_ALLOCATION;
    ev->collector = SL_COLLECTOR_CUDA;
    ev->allocated_bytes = 1 << 20;
    ev->reserved_bytes = 2 << 20;
    ev->change_bytes = 4096;
    ev->device_used_bytes = 3 << 20;
    sl_event_meta_str(ev, "api", "cudaMalloc");
    sl_event_meta_hex(ev, "ptr", 0x7f3a5c000000ull + (uint64_t)i * 4096);
    sl_event_meta_int(ev, "size", 4096);
    sl_event_meta_hex(ev, "stream", 0);
    sl_event_meta_int(ev, "tid", 12345);
}

static sl_pipeline_config config(const char *dir, uint32_t ring)
{
    sl_pipeline_config cfg;
    sl_pipeline_config_defaults(&cfg);
    snprintf(cfg.output_dir, sizeof cfg.output_dir, "%s", dir);
    cfg.ring_capacity = ring;
    cfg.quiet = true;
    return cfg;
}

/* One typical line, to size the ceiling in events. */
static size_t line_size(void)
{
    sl_session_info s;
    session(&s, "00000000-0000-4000-8000-000000000000");
    sl_event ev;
    event(&ev, 1);
    sl_buf b = {0};
    sl_error err;
    sl_event_append_line(&ev, &s, NULL, &b, &err);
    size_t n = b.len;
    sl_buf_free(&b);
    return n;
}

/* Bytes/s of write(2) into dir in chunks of `chunk` bytes, with an
 * fdatasync after each when sync. */
static double write_ceiling(const char *dir, size_t chunk, bool sync)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bench-ceiling.tmp", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return 0;
    char *buf = malloc(chunk);
    memset(buf, 'x', chunk);
    size_t total = 256u << 20, done = 0;
    if (sync && chunk < (64u << 10))
        total = 2000 * chunk; /* a sync per small chunk: a few seconds' worth */
    double t0 = now_s();
    while (done < total) {
        if (write(fd, buf, chunk) < 0)
            break;
        if (sync)
            fdatasync(fd);
        done += chunk;
    }
    if (!sync)
        fdatasync(fd); /* what the page cache held is the disk's too */
    double t = now_s() - t0;
    close(fd);
    unlink(path);
    free(buf);
    return (double)done / t;
}

static double encoder_rate(void)
{
    sl_session_info s;
    session(&s, "00000000-0000-4000-8000-000000000000");
    sl_buf b = {0};
    sl_buf_reserve(&b, 8u << 20);
    sl_event ev;
    event(&ev, 0);
    int n = 400000;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        ev.timestamp_ns++;
        ev.meta[1].v.u += 4096;
        sl_error err;
        if (b.len > (7u << 20))
            b.len = 0;
        sl_event_append_line(&ev, &s, NULL, &b, &err);
    }
    double t = now_s() - t0;
    sl_buf_free(&b);
    return n / t;
}

static double emit_ns(const char *dir)
{
    sl_session_info s;
    session(&s, "bench-emit");
    sl_pipeline_config cfg = config(dir, 1u << 16);
    cfg.flush_every_events = 1u << 20; /* keep the writer asleep while we time */
    cfg.flush_every_ms = 3600000;
    if (!sl_pipeline_start(&s, &cfg))
        return 0;
    enum { REPEATS = 15, BATCH = 16384 };
    double per[REPEATS];
    sl_event evs[64];
    for (int i = 0; i < 64; i++)
        event(&evs[i], i);
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now_s();
        for (int i = 0; i < BATCH; i++)
            sl_pipeline_emit(&evs[i & 63]);
        per[r] = (now_s() - t0) / BATCH * 1e9;
        /* let the writer drain before the next repeat (an urgent event wakes it) */
        sl_pipeline_emit_durable(&evs[0], 10000);
        sl_pipeline_stats st;
        for (sl_pipeline_get_stats(&st); st.written + st.dropped_total < (uint64_t)(r + 1) * (BATCH + 1);
             sl_pipeline_get_stats(&st))
            usleep(1000);
    }
    sl_pipeline_stop(NULL, NULL, 0);
    return median(per, REPEATS);
}

typedef struct producer {
    uint64_t count;
    uint64_t retries;
} producer;

static void *produce(void *p)
{
    producer *pr = p;
    sl_event ev;
    event(&ev, 0);
    for (uint64_t i = 0; i < pr->count; i++) {
        ev.timestamp_ns++;
        ev.meta[1].v.u += 4096;
        while (!sl_pipeline_emit(&ev)) {
            pr->retries++;
            sched_yield();
        }
    }
    return NULL;
}

static double end_to_end(const char *dir, int producers, uint64_t events, uint32_t fsync_every_ms, uint64_t *flushes,
                         uint64_t *syncs)
{
    char id[40];
    static int run;
    snprintf(id, sizeof id, "bench-e2e-%d", producers);
    sl_session_info s;
    session(&s, id);
    s.pid = getpid() * 100 + ++run; /* a directory per run */
    sl_pipeline_config cfg = config(dir, 1u << 16);
    cfg.fsync_every_ms = fsync_every_ms;
    cfg.retention_bytes = UINT64_C(1) << 40;
    cfg.retention_files = 100000;
    if (!sl_pipeline_start(&s, &cfg))
        return 0;
    pthread_t th[8];
    producer pr[8];
    double t0 = now_s();
    for (int i = 0; i < producers; i++) {
        pr[i] = (producer){events / (uint64_t)producers, 0};
        pthread_create(&th[i], NULL, produce, &pr[i]);
    }
    for (int i = 0; i < producers; i++)
        pthread_join(th[i], NULL);
    sl_pipeline_stop(NULL, NULL, 0);
    double t = now_s() - t0;
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    *flushes = st.flushes;
    *syncs = st.syncs;
    return (double)st.written / t;
}

int main(int argc, char **argv)
{
    if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: bench_pipeline [DIR [EVENTS]]   (default ./bench-pipeline-out 2000000)\n");
        return 2;
    }
    const char *dir = argc > 1 ? argv[1] : "./bench-pipeline-out";
    uint64_t events = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
    mkdir(dir, 0700);

    size_t line = line_size();
    double write_only = write_ceiling(dir, 1u << 20, false);
    double write_sync = write_ceiling(dir, 1u << 20, true);
    double write_sync_50 = write_ceiling(dir, 50 * line, true);
    double enc = encoder_rate();
    double ns = emit_ns(dir);
    static const struct {
        const char *label;
        uint32_t fsync_ms;
    } policies[] = {{"default (write every 50 / 2 s, fsync every 1 s)", 1000}, {"fsync with every write", 0}};
    double rate[2][2];
    uint64_t flushes[2][2], syncs[2][2];
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 2; k++)
            rate[p][k] = end_to_end(dir, k ? 8 : 1, events, policies[p].fsync_ms, &flushes[p][k], &syncs[p][k]);

    printf("bench_pipeline: %s, %zu-byte lines, %lu events per end-to-end run\n", dir, line, (unsigned long)events);
    printf("%-58s %14s\n", "measure", "value");
    printf("%-58s %9.0f events/s  (%.0f MB/s)\n", "ceiling: write, 1 MiB chunks", write_only / (double)line,
           write_only / 1e6);
    printf("%-58s %9.0f events/s  (%.0f MB/s)\n", "ceiling: write+fdatasync, 1 MiB chunks", write_sync / (double)line,
           write_sync / 1e6);
    printf("%-58s %9.0f events/s\n", "ceiling: write+fdatasync every 50 lines", write_sync_50 / (double)line);
    printf("%-58s %9.0f events/s\n", "encoder alone (validate + canonical line)", enc);
    printf("%-58s %12.1f ns\n", "producer: sl_pipeline_emit, uncontended (median)", ns);
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 2; k++) {
            char label[128];
            snprintf(label, sizeof label, "end to end, %d producer%s, %s", k ? 8 : 1, k ? "s" : "", policies[p].label);
            printf("%-58s %9.0f events/s  (%lu writes, %lu fdatasyncs)\n", label, rate[p][k],
                   (unsigned long)flushes[p][k], (unsigned long)syncs[p][k]);
        }
    return 0;
}
