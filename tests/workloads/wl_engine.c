/*
 * wl_engine.c: the workload's threads, their books, and the final audit.
 *
 * Each thread owns its books (no sharing, no locks); main adds them up after
 * join. Every runtime call's return code is checked against what the double
 * must answer, and the first surprise ends the thread with a message.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

#define LIVE_SLOTS 64
#define HOST_INDEX WL_MAX_DEVICES   /* books[HOST_INDEX]: pinned host */

typedef struct wl_live {
    void *ptr;
    uint64_t bytes;
    int device;          /* -1: host */
    wl_kind kind;
} wl_live;

typedef struct wl_books {
    long long live[WL_MAX_DEVICES + 1];
    unsigned long long allocs, zero_allocs, failed, out_of_memory, frees, bad_frees;
    long leaked;
} wl_books;

typedef struct wl_thread {
    const wl_runtime *rt;
    const wl_options *options;
    int index, devices;
    long ops;
    uint64_t rng;
    int current;
    void *streams[WL_MAX_DEVICES];
    void *const *shared_pools;   /* main's created pool per device */
    wl_live live[LIVE_SLOTS];
    int live_count;
    wl_books books;
    char error[512];
} wl_thread;

static uint64_t next_random(uint64_t *state)
{
    /* splitmix64: seeded per thread, reproducible per seed. */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(wl_thread *t, uint64_t n)
{
    return next_random(&t->rng) % n;
}

__attribute__((format(printf, 2, 3))) static bool fail(wl_thread *t, const char *format, ...);

static bool fail(wl_thread *t, const char *format, ...)
{
    if (t->error[0] != '\0')
        return false;
    va_list args;
    va_start(args, format);
    int n = snprintf(t->error, sizeof t->error, "thread %d: ", t->index);
    vsnprintf(t->error + n, sizeof t->error - (size_t)n, format, args);
    va_end(args);
    return false;
}

static int books_slot(int device)
{
    return device < 0 ? HOST_INDEX : device;
}

/* ---- single operations (each returns false after a surprise) ---------- */

static size_t pick_size(wl_thread *t)
{
    uint64_t r = below(t, 100);
    if (r < 60)
        return 1 + (size_t)below(t, 64 << 10);
    if (r < 90)
        return (64 << 10) + (size_t)below(t, 1 << 20);
    return (1 << 20) + (size_t)below(t, 7 << 20);
}

static wl_call make_call(wl_thread *t, size_t size)
{
    wl_call call = { .size = size, .stream = t->streams[t->current], .pool = NULL, .shape = next_random(&t->rng) };
    switch (call.shape % 8) {
    case 0: call.stream = NULL; break;                         /* legacy default stream */
    case 1: call.stream = t->rt->per_thread_stream; break;
    default: break;
    }
    if ((call.shape >> 8) % 2 == 0 || t->rt->default_pool(&call.pool, t->current) != t->rt->success)
        call.pool = t->shared_pools[t->current];
    return call;
}

static bool do_alloc(wl_thread *t)
{
    const wl_alloc_api *api = &t->rt->allocs[below(t, t->rt->alloc_count)];
    wl_call call = make_call(t, pick_size(t));
    void *ptr = NULL;
    uint64_t bytes = 0;
    int code = api->alloc(&call, &ptr, &bytes);
    if (code == t->rt->out_of_memory) {
        /* Possible at any time under STORMLOG_DOUBLE_FAIL_*; the books
         * count it and the pointer must not be used. */
        t->books.failed++;
        t->books.out_of_memory++;
        int last = t->rt->get_last_error();
        if (last != t->rt->out_of_memory)
            return fail(t, "%s: OOM, but the last error is %d", api->name, last);
        return true;
    }
    if (code != t->rt->success)
        return fail(t, "%s(%zu) returned %d", api->name, call.size, code);
    if (ptr == NULL)
        return fail(t, "%s(%zu) succeeded without a pointer", api->name, call.size);
    int device = api->kind == WL_HOST ? -1 : t->current;
    if (api->kind == WL_HOST) {
        /* Pinned memory is host memory: programs fill it. */
        unsigned char *bytes_ptr = ptr;
        bytes_ptr[0] = 0x5a;
        bytes_ptr[bytes - 1] = 0xa5;
    }
    t->live[t->live_count++] = (wl_live){ .ptr = ptr, .bytes = bytes, .device = device, .kind = api->kind };
    t->books.live[books_slot(device)] += (long long)bytes;
    t->books.allocs++;
    return true;
}

static bool release(wl_thread *t, int slot)
{
    wl_live entry = t->live[slot];
    const wl_free_api *choices[8];
    size_t n = 0;
    for (size_t i = 0; i < t->rt->free_count && n < 8; i++)
        if (t->rt->frees[i].accepts & entry.kind)
            choices[n++] = &t->rt->frees[i];
    if (n == 0)
        return fail(t, "no free accepts kind %d", entry.kind);
    const wl_free_api *api = choices[below(t, n)];
    int code = api->free_fn(entry.ptr, t->streams[entry.device < 0 ? 0 : entry.device]);
    if (code != t->rt->success)
        return fail(t, "%s(%p) returned %d", api->name, entry.ptr, code);
    t->books.live[books_slot(entry.device)] -= (long long)entry.bytes;
    t->books.frees++;
    t->live[slot] = t->live[--t->live_count];
    return true;
}

/* The mistakes and corner cases real programs produce. */
static bool do_edge_case(wl_thread *t)
{
    const wl_runtime *rt = t->rt;
    const wl_alloc_api *plain = &rt->allocs[0];   /* cudaMalloc / hipMalloc */
    wl_call call = make_call(t, 0);
    void *ptr = (void *)&call;
    uint64_t bytes = 0;
    int code;
    switch (below(t, 4)) {
    case 0: /* size 0: success, no pointer */
        code = plain->alloc(&call, &ptr, &bytes);
        if (code == rt->out_of_memory) {   /* injected failures hit these too */
            t->books.failed++;
            t->books.out_of_memory++;
            rt->get_last_error();
            return true;
        }
        if (code != rt->success || ptr != NULL)
            return fail(t, "%s(0) returned %d, %p", plain->name, code, ptr);
        t->books.zero_allocs++;
        return true;
    case 1: /* free(NULL): success, nothing happens */
        code = rt->frees[0].free_fn(NULL, NULL);
        if (code != rt->success)
            return fail(t, "%s(NULL) returned %d", rt->frees[0].name, code);
        return true;
    case 2: /* NULL out-pointer */
        call.size = 64;
        code = plain->alloc(&call, NULL, &bytes);
        if (code != rt->invalid_value)
            return fail(t, "%s(NULL, 64) returned %d", plain->name, code);
        t->books.failed++;
        if ((code = rt->get_last_error()) != rt->invalid_value)
            return fail(t, "last error after a NULL out-pointer is %d", code);
        return true;
    default: /* a pointer the runtime never gave out */
        code = rt->frees[0].free_fn(&call, NULL);
        if (code != rt->invalid_value)
            return fail(t, "%s(stack pointer) returned %d", rt->frees[0].name, code);
        t->books.bad_frees++;
        rt->get_last_error();
        return true;
    }
}

/* More than the device has: must fail with the OOM code, whatever else runs. */
static bool do_deliberate_oom(wl_thread *t)
{
    size_t free_bytes = 0, total = 0;
    if (t->rt->mem_get_info(&free_bytes, &total) != t->rt->success)
        return fail(t, "MemGetInfo failed");
    wl_call call = make_call(t, total + 1);
    void *ptr = NULL;
    uint64_t bytes = 0;
    int code = t->rt->allocs[0].alloc(&call, &ptr, &bytes);
    if (code != t->rt->out_of_memory)
        return fail(t, "%s(%zu) on device %d returned %d, want OOM", t->rt->allocs[0].name, total + 1, t->current,
                    code);
    t->books.failed++;
    t->books.out_of_memory++;
    t->rt->get_last_error();
    return true;
}

static bool step(wl_thread *t)
{
    const wl_runtime *rt = t->rt;
    uint64_t r = below(t, 1000);
    if (r < 15) {
        int device = (int)below(t, (uint64_t)t->devices);
        if (rt->set_device(device) != rt->success)
            return fail(t, "SetDevice(%d) failed", device);
        int check = -1;
        if (rt->get_device(&check) != rt->success || check != device)
            return fail(t, "GetDevice says %d after SetDevice(%d)", check, device);
        t->current = device;
        return true;
    }
    if (r < 25) {
        size_t free_bytes = 0, total = 0;
        if (rt->mem_get_info(&free_bytes, &total) != rt->success || free_bytes > total)
            return fail(t, "MemGetInfo: free %zu total %zu", free_bytes, total);
        return true;
    }
    if (r < 30) {
        void *pool = below(t, 2) ? t->shared_pools[t->current] : NULL;
        if (pool == NULL && rt->default_pool(&pool, t->current) != rt->success)
            return fail(t, "DeviceGetDefaultMemPool(%d) failed", t->current);
        if (rt->pool_trim(pool, below(t, 2) ? 0 : (1 << 20)) != rt->success)
            return fail(t, "MemPoolTrimTo failed");
        return true;
    }
    if (r < 34)
        return do_edge_case(t);
    if (r < 38 && t->current == t->options->oom_device)
        return do_deliberate_oom(t);
    if (r < 40)
        return rt->synchronize() == rt->success || fail(t, "DeviceSynchronize failed");
    if (t->live_count == LIVE_SLOTS || (t->live_count > 0 && below(t, 2) == 0))
        return release(t, (int)below(t, (uint64_t)t->live_count));
    return do_alloc(t);
}

static void *thread_main(void *arg)
{
    wl_thread *t = arg;
    const wl_runtime *rt = t->rt;
    /* Streams belong to the device current at creation. */
    for (int device = 0; device < t->devices; device++) {
        if (rt->set_device(device) != rt->success || rt->stream_create(&t->streams[device]) != rt->success) {
            fail(t, "cannot create a stream on device %d", device);
            return NULL;
        }
    }
    t->current = t->devices - 1;
    for (long op = 0; op < t->ops; op++)
        if (!step(t))
            return NULL;
    /* Leave the last `keep` allocations live: the leaks a profiler reports. */
    while (t->live_count > t->options->keep)
        if (!release(t, t->live_count - 1))
            return NULL;
    t->books.leaked = t->live_count;
    for (int device = 0; device < t->devices; device++)
        if (rt->stream_destroy(t->streams[device]) != rt->success)
            fail(t, "StreamDestroy failed");
    return NULL;
}

/* ---- main side --------------------------------------------------------- */

typedef struct wl_snapshot {
    long long live[WL_MAX_DEVICES + 1];
    unsigned long long allocs, zero_allocs, failed, frees, bad_frees;
} wl_snapshot;

static void snapshot(const wl_runtime *rt, int devices, wl_snapshot *s)
{
    memset(s, 0, sizeof *s);
    for (int device = 0; device < devices; device++)
        s->live[device] = rt->truth.live_bytes(device);
    s->live[HOST_INDEX] = rt->truth.live_bytes(-1);
    s->allocs = rt->truth.allocs();
    s->zero_allocs = rt->truth.zero_allocs();
    s->failed = rt->truth.failed();
    s->frees = rt->truth.frees();
    s->bad_frees = rt->truth.bad_frees();
}

static int audit_counter(const wl_options *o, const char *what, unsigned long long books, unsigned long long truth)
{
    if (books == truth)
        return 0;
    fprintf(stderr, "%s: %s: workload counted %llu, the double %llu\n", o->program, what, books, truth);
    return 1;
}

static void write_map(FILE *out, const long long *values, int devices, bool host)
{
    fputc('{', out);
    for (int device = 0; device < devices; device++)
        fprintf(out, "%s\"%d\":%lld", device ? "," : "", device, values[device]);
    if (host)
        fprintf(out, ",\"-1\":%lld", values[HOST_INDEX]);
    fputc('}', out);
}

static int write_truth(const wl_runtime *rt, const wl_options *o, int devices, const wl_books *b,
                       const long long *reserved)
{
    FILE *out = o->truth_path != NULL ? fopen(o->truth_path, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "%s: cannot write %s\n", o->program, o->truth_path);
        return 1;
    }
    fprintf(out, "{\"program\":\"%s\",\"runtime\":\"%s\",\"live\":", o->program, rt->name);
    write_map(out, b->live, devices, true);
    fputs(",\"reserved\":", out);
    write_map(out, reserved, devices, false);
    fprintf(out,
            ",\"ops\":%ld,\"threads\":%d,\"devices\":%d,\"seed\":%llu,\"allocs\":%llu,\"frees\":%llu,"
            "\"failed\":%llu,\"oom\":%llu,\"zero_allocs\":%llu,\"bad_frees\":%llu,\"leaked_allocations\":%ld}\n",
            o->ops, o->threads, devices, o->seed, b->allocs, b->frees, b->failed, b->out_of_memory,
            b->zero_allocs, b->bad_frees, b->leaked);
    int bad = fflush(out) != 0 || ferror(out);
    if (out != stdout)
        bad |= fclose(out) != 0;
    if (bad)
        fprintf(stderr, "%s: writing the truth failed\n", o->program);
    return bad;
}

int wl_run(const wl_runtime *rt, const wl_options *o)
{
    int available = 0;
    if (rt->device_count(&available) != rt->success || available < 1) {
        fprintf(stderr, "%s: no %s device\n", o->program, rt->name);
        return 1;
    }
    int devices = o->devices != 0 ? o->devices : (available < 2 ? available : 2);
    if (devices > available) {
        fprintf(stderr, "%s: --devices %d, but the runtime has %d\n", o->program, devices, available);
        return 2;
    }
    wl_snapshot before;
    snapshot(rt, devices, &before);

    void *shared_pools[WL_MAX_DEVICES] = { 0 };
    for (int device = 0; device < devices; device++) {
        if (rt->pool_create(&shared_pools[device], device) != rt->success) {
            fprintf(stderr, "%s: MemPoolCreate on device %d failed\n", o->program, device);
            return 1;
        }
    }
    wl_thread *threads = calloc((size_t)o->threads, sizeof *threads);
    pthread_t *ids = calloc((size_t)o->threads, sizeof *ids);
    if (threads == NULL || ids == NULL) {
        fprintf(stderr, "%s: out of host memory\n", o->program);
        free(threads);
        free(ids);
        return 1;
    }
    int status = 0;
    int started = 0;
    for (int i = 0; i < o->threads; i++) {
        wl_thread *t = &threads[i];
        t->rt = rt;
        t->options = o;
        t->index = i;
        t->devices = devices;
        t->ops = o->ops / o->threads + (i < o->ops % o->threads ? 1 : 0);
        t->rng = o->seed * 0x100000001b3ull + (uint64_t)i;
        t->shared_pools = shared_pools;
        if (pthread_create(&ids[i], NULL, thread_main, t) != 0) {
            fprintf(stderr, "%s: cannot start thread %d\n", o->program, i);
            status = 1;
            break;
        }
        started++;
    }
    wl_books total;
    memset(&total, 0, sizeof total);
    for (int i = 0; i < started; i++) {
        pthread_join(ids[i], NULL);
        const wl_books *b = &threads[i].books;
        if (threads[i].error[0] != '\0') {
            fprintf(stderr, "%s: %s\n", o->program, threads[i].error);
            status = 1;
        }
        for (int slot = 0; slot <= WL_MAX_DEVICES; slot++)
            total.live[slot] += b->live[slot];
        total.allocs += b->allocs;
        total.zero_allocs += b->zero_allocs;
        total.failed += b->failed;
        total.out_of_memory += b->out_of_memory;
        total.frees += b->frees;
        total.bad_frees += b->bad_frees;
        total.leaked += b->leaked;
    }

    /* Pools give back what they hold; created pools are destroyed with
     * allocations still live in them (released with their last free). */
    long long reserved[WL_MAX_DEVICES] = { 0 };
    for (int device = 0; device < devices; device++) {
        void *pool = NULL;
        if (rt->default_pool(&pool, device) != rt->success || rt->pool_trim(pool, 0) != rt->success
            || rt->pool_destroy(shared_pools[device]) != rt->success) {
            fprintf(stderr, "%s: releasing the pools of device %d failed\n", o->program, device);
            status = 1;
        }
        reserved[device] = rt->truth.reserved_bytes(device);
    }

    wl_snapshot after;
    snapshot(rt, devices, &after);
    for (int device = 0; device < devices; device++) {
        long long truth = after.live[device] - before.live[device];
        if (truth != total.live[device]) {
            fprintf(stderr, "%s: device %d: workload holds %lld bytes, the double %lld\n", o->program, device,
                    total.live[device], truth);
            status = 1;
        }
        if (reserved[device] != 0) {
            fprintf(stderr, "%s: device %d: %lld bytes still reserved after trimming every pool\n", o->program,
                    device, reserved[device]);
            status = 1;
        }
    }
    if (after.live[HOST_INDEX] - before.live[HOST_INDEX] != total.live[HOST_INDEX]) {
        fprintf(stderr, "%s: host: workload holds %lld pinned bytes, the double %lld\n", o->program,
                total.live[HOST_INDEX], after.live[HOST_INDEX] - before.live[HOST_INDEX]);
        status = 1;
    }
    status |= audit_counter(o, "allocations", total.allocs, after.allocs - before.allocs);
    status |= audit_counter(o, "zero-size allocations", total.zero_allocs, after.zero_allocs - before.zero_allocs);
    status |= audit_counter(o, "failed allocations", total.failed, after.failed - before.failed);
    status |= audit_counter(o, "frees", total.frees, after.frees - before.frees);
    status |= audit_counter(o, "refused frees", total.bad_frees, after.bad_frees - before.bad_frees);
    if ((long long)total.out_of_memory < o->expect_oom_min) {
        fprintf(stderr, "%s: %llu OOM returns, expected at least %ld\n", o->program, total.out_of_memory,
                o->expect_oom_min);
        status = 1;
    }
    status |= write_truth(rt, o, devices, &total, reserved);
    free(threads);
    free(ids);
    return status;
}
