/* A scripted training run written as the shim would record it:
 *
 *   start
 *   phase train: weights (512 MiB and 256 MiB, never freed: the leaks)
 *   steps: phase train/step
 *            train/step/forward:  allocs_per_step activations (1..7 MiB)
 *                                 [spike step: one spike_bytes block, freed at once]
 *            train/step/backward: the activations freed
 *                                 [step after the spike: an OOM asking for 80 GiB]
 *   a pinned host block (device -1), freed
 *   stop
 *
 * The generator keeps the running sums itself, so the truth it returns is
 * computed, not assumed. */
#include "fixture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIB ((int64_t)1 << 20)
#define GIB ((int64_t)1 << 30)

fixture_opts fixture_defaults(void)
{
    return (fixture_opts){.session_id = "sess-demo",
                          .host = "node1",
                          .pid = 4242,
                          .world_size = 1,
                          .t0_ns = INT64_C(1700000000000000000),
                          .step_ns = 1000000, /* 1 ms between events */
                          .steps = 20,
                          .allocs_per_step = 8,
                          .spike_step = 7,
                          .spike_bytes = 3 * GIB,
                          .scale = 1,
                          .oom = true,
                          .phases = true,
                          .pinned = true};
}

bool fixture_mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

typedef struct gen {
    FILE *out;
    const fixture_opts *o;
    int64_t now;
    int64_t allocated[3], reserved[3]; /* [0] host (-1), [1] device 0, [2] device 1 (errors only) */
    size_t live[3];
    uint64_t next_scope;
    uint64_t sequence;
    fixture_truth *truth;
} gen;

static void record(gen *g, const char *type, int device, int64_t change, const char *context, const char *meta)
{
    int slot = device + 1;
    g->now += g->o->step_ns;
    FILE *f = g->out;
    fprintf(f, "{\"schema_version\":3,\"session_id\":\"%s\",\"timestamp_ns\":%" PRId64 ",\"event_type\":\"%s\","
               "\"collector\":\"stormlog.cuda_shim\",\"sampling_interval_ms\":0,\"pid\":%" PRId64 ","
               "\"host\":\"%s\",",
            g->o->session_id, g->now, type, g->o->pid, g->o->host);
    if (g->o->job_id)
        fprintf(f, "\"job_id\":\"%s\",", g->o->job_id);
    fprintf(f, "\"rank\":%d,\"local_rank\":%d,\"world_size\":%d,\"device_id\":%d,", g->o->rank, g->o->rank,
            g->o->world_size, device);
    fprintf(f, "\"allocator_allocated_bytes\":%" PRId64 ",\"allocator_reserved_bytes\":%" PRId64 ","
               "\"allocator_active_bytes\":null,\"allocator_inactive_bytes\":null,"
               "\"allocator_change_bytes\":%" PRId64 ",\"device_used_bytes\":%" PRId64 ","
               "\"device_free_bytes\":null,\"device_total_bytes\":null,",
            g->allocated[slot], g->reserved[slot], change, g->allocated[slot]);
    if (context)
        fprintf(f, "\"context\":\"%s\",", context);
    else
        fputs("\"context\":null,", f);
    fprintf(f, "\"metadata\":%s}\n", meta);
    g->truth->events++;
}

static uint64_t ptr_of(uint64_t serial)
{
    return UINT64_C(0x7f0000000000) + serial * UINT64_C(0x1000);
}

static void alloc(gen *g, int device, uint64_t serial, int64_t size, const char *context)
{
    int slot = device + 1;
    g->allocated[slot] += size;
    if (g->allocated[slot] > g->reserved[slot])
        g->reserved[slot] = (g->allocated[slot] + 2 * MIB - 1) / (2 * MIB) * (2 * MIB);
    g->live[slot]++;
    char meta[256];
    snprintf(meta, sizeof meta,
             "{\"api\":\"%s\",\"ptr\":\"0x%" PRIx64 "\",\"size\":%" PRId64 ",\"stream\":\"0x0\",\"thread_id\":100}",
             device < 0 ? "cudaMallocHost" : "cudaMalloc", ptr_of(serial), size);
    record(g, "allocation", device, size, context, meta);
    if (device == 0 && g->allocated[slot] > g->truth->peak_bytes) {
        g->truth->peak_bytes = g->allocated[slot];
        g->truth->peak_ts = g->now;
        g->truth->live_at_peak = g->live[slot];
    }
}

static void release(gen *g, int device, uint64_t serial, int64_t size, const char *context)
{
    int slot = device + 1;
    g->allocated[slot] -= size;
    g->live[slot]--;
    char meta[256];
    snprintf(meta, sizeof meta,
             "{\"allocation_api\":\"%s\",\"api\":\"%s\",\"ptr\":\"0x%" PRIx64 "\",\"size\":%" PRId64
             ",\"thread_id\":100}",
             device < 0 ? "cudaMallocHost" : "cudaMalloc", device < 0 ? "cudaFreeHost" : "cudaFree", ptr_of(serial),
             size);
    record(g, "deallocation", device, -size, context, meta);
}

/* phase_scope as the shim writes it: {name, path, scope_id, parent_scope_id, sequence}. */
static void phase(gen *g, const char *type, const char *const *path, size_t depth, uint64_t scope, uint64_t parent)
{
    if (!g->o->phases)
        return;
    char meta[512], *w = meta;
    size_t left = sizeof meta;
    int n = snprintf(w, left, "{\"phase_scope\":{\"name\":\"%s\",\"parent_scope_id\":", path[depth - 1]);
    w += n, left -= (size_t)n;
    n = parent ? snprintf(w, left, "%" PRIu64, parent) : snprintf(w, left, "null");
    w += n, left -= (size_t)n;
    n = snprintf(w, left, ",\"path\":[");
    w += n, left -= (size_t)n;
    for (size_t i = 0; i < depth; i++) {
        n = snprintf(w, left, "%s\"%s\"", i ? "," : "", path[i]);
        w += n, left -= (size_t)n;
    }
    snprintf(w, left, "],\"scope_id\":%" PRIu64 ",\"sequence\":%" PRIu64 "},\"thread_id\":100}", scope,
             ++g->sequence);
    char context[128] = "";
    for (size_t i = 0; i < depth; i++) {
        strcat(context, i ? "/" : "");
        strcat(context, path[i]);
    }
    record(g, type, 0, 0, context, meta);
}

bool fixture_write_sink(const char *dir, const fixture_opts *o, fixture_truth *truth)
{
    memset(truth, 0, sizeof *truth);
    if (!fixture_mkdirs(dir))
        return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/segment-000001.jsonl", dir);
    gen g = {.o = o, .now = o->t0_ns - o->step_ns, .truth = truth};
    g.out = fopen(path, "w");
    if (!g.out)
        return false;
    const bool ph = o->phases;
    const char *ctx_train = ph ? "train" : NULL, *ctx_fwd = ph ? "train/step/forward" : NULL,
               *ctx_bwd = ph ? "train/step/backward" : NULL;
    record(&g, "start", 0, 0, "train.py", "{\"thread_id\":100}");
    static const char *const p_train[] = {"train"};
    static const char *const p_step[] = {"train", "step"};
    static const char *const p_fwd[] = {"train", "step", "forward"};
    static const char *const p_bwd[] = {"train", "step", "backward"};
    uint64_t train_scope = ++g.next_scope;
    phase(&g, "phase_enter", p_train, 1, train_scope, 0);
    uint64_t serial = 1;
    int64_t weights[2] = {512 * MIB * o->scale, 256 * MIB * o->scale};
    for (int i = 0; i < 2; i++)
        alloc(&g, 0, serial++, weights[i], ctx_train);
    for (size_t s = 0; s < o->steps; s++) {
        uint64_t step_scope = ++g.next_scope, fwd_scope = ++g.next_scope;
        phase(&g, "phase_enter", p_step, 2, step_scope, train_scope);
        phase(&g, "phase_enter", p_fwd, 3, fwd_scope, step_scope);
        uint64_t first = serial;
        for (size_t i = 0; i < o->allocs_per_step; i++)
            alloc(&g, 0, serial++, (int64_t)(i % 7 + 1) * MIB * o->scale, ctx_fwd);
        if (o->spike_bytes > 0 && s == o->spike_step) {
            uint64_t spike = serial++;
            alloc(&g, 0, spike, o->spike_bytes * o->scale, ctx_fwd);
            release(&g, 0, spike, o->spike_bytes * o->scale, ctx_fwd);
        }
        phase(&g, "phase_exit", p_fwd, 3, fwd_scope, step_scope);
        uint64_t bwd_scope = ++g.next_scope;
        phase(&g, "phase_enter", p_bwd, 3, bwd_scope, step_scope);
        if (o->oom && s == o->spike_step + 1) {
            char meta[256];
            truth->oom_requested = 80 * GIB;
            snprintf(meta, sizeof meta,
                     "{\"api\":\"cudaMalloc\",\"error_code\":2,\"peak_bytes\":%" PRId64 ",\"reason\":\"out_of_memory\","
                     "\"requested_bytes\":%" PRId64 ",\"thread_id\":100}",
                     truth->peak_bytes, truth->oom_requested);
            record(&g, "error", o->oom_device, 0, ctx_bwd, meta);
        }
        for (size_t i = 0; i < o->allocs_per_step; i++)
            release(&g, 0, first + i, (int64_t)(i % 7 + 1) * MIB * o->scale, ctx_bwd);
        phase(&g, "phase_exit", p_bwd, 3, bwd_scope, step_scope);
        phase(&g, "phase_exit", p_step, 2, step_scope, train_scope);
    }
    if (o->pinned) {
        uint64_t host = serial++;
        alloc(&g, -1, host, 64 * MIB, ctx_train);
        release(&g, -1, host, 64 * MIB, ctx_train);
    }
    phase(&g, "phase_exit", p_train, 1, train_scope, 0);
    record(&g, "stop", 0, 0, NULL, "{\"thread_id\":100}");
    truth->leaked_bytes = g.allocated[1];
    truth->leak_count = g.live[1];
    truth->largest_leak = weights[0];
    truth->t_end = g.now;
    return fclose(g.out) == 0;
}

bool fixture_write_job(const char *dir, int ranks, int hot, size_t steps, fixture_truth *truths)
{
    return fixture_write_job_oom(dir, ranks, hot, -1, steps, truths);
}

bool fixture_write_job_oom(const char *dir, int ranks, int hot, int oom_rank, size_t steps, fixture_truth *truths)
{
    for (int r = 0; r < ranks; r++) {
        char sub[4096], sid[64], host[32];
        snprintf(sub, sizeof sub, "%s/rank-%d", dir, r);
        snprintf(sid, sizeof sid, "sess-rank-%d", r);
        snprintf(host, sizeof host, "node%d", r / 2);
        fixture_opts o = fixture_defaults();
        o.session_id = sid;
        o.host = host;
        o.job_id = "job-77";
        o.pid = 1000 + r;
        o.rank = r;
        o.world_size = ranks;
        o.steps = steps;
        o.t0_ns += (int64_t)r * 3000000; /* ranks start a few ms apart */
        o.scale = r == hot ? 2 : 1;
        o.spike_bytes = GIB;
        o.spike_step = steps / 2;
        o.oom = r == hot || r == oom_rank;
        /* The other rank's OOM is on a device whose curve the overview
         * does not draw (its peak is on device 0). */
        o.oom_device = r == oom_rank && r != hot ? 1 : 0;
        if (!fixture_write_sink(sub, &o, &truths[r]))
            return false;
    }
    return true;
}
