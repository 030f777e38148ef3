/* Open addressing over twice as many entries as stacks allowed (probes stay
 * short). An entry's state word: 0 free, BUSY while its inserter copies the
 * bytes, else the stack's hash with the top bit set, published with release
 * after the bytes (the writer reads them after an acquire load). A thread
 * that meets a BUSY entry does not wait for it (its inserter may be
 * preempted): it probes on, and at worst the same stack gets a second id,
 * which readers treat as another stack with the same frames. */
#include "stack_table.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define BUSY UINT64_C(1)
#define READY_BIT (UINT64_C(1) << 63)

typedef struct entry {
    _Atomic uint64_t state;
    uint32_t offset; /* into the arena */
    uint32_t len;
} entry;

static entry *entries;
static size_t slot_count; /* a power of two */
static unsigned max_stacks;
static unsigned char *arena;
static size_t arena_bytes;
static _Atomic size_t arena_used;
static _Atomic uint64_t interned;
static _Atomic uint64_t full_count;

static void *map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

bool sl_stack_table_init(unsigned max)
{
    if (entries != NULL)
        return true; /* a fork child keeps its parent's table: ids stay unique */
    size_t slots = 2;
    while (slots < 2u * (size_t)max)
        slots <<= 1;
    size_t bytes = (size_t)max * SL_STACK_TABLE_BYTES_PER_STACK;
    entry *e = map(slots * sizeof *e);
    unsigned char *a = map(bytes);
    if (e == NULL || a == NULL) {
        if (e)
            munmap(e, slots * sizeof *e);
        if (a)
            munmap(a, bytes);
        return false;
    }
    arena = a;
    arena_bytes = bytes;
    slot_count = slots;
    max_stacks = max;
    entries = e;
    return true;
}

/* FNV-1a over 8 bytes at a time: stacks are hashed on every allocation. */
static uint64_t hash_of(const unsigned char *b, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * UINT64_C(0x100000001b3);
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h | READY_BIT;
}

static bool take_room(size_t len, uint32_t *offset)
{
    size_t at = atomic_fetch_add_explicit(&arena_used, len, memory_order_relaxed);
    if (at > arena_bytes || len > arena_bytes - at)
        return false; /* the overshoot is never handed out: later takers fail too */
    *offset = (uint32_t)at;
    return true;
}

sl_intern_status sl_stack_table_intern(const unsigned char *blob, size_t len, uint32_t *id, bool *added)
{
    *added = false;
    if (entries == NULL || len > UINT32_MAX)
        goto full;
    uint64_t h = hash_of(blob, len);
    size_t mask = slot_count - 1;
    for (size_t probe = 0, i = h & mask; probe < slot_count; probe++, i = (i + 1) & mask) {
        entry *e = &entries[i];
        uint64_t s = atomic_load_explicit(&e->state, memory_order_acquire);
        if (s == 0) {
            if (atomic_load_explicit(&interned, memory_order_relaxed) >= max_stacks)
                goto full;
            uint64_t expected = 0;
            if (!atomic_compare_exchange_strong_explicit(&e->state, &expected, BUSY, memory_order_acquire,
                                                         memory_order_acquire)) {
                s = expected;
            } else {
                uint32_t offset;
                if (!take_room(len, &offset)) {
                    atomic_store_explicit(&e->state, 0, memory_order_release);
                    goto full;
                }
                memcpy(arena + offset, blob, len);
                e->offset = offset;
                e->len = (uint32_t)len;
                atomic_fetch_add_explicit(&interned, 1, memory_order_relaxed);
                atomic_store_explicit(&e->state, h, memory_order_release);
                *id = (uint32_t)i + 1;
                *added = true;
                return SL_INTERN_OK;
            }
        }
        if (s == h && e->len == len && memcmp(arena + e->offset, blob, len) == 0) {
            *id = (uint32_t)i + 1;
            return SL_INTERN_OK;
        }
    }
full:
    atomic_fetch_add_explicit(&full_count, 1, memory_order_relaxed);
    return SL_INTERN_FULL;
}

bool sl_stack_table_get(uint32_t id, const unsigned char **blob, size_t *len)
{
    if (entries == NULL || id == 0 || id > slot_count)
        return false;
    entry *e = &entries[id - 1];
    uint64_t s = atomic_load_explicit(&e->state, memory_order_acquire);
    if (!(s & READY_BIT))
        return false;
    *blob = arena + e->offset;
    *len = e->len;
    return true;
}

size_t sl_stack_table_slots(void)
{
    return slot_count;
}

uint64_t sl_stack_table_interned(void)
{
    return atomic_load_explicit(&interned, memory_order_relaxed);
}

uint64_t sl_stack_table_full_count(void)
{
    return atomic_load_explicit(&full_count, memory_order_relaxed);
}
