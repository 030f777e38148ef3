/* The live set (live_set.h): linear probing, at most half full. */
#include <stdlib.h>

#include "live_set.h"

static size_t live_hash(uint64_t ptr, int64_t device_id, size_t mask)
{
    uint64_t h = ptr ^ ((uint64_t)device_id * 0x9e3779b97f4a7c15u);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return (size_t)h & mask;
}

bool live_grow(live_set *set)
{
    size_t cap = set->cap ? set->cap * 2 : 1024;
    live_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < set->cap; i++) {
        live_entry *e = &set->slots[i];
        if (!e->event)
            continue;
        size_t j = live_hash(e->ptr, e->device_id, cap - 1);
        while (slots[j].event)
            j = (j + 1) & (cap - 1);
        slots[j] = *e;
    }
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return true;
}

static live_entry *live_slot(const live_set *set, uint64_t ptr, int64_t device_id)
{
    size_t mask = set->cap - 1, i = live_hash(ptr, device_id, mask);
    while (set->slots[i].event && (set->slots[i].ptr != ptr || set->slots[i].device_id != device_id))
        i = (i + 1) & mask;
    return &set->slots[i];
}

bool live_put(live_set *set, const live_entry *entry)
{
    if ((set->count + 1) * 2 > set->cap && !live_grow(set))
        return false;
    live_entry *slot = live_slot(set, entry->ptr, entry->device_id);
    if (!slot->event)
        set->count++;
    *slot = *entry; /* an address reused without a free seen: the new block */
    return true;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
void live_remove(live_set *set, uint64_t ptr, int64_t device_id)
{
    if (set->cap == 0)
        return;
    size_t mask = set->cap - 1;
    live_entry *slot = live_slot(set, ptr, device_id);
    if (!slot->event)
        return;
    size_t hole = (size_t)(slot - set->slots);
    set->count--;
    for (size_t j = (hole + 1) & mask; set->slots[j].event; j = (j + 1) & mask) {
        size_t home = live_hash(set->slots[j].ptr, set->slots[j].device_id, mask);
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            set->slots[hole] = set->slots[j];
            hole = j;
        }
    }
    set->slots[hole].event = NULL;
}

void live_free(live_set *set)
{
    free(set->slots);
    set->slots = NULL;
    set->cap = set->count = 0;
}
