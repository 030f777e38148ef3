/* Open addressing with linear probing and backward-shift deletion, as the
 * pointer table (ptr_table.c), without its shards: see map_table.h. */
#include "map_table.h"

#include <stdlib.h>

#include "spinlock.h"

#define INITIAL_CAPACITY 64u /* power of two */

static struct {
    sl_spinlock lock;
    uint32_t capacity; /* 0 until the first insert */
    uint32_t count;
    sl_mapping *slots; /* ptr 0: empty */
} table;

static inline uint32_t home_of(uintptr_t p, uint32_t mask)
{
    /* Mapped addresses are multiples of the 2 MiB granularity: mix. */
    uint64_t x = (uint64_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x & mask;
}

/* Keeps the load factor under 1/2; false when memory ran out (the table is
 * unchanged and still valid). */
static bool grow_if_needed(void)
{
    if (table.capacity != 0 && (table.count + 1) * 2 <= table.capacity)
        return true;
    uint32_t capacity = table.capacity ? table.capacity * 2 : INITIAL_CAPACITY;
    if (capacity == 0)
        return false;
    sl_mapping *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return false;
    for (uint32_t i = 0; i < table.capacity; i++) {
        if (table.slots[i].ptr == 0)
            continue;
        uint32_t j = home_of(table.slots[i].ptr, capacity - 1);
        while (slots[j].ptr != 0)
            j = (j + 1) & (capacity - 1);
        slots[j] = table.slots[i];
    }
    free(table.slots);
    table.slots = slots;
    table.capacity = capacity;
    return true;
}

sl_map_insert_result sl_map_table_insert(const sl_mapping *m, sl_mapping *old)
{
    sl_map_insert_result result = SL_MAP_INSERTED;
    sl_spin_lock(&table.lock);
    if (!grow_if_needed()) {
        result = SL_MAP_NO_MEMORY;
        goto out;
    }
    uint32_t mask = table.capacity - 1;
    for (uint32_t i = home_of(m->ptr, mask);; i = (i + 1) & mask) {
        if (table.slots[i].ptr == m->ptr) {
            /* The driver mapped an address we still think mapped: the old
             * mapping went away by a path we do not see. */
            *old = table.slots[i];
            table.slots[i] = *m;
            result = SL_MAP_REPLACED;
            goto out;
        }
        if (table.slots[i].ptr == 0) {
            table.slots[i] = *m;
            table.count++;
            goto out;
        }
    }
out:
    sl_spin_unlock(&table.lock);
    return result;
}

bool sl_map_table_remove(uintptr_t ptr, sl_mapping *out)
{
    bool found = false;
    sl_spin_lock(&table.lock);
    if (table.capacity == 0 || ptr == 0)
        goto out;
    uint32_t mask = table.capacity - 1;
    uint32_t i = home_of(ptr, mask);
    while (table.slots[i].ptr != 0 && table.slots[i].ptr != ptr)
        i = (i + 1) & mask;
    if (table.slots[i].ptr == 0)
        goto out;
    *out = table.slots[i];
    found = true;
    table.count--;
    for (uint32_t hole = i, j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (table.slots[j].ptr == 0) {
            table.slots[hole].ptr = 0;
            break;
        }
        uint32_t home = home_of(table.slots[j].ptr, mask);
        bool home_in_gap = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_in_gap) {
            table.slots[hole] = table.slots[j];
            hole = j;
        }
    }
out:
    sl_spin_unlock(&table.lock);
    return found;
}

void sl_map_table_lock(void)
{
    sl_spin_lock(&table.lock);
}

void sl_map_table_unlock(void)
{
    sl_spin_unlock(&table.lock);
}

void sl_map_table_reset_in_child(void)
{
    /* The parent's mappings are the parent's. Locked by the prepare handler. */
    free(table.slots);
    table.slots = NULL;
    table.capacity = 0;
    table.count = 0;
    sl_spin_reset(&table.lock);
}
