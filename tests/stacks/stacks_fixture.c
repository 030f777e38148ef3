/* Writes a sink directory whose allocations carry call stacks as the shim
 * records them (docs/call-sites.md), captured from this program's own calls:
 *
 *   segment 1: weights 3 x 256 MiB (Python: build_model), activations
 *              2 x 100 MiB (in the shared library; Python: forward), a
 *              64 MiB workspace (native only)          <- the peak
 *   segment 2: activations and one weight block freed; 16 MiB more weights
 *              (its stack defined again: first use in this segment),
 *              32 MiB of gradients, 16 MiB the shim's table had no room
 *              for, 8 MiB naming a stack no record defines, an OOM asking
 *              for 80 GiB (its own call site), the gradients freed; stop.
 *
 * usage: stacks_fixture DIR TRUTH.json
 * TRUTH.json: {"sites": {"<stack id>": {"function", "file", "line",
 * "python"}}, "peak"|"oom"|"exit": {"<key>": bytes}, "oom_site": id} where
 * key is a stack id, "table_full" or "undefined". */
#define _GNU_SOURCE
#include <elf.h>
#include <execinfo.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stacks_fixture.h"

#define MIB ((int64_t)1 << 20)
#define GIB ((int64_t)1 << 30)
#define MAX_FRAMES 24
#define MAX_STACKS 16
#define MAX_LIVE 64

typedef struct stack {
    void *pcs[MAX_FRAMES];
    int n, python;
    int64_t id;
    int defined_in;         /* the segment that last carried its definition */
    const char *func, *file;
    int line;
    int64_t live;           /* bytes live now */
} stack;

struct fixture_rec {
    const char *dir;
    FILE *out;
    int segment;
    int64_t now, allocated;
    uint64_t serial;
    stack stacks[MAX_STACKS];
    int nstacks;
    int64_t table_full_live, undefined_live;
    struct { uint64_t ptr; int64_t size; stack *st; int special; } live[MAX_LIVE];
    int nlive;
    char peak[2048], oom[2048];
    int64_t peak_bytes;
    int64_t oom_site;
};

static void open_segment(fixture_rec *r)
{
    if (r->out)
        fclose(r->out);
    char path[4096];
    snprintf(path, sizeof path, "%s/segment-%06d.jsonl", r->dir, ++r->segment);
    r->out = fopen(path, "w");
    if (!r->out) {
        perror(path);
        exit(1);
    }
}

static void record(fixture_rec *r, const char *type, int64_t change, const char *meta)
{
    r->now += 1000000;
    fprintf(r->out,
            "{\"schema_version\":3,\"session_id\":\"sess-stacks\",\"timestamp_ns\":%" PRId64 ",\"event_type\":\"%s\","
            "\"collector\":\"stormlog.cuda_shim\",\"sampling_interval_ms\":0,\"pid\":77,\"host\":\"node1\","
            "\"job_id\":null,\"rank\":0,\"local_rank\":0,\"world_size\":1,\"device_id\":0,"
            "\"allocator_allocated_bytes\":%" PRId64 ",\"allocator_reserved_bytes\":%" PRId64 ","
            "\"allocator_active_bytes\":null,\"allocator_inactive_bytes\":null,\"allocator_change_bytes\":%" PRId64
            ",\"device_used_bytes\":%" PRId64 ",\"device_free_bytes\":null,\"device_total_bytes\":null,"
            "\"context\":null,\"metadata\":%s}\n",
            INT64_C(1700000000000000000) + r->now, type, r->allocated, r->allocated, change, r->allocated, meta);
}

/* ---- a native frame as the wire format writes it ------------------------ */

typedef struct module_hit {
    uintptr_t pc;
    const char *name;
    uintptr_t base;
    char build_id[128];
    int found;
} module_hit;

static void note_build_id(const struct dl_phdr_info *info, char *out, size_t cap)
{
    out[0] = '\0';
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *nh;
            const unsigned char *desc = (const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                for (unsigned k = 0; k < nh->n_descsz && 2 * k + 2 < cap; k++)
                    snprintf(out + 2 * k, 3, "%02x", desc[k]);
                return;
            }
            p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
}

static int find_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    module_hit *hit = ctx;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && hit->pc >= start && hit->pc < start + ph->p_memsz) {
            hit->name = info->dlpi_name;
            hit->base = info->dlpi_addr;
            note_build_id(info, hit->build_id, sizeof hit->build_id);
            hit->found = 1;
            return 1;
        }
    }
    return 0;
}

static void write_native(FILE *f, void *pc)
{
    module_hit hit = {.pc = (uintptr_t)pc};
    dl_iterate_phdr(find_module, &hit);
    if (!hit.found) {
        fprintf(f, "{\"offset\":%" PRIuPTR "}", hit.pc);
        return;
    }
    char self[4096];
    const char *module = hit.name;
    if (!module || !module[0]) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        module = self;
    }
    fprintf(f, "{\"module\":\"%s\",\"offset\":%" PRIuPTR, module, hit.pc - hit.base);
    if (hit.build_id[0])
        fprintf(f, ",\"build_id\":\"%s\"", hit.build_id);
    fputc('}', f);
}

static const char *python_frames(int python)
{
    switch (python) {
    case WEIGHTS_PY:
        return "\"python\":[{\"file\":\"/srv/job/train.py\",\"function\":\"build_model\",\"line\":12},"
               "{\"file\":\"/srv/job/train.py\",\"function\":\"<module>\",\"line\":60}],";
    case ACTIVATIONS_PY:
        return "\"python\":[{\"file\":\"/srv/job/model.py\",\"function\":\"forward\",\"line\":41},"
               "{\"file\":\"/srv/job/train.py\",\"function\":\"train_step\",\"line\":70}],";
    default:
        return "";
    }
}

/* ---- recording ----------------------------------------------------------- */

static stack *intern(fixture_rec *r, void **pcs, int n, int python)
{
    for (int i = 0; i < r->nstacks; i++) {
        stack *s = &r->stacks[i];
        if (s->n == n && s->python == python && memcmp(s->pcs, pcs, (size_t)n * sizeof *pcs) == 0)
            return s;
    }
    stack *s = &r->stacks[r->nstacks++];
    memset(s, 0, sizeof *s);
    memcpy(s->pcs, pcs, (size_t)n * sizeof *pcs);
    s->n = n;
    s->python = python;
    s->id = r->nstacks; /* positive, in order of first use */
    return s;
}

/* The metadata's stack members into buf: stack_id, and the definition on
 * the first use in this segment. */
static void stack_members(fixture_rec *r, stack *s, char *buf, size_t cap)
{
    FILE *m = fmemopen(buf, cap, "w");
    fprintf(m, ",\"stack_id\":%" PRId64, s->id);
    if (s->defined_in != r->segment) {
        s->defined_in = r->segment;
        fprintf(m, ",\"stack\":{%s\"native\":[", python_frames(s->python));
        for (int i = 0; i < s->n; i++) {
            if (i)
                fputc(',', m);
            write_native(m, s->pcs[i]);
        }
        fputs("]}", m);
    }
    fclose(m);
}

static void live_add(fixture_rec *r, uint64_t ptr, int64_t size, stack *st, int special)
{
    r->live[r->nlive].ptr = ptr;
    r->live[r->nlive].size = size;
    r->live[r->nlive].st = st;
    r->live[r->nlive].special = special;
    r->nlive++;
}

/* {"alloc_weights": bytes, ...} of what is live now. */
static void snapshot(fixture_rec *r, char *out, size_t cap)
{
    FILE *m = fmemopen(out, cap, "w");
    fputc('{', m);
    int first = 1;
    for (int i = 0; i < r->nstacks; i++) {
        if (r->stacks[i].live == 0)
            continue;
        fprintf(m, "%s\"%" PRId64 "\":%" PRId64, first ? "" : ",", r->stacks[i].id, r->stacks[i].live);
        first = 0;
    }
    if (r->table_full_live)
        fprintf(m, "%s\"table_full\":%" PRId64, first ? "" : ",", r->table_full_live), first = 0;
    if (r->undefined_live)
        fprintf(m, "%s\"undefined\":%" PRId64, first ? "" : ",", r->undefined_live);
    fputc('}', m);
    fclose(m);
}

static void fixture_alloc(fixture_rec *r, int64_t bytes, int python, const char *func, const char *file, int line)
{
    void *pcs[MAX_FRAMES + 4];
    int n = backtrace(pcs, MAX_FRAMES + 4);
    /* The stack starts at the return address into the caller; what comes
     * before it is this function (and a sanitizer's backtrace interceptor). */
    void *caller = __builtin_return_address(0);
    int first = 0;
    while (first < n && pcs[first] != caller)
        first++;
    if (first == n) {
        fprintf(stderr, "stacks_fixture: the caller's return address is not in the backtrace\n");
        exit(1);
    }
    int depth = n - first < MAX_FRAMES ? n - first : MAX_FRAMES;
    stack *s = intern(r, pcs + first, depth, python);
    s->func = func;
    s->file = file;
    s->line = line;
    char members[16384], meta[17000];
    stack_members(r, s, members, sizeof members);
    if (bytes < 0) {
        snprintf(meta, sizeof meta,
                 "{\"api\":\"cudaMalloc\",\"reason\":\"out_of_memory\",\"requested_bytes\":%" PRId64
                 ",\"code\":2,\"thread_id\":100%s}",
                 -bytes, members);
        snapshot(r, r->oom, sizeof r->oom);
        r->oom_site = s->id;
        record(r, "error", 0, meta);
        return;
    }
    uint64_t ptr = UINT64_C(0x7f0000000000) + ++r->serial * UINT64_C(0x100000);
    snprintf(meta, sizeof meta, "{\"api\":\"cudaMalloc\",\"ptr\":\"0x%" PRIx64 "\",\"size\":%" PRId64
             ",\"thread_id\":100%s}", ptr, bytes, members);
    r->allocated += bytes;
    s->live += bytes;
    live_add(r, ptr, bytes, s, 0);
    record(r, "allocation", bytes, meta);
    if (r->allocated > r->peak_bytes) {
        r->peak_bytes = r->allocated;
        snapshot(r, r->peak, sizeof r->peak);
    }
}

/* An allocation without a usable stack: the table was full, or its id is
 * never defined (1 and 2). */
static void alloc_special(fixture_rec *r, int64_t bytes, int special)
{
    uint64_t ptr = UINT64_C(0x7f0000000000) + ++r->serial * UINT64_C(0x100000);
    char meta[512];
    snprintf(meta, sizeof meta, "{\"api\":\"cudaMalloc\",\"ptr\":\"0x%" PRIx64 "\",\"size\":%" PRId64 ",%s}", ptr,
             bytes, special == 1 ? "\"stack_status\":\"table_full\"" : "\"stack_id\":999");
    r->allocated += bytes;
    *(special == 1 ? &r->table_full_live : &r->undefined_live) += bytes;
    live_add(r, ptr, bytes, NULL, special);
    record(r, "allocation", bytes, meta);
}

/* Frees the first live block of the stack whose function is `func`. */
static void free_one(fixture_rec *r, const char *func)
{
    for (int i = 0; i < r->nlive; i++) {
        if (!r->live[i].st || strcmp(r->live[i].st->func, func) != 0)
            continue;
        char meta[256];
        snprintf(meta, sizeof meta,
                 "{\"allocation_api\":\"cudaMalloc\",\"api\":\"cudaFree\",\"ptr\":\"0x%" PRIx64 "\",\"size\":%" PRId64
                 ",\"thread_id\":100}",
                 r->live[i].ptr, r->live[i].size);
        r->allocated -= r->live[i].size;
        r->live[i].st->live -= r->live[i].size;
        record(r, "deallocation", -r->live[i].size, meta);
        r->live[i] = r->live[--r->nlive];
        return;
    }
}

__attribute__((noinline)) static void alloc_weights(fixture_rec *r, int64_t bytes)
{
    fixture_alloc(r, bytes, WEIGHTS_PY, __func__, __FILE__, __LINE__);
}

__attribute__((noinline)) static void alloc_workspace(fixture_rec *r, int64_t bytes)
{
    fixture_alloc(r, bytes, NO_PY, __func__, __FILE__, __LINE__);
}

__attribute__((noinline)) static void alloc_gradients(fixture_rec *r, int64_t bytes)
{
    fixture_alloc(r, bytes, NO_PY, __func__, __FILE__, __LINE__);
}

__attribute__((noinline)) static void alloc_too_much(fixture_rec *r, int64_t bytes)
{
    fixture_alloc(r, -bytes, ACTIVATIONS_PY, __func__, __FILE__, __LINE__);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stacks_fixture DIR TRUTH.json\n");
        return 2;
    }
    static fixture_rec r;
    r.dir = argv[1];
    open_segment(&r);
    record(&r, "start", 0, "{\"thread_id\":100}");
    /* One call site for every weight block, so that segment 2 uses a stack
     * of segment 1 again (and defines it again there). */
    static const int64_t weights[] = {256 * MIB, 256 * MIB, 256 * MIB, 0, 16 * MIB};
    for (size_t i = 0; i < sizeof weights / sizeof *weights; i++) {
        if (weights[i] == 0) {
            for (int k = 0; k < 2; k++)
                alloc_activations(&r, 100 * MIB, fixture_alloc);
            alloc_workspace(&r, 64 * MIB);
            open_segment(&r);
            free_one(&r, "alloc_activations");
            free_one(&r, "alloc_activations");
            free_one(&r, "alloc_weights");
            continue;
        }
        alloc_weights(&r, weights[i]);
    }
    alloc_gradients(&r, 32 * MIB);
    alloc_special(&r, 16 * MIB, 1);
    alloc_special(&r, 8 * MIB, 2);
    alloc_too_much(&r, 80 * GIB);
    free_one(&r, "alloc_gradients");
    record(&r, "stop", 0,
           "{\"thread_id\":100,\"stacks\":{\"mode\":\"all\",\"interned\":5,\"table_full\":1,\"truncated\":0}}");
    fclose(r.out);

    FILE *t = fopen(argv[2], "w");
    if (!t) {
        perror(argv[2]);
        return 1;
    }
    char exit_live[2048];
    snapshot(&r, exit_live, sizeof exit_live);
    fputs("{\"sites\":{", t);
    for (int i = 0; i < r.nstacks; i++)
        fprintf(t, "%s\"%" PRId64 "\":{\"function\":\"%s\",\"file\":\"%s\",\"line\":%d,\"python\":%d}",
                i ? "," : "", r.stacks[i].id, r.stacks[i].func, base_name(r.stacks[i].file), r.stacks[i].line,
                r.stacks[i].python != NO_PY);
    fprintf(t, "},\"peak\":%s,\"oom\":%s,\"exit\":%s,\"oom_requested\":%" PRId64 ",\"oom_site\":%" PRId64 "}\n",
            r.peak, r.oom, exit_live, 80 * GIB, r.oom_site);
    return fclose(t) == 0 ? 0 : 1;
}
