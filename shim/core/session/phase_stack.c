/* Per-thread phase stacks and the start/end range table. See phase_stack.h.
 *
 * A phase event carries its path as the event context and, in flat
 * metadata, scope_id, parent_scope_id, sequence and depth; the record
 * writer folds these into metadata.phase_scope = {name, path, scope_id,
 * parent_scope_id, sequence}, the shape Python's projection reads (the
 * fixed-size event has no room for nested or copied metadata strings). */
#include "phase_stack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lifecycle.h"
#include "thread_context.h"
#include "pipeline.h"
#include "wallclock.h"

/* One thread's open phases. path holds the recorded levels joined by '/';
 * end[i] is where level i's text ends in it. */
typedef struct phase_stack {
    uint32_t depth;                  /* open levels, recorded or not */
    uint32_t path_len;
    uint16_t end[SL_PHASE_DEPTH_MAX];
    uint64_t scope[SL_PHASE_DEPTH_MAX];
    char path[SL_EVENT_CONTEXT_MAX];
} phase_stack;

/* A pointer in static TLS, the stack itself allocated at the thread's first
 * push: a few hundred bytes per thread would not fit the static TLS surplus
 * if the shim were only dlopened (by NVTX) rather than preloaded. */
static __thread phase_stack *thread_stack __attribute__((tls_model("initial-exec")));
static pthread_key_t stack_key;
static pthread_once_t stack_key_once = PTHREAD_ONCE_INIT;
static _Atomic bool key_ready;

static _Atomic bool phases_enabled;
static _Atomic uint64_t next_scope_id = 1;
static _Atomic uint64_t next_sequence = 1;
static _Atomic uint64_t truncated, unmatched_pops, unmatched_ends, ranges_dropped;

/* Start/end ranges: id 0 = free, RANGE_BUSY = being written. */
#define RANGE_BUSY UINT64_MAX
typedef struct range_slot {
    _Atomic uint64_t id;
    uint64_t parent;
    char path[SL_EVENT_CONTEXT_MAX];
} range_slot;
static range_slot ranges[SL_PHASE_RANGES_MAX];

/* Runs in the exiting thread: later destructors that allocate (and ask for
 * a context) must find no stack rather than a freed one. */
static void free_stack(void *p)
{
    thread_stack = NULL;
    free(p);
}

static void make_key(void)
{
    if (pthread_key_create(&stack_key, free_stack) == 0)
        atomic_store(&key_ready, true);
}

static phase_stack *my_stack(void)
{
    phase_stack *st = thread_stack;
    if (st)
        return st;
    st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    pthread_once(&stack_key_once, make_key);
    if (atomic_load(&key_ready))
        pthread_setspecific(stack_key, st); /* freed when the thread ends */
    thread_stack = st;
    return st;
}

void sl_phase_enable(void)
{
    atomic_store_explicit(&phases_enabled, true, memory_order_release);
}

/* Appends "/name" (or "name" at the root) to buf[0..*len), cut at a UTF-8
 * boundary to fit `cap` bytes with the NUL. A '/' inside a name would read
 * as a level of its own; it is written as '|'. */
static void append_level(char *buf, uint32_t *len, size_t cap, const char *name, size_t name_len)
{
    size_t at = *len;
    if (at > 0 && at + 1 < cap)
        buf[at++] = '/';
    size_t room = cap - 1 > at ? cap - 1 - at : 0;
    size_t n = name_len < room ? name_len : room;
    /* Never cut inside a UTF-8 sequence: back off continuation bytes. */
    if (n < name_len)
        while (n > 0 && ((unsigned char)name[n] & 0xC0u) == 0x80u)
            n--;
    for (size_t i = 0; i < n; i++)
        buf[at + i] = name[i] == '/' ? '|' : name[i];
    at += n;
    buf[at] = '\0';
    *len = (uint32_t)at;
}

/* `call`: "push_pop" (the thread's stack) or "start_end" (a range that
 * may end on another thread). */
static void emit_phase(sl_event_type type, const char *call, const char *path, uint64_t scope, uint64_t parent,
                       uint32_t depth)
{
    if (!sl_lifecycle_begin_event(SL_COLLECTOR_CUDA))
        return;
    sl_event ev;
    memset(&ev, 0, offsetof(sl_event, meta));
    ev.type = (uint8_t)type;
    ev.collector = SL_COLLECTOR_CUDA;
    ev.device_id = -1; /* a phase belongs to a thread, not to a device */
    ev.timestamp_ns = sl_wallclock_ns(); /* the allocations' clock: phases and allocations interleave right */
    sl_event_set_context(&ev, path);
    sl_event_meta_int(&ev, "scope_id", (int64_t)scope);
    if (parent != 0)
        sl_event_meta_int(&ev, "parent_scope_id", (int64_t)parent);
    else
        sl_event_meta_null(&ev, "parent_scope_id");
    sl_event_meta_int(&ev, "sequence",
                      (int64_t)atomic_fetch_add_explicit(&next_sequence, 1, memory_order_relaxed));
    sl_event_meta_int(&ev, "depth", (int64_t)depth);
    sl_event_meta_str(&ev, "nvtx", call);
    sl_event_meta_int(&ev, "thread_id", sl_thread_id());
    if (sl_lifecycle_recording())
        sl_pipeline_emit(&ev);
}

int sl_phase_push(const char *name, size_t len)
{
    phase_stack *st = my_stack();
    if (!st)
        return -1;
    uint32_t level = st->depth++;
    if (level >= SL_PHASE_DEPTH_MAX) {
        atomic_fetch_add_explicit(&truncated, 1, memory_order_relaxed);
        return (int)level;
    }
    uint64_t scope = atomic_fetch_add_explicit(&next_scope_id, 1, memory_order_relaxed);
    append_level(st->path, &st->path_len, sizeof st->path, name, len);
    st->end[level] = (uint16_t)st->path_len;
    st->scope[level] = scope;
    emit_phase(SL_EVENT_PHASE_ENTER, "push_pop", st->path, scope, level ? st->scope[level - 1] : 0, level);
    return (int)level;
}

int sl_phase_pop(void)
{
    phase_stack *st = thread_stack;
    if (!st || st->depth == 0) {
        atomic_fetch_add_explicit(&unmatched_pops, 1, memory_order_relaxed);
        return -1;
    }
    uint32_t level = --st->depth;
    if (level >= SL_PHASE_DEPTH_MAX)
        return (int)level; /* a level that was never recorded */
    /* The exit carries the path of the phase it closes, then the path
     * shrinks back to the parent's. */
    emit_phase(SL_EVENT_PHASE_EXIT, "push_pop", st->path, st->scope[level], level ? st->scope[level - 1] : 0, level);
    st->path_len = level ? st->end[level - 1] : 0;
    st->path[st->path_len] = '\0';
    return (int)level;
}

uint64_t sl_phase_range_start(const char *name, size_t len)
{
    uint64_t id = atomic_fetch_add_explicit(&next_scope_id, 1, memory_order_relaxed);
    phase_stack *st = thread_stack;
    uint32_t depth = st ? (st->depth < SL_PHASE_DEPTH_MAX ? st->depth : SL_PHASE_DEPTH_MAX) : 0;
    uint64_t parent = depth ? st->scope[depth - 1] : 0;
    /* Claim a free slot, starting where the id hashes to. */
    for (size_t probe = 0; probe < SL_PHASE_RANGES_MAX; probe++) {
        range_slot *slot = &ranges[(id + probe) % SL_PHASE_RANGES_MAX];
        uint64_t expected = 0;
        if (!atomic_compare_exchange_strong_explicit(&slot->id, &expected, RANGE_BUSY, memory_order_acquire,
                                                     memory_order_relaxed))
            continue;
        uint32_t path_len = 0;
        slot->path[0] = '\0';
        if (st && depth) {
            memcpy(slot->path, st->path, st->path_len + 1);
            path_len = st->path_len;
        }
        append_level(slot->path, &path_len, sizeof slot->path, name, len);
        slot->parent = parent;
        emit_phase(SL_EVENT_PHASE_ENTER, "start_end", slot->path, id, parent, depth);
        atomic_store_explicit(&slot->id, id, memory_order_release);
        return id;
    }
    atomic_fetch_add_explicit(&ranges_dropped, 1, memory_order_relaxed);
    return id;
}

void sl_phase_range_end(uint64_t id)
{
    if (id == 0 || id == RANGE_BUSY) {
        atomic_fetch_add_explicit(&unmatched_ends, 1, memory_order_relaxed);
        return;
    }
    for (size_t probe = 0; probe < SL_PHASE_RANGES_MAX; probe++) {
        range_slot *slot = &ranges[(id + probe) % SL_PHASE_RANGES_MAX];
        uint64_t expected = id;
        /* Taking it busy first: two ends of one id cannot both read it. */
        if (!atomic_compare_exchange_strong_explicit(&slot->id, &expected, RANGE_BUSY, memory_order_acquire,
                                                     memory_order_relaxed))
            continue;
        uint32_t depth = 0;
        for (const char *p = slot->path; *p; p++)
            depth += *p == '/';
        emit_phase(SL_EVENT_PHASE_EXIT, "start_end", slot->path, id, slot->parent, depth);
        atomic_store_explicit(&slot->id, 0, memory_order_release);
        return;
    }
    atomic_fetch_add_explicit(&unmatched_ends, 1, memory_order_relaxed);
}

bool sl_phase_apply_context(sl_event *ev)
{
    if (!atomic_load_explicit(&phases_enabled, memory_order_relaxed))
        return false;
    const phase_stack *st = thread_stack;
    if (!st || st->depth == 0 || st->path_len == 0)
        return false;
    sl_event_set_context(ev, st->path);
    return true;
}

void sl_phase_get_counters(sl_phase_counters *out)
{
    out->truncated = atomic_load(&truncated);
    out->unmatched_pops = atomic_load(&unmatched_pops);
    out->unmatched_ends = atomic_load(&unmatched_ends);
    out->ranges_dropped = atomic_load(&ranges_dropped);
}

void sl_phase_note_counters(sl_event *ev)
{
    if (!atomic_load_explicit(&phases_enabled, memory_order_relaxed))
        return;
    sl_phase_counters c;
    sl_phase_get_counters(&c);
    sl_event_meta_int(ev, "nvtx_truncated_pushes", (int64_t)c.truncated);
    sl_event_meta_int(ev, "nvtx_unmatched_pops", (int64_t)c.unmatched_pops);
    sl_event_meta_int(ev, "nvtx_unmatched_ends", (int64_t)c.unmatched_ends);
    sl_event_meta_int(ev, "nvtx_dropped_ranges", (int64_t)c.ranges_dropped);
}
