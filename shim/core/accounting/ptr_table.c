/* Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so a long run of alloc/free never degrades the probes). Key 0
 * marks an empty slot; a NULL pointer is never inserted. */
#include "ptr_table.h"

#include <stdlib.h>
#include <string.h>

#include "spinlock.h"

#define SHARD_BITS 6
#define SHARD_COUNT (1u << SHARD_BITS)
#define INITIAL_CAPACITY 256u /* slots per shard; power of two */

typedef struct ptr_slot {
    uintptr_t key;
    sl_ptr_info info;
} ptr_slot;

typedef struct ptr_shard {
    sl_spinlock lock;
    uint32_t capacity; /* 0 until the first insert */
    uint32_t count;
    ptr_slot *slots;
} __attribute__((aligned(64))) ptr_shard;

static ptr_shard shards[SHARD_COUNT];

/* Allocation addresses are aligned and clustered: mix all bits before
 * taking the shard from the top and the slot from the bottom. */
static inline uint64_t hash_ptr(uintptr_t p)
{
    uint64_t x = (uint64_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline ptr_shard *shard_of(uint64_t h)
{
    return &shards[h >> (64 - SHARD_BITS)];
}

static void place(ptr_slot *slots, uint32_t capacity, uintptr_t key, sl_ptr_info info)
{
    uint32_t mask = capacity - 1;
    uint32_t i = (uint32_t)hash_ptr(key) & mask;
    while (slots[i].key != 0)
        i = (i + 1) & mask;
    slots[i].key = key;
    slots[i].info = info;
}

/* Keeps the load factor under 1/2; false when memory ran out (the table is
 * unchanged and still valid). */
static bool grow_if_needed(ptr_shard *s)
{
    if (s->capacity != 0 && (s->count + 1) * 2 <= s->capacity)
        return true;
    uint32_t capacity = s->capacity ? s->capacity * 2 : INITIAL_CAPACITY;
    if (capacity == 0) /* overflowed */
        return false;
    ptr_slot *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return false;
    for (uint32_t i = 0; i < s->capacity; i++)
        if (s->slots[i].key != 0)
            place(slots, capacity, s->slots[i].key, s->slots[i].info);
    free(s->slots);
    s->slots = slots;
    s->capacity = capacity;
    return true;
}

sl_ptr_insert_result sl_ptr_table_insert(uintptr_t ptr, sl_ptr_info info, sl_ptr_info *old)
{
    uint64_t h = hash_ptr(ptr);
    ptr_shard *s = shard_of(h);
    sl_ptr_insert_result result = SL_PTR_INSERTED;
    sl_spin_lock(&s->lock);
    if (!grow_if_needed(s)) {
        result = SL_PTR_NO_MEMORY;
        goto out;
    }
    uint32_t mask = s->capacity - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        if (s->slots[i].key == ptr) {
            /* The runtime handed out an address we still think live: the old
             * block went away by a path we do not see. The caller settles it. */
            *old = s->slots[i].info;
            s->slots[i].info = info;
            result = SL_PTR_REPLACED;
            goto out;
        }
        if (s->slots[i].key == 0) {
            s->slots[i].key = ptr;
            s->slots[i].info = info;
            s->count++;
            goto out;
        }
    }
out:
    sl_spin_unlock(&s->lock);
    return result;
}

bool sl_ptr_table_remove(uintptr_t ptr, sl_ptr_info *out)
{
    uint64_t h = hash_ptr(ptr);
    ptr_shard *s = shard_of(h);
    bool found = false;
    sl_spin_lock(&s->lock);
    if (s->capacity == 0)
        goto out;
    uint32_t mask = s->capacity - 1;
    uint32_t i = (uint32_t)h & mask;
    while (s->slots[i].key != 0 && s->slots[i].key != ptr)
        i = (i + 1) & mask;
    if (s->slots[i].key == 0)
        goto out;
    *out = s->slots[i].info;
    found = true;
    s->count--;
    /* Backward shift: pull later members of the probe run into the hole when
     * their home slot does not lie strictly between the hole and them. */
    for (uint32_t hole = i, j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (s->slots[j].key == 0) {
            s->slots[hole].key = 0;
            break;
        }
        uint32_t home = (uint32_t)hash_ptr(s->slots[j].key) & mask;
        bool home_in_gap = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_in_gap) {
            s->slots[hole] = s->slots[j];
            hole = j;
        }
    }
out:
    sl_spin_unlock(&s->lock);
    return found;
}

bool sl_ptr_table_find(uintptr_t ptr, sl_ptr_info *out)
{
    uint64_t h = hash_ptr(ptr);
    ptr_shard *s = shard_of(h);
    bool found = false;
    sl_spin_lock(&s->lock);
    if (s->capacity != 0) {
        uint32_t mask = s->capacity - 1;
        uint32_t i = (uint32_t)h & mask;
        while (s->slots[i].key != 0 && s->slots[i].key != ptr)
            i = (i + 1) & mask;
        if (s->slots[i].key != 0) {
            *out = s->slots[i].info;
            found = true;
        }
    }
    sl_spin_unlock(&s->lock);
    return found;
}

void sl_ptr_table_lock_all(void)
{
    for (uint32_t i = 0; i < SHARD_COUNT; i++)
        sl_spin_lock(&shards[i].lock);
}

void sl_ptr_table_unlock_all(void)
{
    for (uint32_t i = SHARD_COUNT; i-- > 0;)
        sl_spin_unlock(&shards[i].lock);
}

void sl_ptr_table_reset_in_child(void)
{
    /* Every shard was locked by the prepare handler in a consistent state. */
    for (uint32_t i = 0; i < SHARD_COUNT; i++) {
        free(shards[i].slots);
        shards[i].slots = NULL;
        shards[i].capacity = 0;
        shards[i].count = 0;
        sl_spin_reset(&shards[i].lock);
    }
}
