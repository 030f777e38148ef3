/*
 * sim_ptrtable.c: open addressing with linear probing and backward-shift
 * deletion (no tombstones), one table per shard. Addresses are never 0, so 0
 * marks an empty slot.
 */
#include "sim_ptrtable.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SHARD_COUNT 64
#define SHARD_MIN_SLOTS 64

typedef struct shard {
    pthread_mutex_t lock;
    sim_record *slots;
    size_t capacity;       /* power of two, or 0 before the first insert */
    size_t count;
} shard;

static shard shards[SHARD_COUNT];

static uint64_t mix(uintptr_t addr)
{
    /* Addresses are 256-byte aligned: fold the low bits away, then scramble
     * (splitmix64 finaliser) so neighbours land in different shards. */
    uint64_t x = (uint64_t)addr >> 8;
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static shard *shard_of(uint64_t hash)
{
    return &shards[hash % SHARD_COUNT];
}

static size_t home_slot(const shard *s, uint64_t hash)
{
    return (size_t)(hash / SHARD_COUNT) & (s->capacity - 1);
}

void sim_ptrtable_init(void)
{
    for (size_t i = 0; i < SHARD_COUNT; i++) {
        pthread_mutex_init(&shards[i].lock, NULL);
        shards[i].slots = NULL;
        shards[i].capacity = 0;
        shards[i].count = 0;
    }
}

void sim_ptrtable_clear(void (*visit)(const sim_record *record))
{
    for (size_t i = 0; i < SHARD_COUNT; i++) {
        shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        for (size_t j = 0; j < s->capacity; j++)
            if (s->slots[j].addr != 0 && visit != NULL)
                visit(&s->slots[j]);
        free(s->slots);
        s->slots = NULL;
        s->capacity = 0;
        s->count = 0;
        pthread_mutex_unlock(&s->lock);
    }
}

static void place(shard *s, const sim_record *record)
{
    size_t slot = home_slot(s, mix(record->addr));
    while (s->slots[slot].addr != 0)
        slot = (slot + 1) & (s->capacity - 1);
    s->slots[slot] = *record;
}

static bool grow(shard *s)
{
    size_t new_capacity = s->capacity == 0 ? SHARD_MIN_SLOTS : s->capacity * 2;
    sim_record *new_slots = calloc(new_capacity, sizeof *new_slots);
    if (new_slots == NULL)
        return false;
    sim_record *old_slots = s->slots;
    size_t old_capacity = s->capacity;
    s->slots = new_slots;
    s->capacity = new_capacity;
    for (size_t i = 0; i < old_capacity; i++)
        if (old_slots[i].addr != 0)
            place(s, &old_slots[i]);
    free(old_slots);
    return true;
}

bool sim_ptrtable_insert(const sim_record *record)
{
    shard *s = shard_of(mix(record->addr));
    pthread_mutex_lock(&s->lock);
    /* Keep the load factor under 1/2 so probes stay short. */
    bool ok = (s->count + 1) * 2 <= s->capacity || grow(s);
    if (ok) {
        place(s, record);
        s->count++;
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* Backward-shift deletion: pull later members of the probe run into the hole
 * so that lookups never need tombstones. */
static void remove_slot(shard *s, size_t hole)
{
    size_t mask = s->capacity - 1;
    size_t next = (hole + 1) & mask;
    while (s->slots[next].addr != 0) {
        size_t home = home_slot(s, mix(s->slots[next].addr));
        /* The entry at next may move into hole unless its home lies in the
         * cyclic range (hole, next]. */
        bool home_after_hole = ((next - home) & mask) < ((next - hole) & mask);
        if (!home_after_hole) {
            s->slots[hole] = s->slots[next];
            hole = next;
        }
        next = (next + 1) & mask;
    }
    memset(&s->slots[hole], 0, sizeof s->slots[hole]);
    s->count--;
}

/* The slot holding addr in its (locked) shard, or SIZE_MAX. */
static size_t slot_of(const shard *s, uint64_t hash, uintptr_t addr)
{
    if (s->capacity == 0)
        return SIZE_MAX;
    for (size_t slot = home_slot(s, hash); s->slots[slot].addr != 0; slot = (slot + 1) & (s->capacity - 1))
        if (s->slots[slot].addr == addr)
            return slot;
    return SIZE_MAX;
}

bool sim_ptrtable_find(uintptr_t addr, sim_record *out)
{
    uint64_t hash = mix(addr);
    shard *s = shard_of(hash);
    pthread_mutex_lock(&s->lock);
    size_t slot = slot_of(s, hash, addr);
    if (slot != SIZE_MAX)
        *out = s->slots[slot];
    pthread_mutex_unlock(&s->lock);
    return slot != SIZE_MAX;
}

sim_take_result sim_ptrtable_take(uintptr_t addr, unsigned accept, sim_record *out)
{
    uint64_t hash = mix(addr);
    shard *s = shard_of(hash);
    sim_take_result result = SIM_TAKE_UNKNOWN;
    pthread_mutex_lock(&s->lock);
    size_t slot = slot_of(s, hash, addr);
    if (slot != SIZE_MAX && (s->slots[slot].kind & accept) == 0) {
        result = SIM_TAKE_WRONG_KIND;
    } else if (slot != SIZE_MAX) {
        *out = s->slots[slot];
        remove_slot(s, slot);
        result = SIM_TAKE_OK;
    }
    pthread_mutex_unlock(&s->lock);
    return result;
}
