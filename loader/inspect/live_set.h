/* The allocations live at a moment of a replay: (device, pointer) ->
 * the allocation event, an open-addressing table. The report's "live at
 * peak" and "leaks" tables and the call-site views (stacks/) replay
 * allocations and frees through it. */
#ifndef STORMLOG_INSPECT_LIVE_SET_H
#define STORMLOG_INSPECT_LIVE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stormlog/loader.h"

typedef struct live_entry {
    uint64_t ptr;
    int64_t device_id;
    int64_t size;
    int64_t timestamp_ns;
    const stormlog_event *event; /* NULL: the slot is free */
} live_entry;

typedef struct live_set {
    live_entry *slots; /* iterate slots[0..cap) and skip those without an event */
    size_t cap, count; /* cap is a power of two, at most half full */
} live_set;

/* Doubles the table (the first call makes it); false when out of memory. */
bool live_grow(live_set *set);
/* Adds or replaces (an address reused without a free seen: the new block). */
bool live_put(live_set *set, const live_entry *entry);
void live_remove(live_set *set, uint64_t ptr, int64_t device_id);
void live_free(live_set *set);

#endif
