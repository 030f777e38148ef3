/*
 * sim_ptrtable.h: every live allocation of the simulated runtimes, keyed by
 * address. Sharded by address hash, one mutex per shard, so threads that
 * allocate and free concurrently rarely meet.
 */
#ifndef STORMLOG_SIM_PTRTABLE_H
#define STORMLOG_SIM_PTRTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

typedef struct sim_record {
    uintptr_t addr;        /* never 0 */
    uint64_t size;         /* bytes accounted (requested, or pitch * rows) */
    uint64_t span;         /* bytes of address space taken (size rounded up) */
    int device;            /* SIM_HOST_DEVICE for pinned host */
    sim_kind kind;
    sim_pool *pool;        /* SIM_KIND_POOL only */
} sim_record;

typedef enum sim_take_result {
    SIM_TAKE_OK,
    SIM_TAKE_UNKNOWN,      /* not a live allocation */
    SIM_TAKE_WRONG_KIND,   /* live, but this free does not accept its kind; kept */
} sim_take_result;

void sim_ptrtable_init(void);
/* Drops every record; calls visit(record) on each first (may be NULL). */
void sim_ptrtable_clear(void (*visit)(const sim_record *record));
/* false when the table could not grow (the allocation must be undone). */
bool sim_ptrtable_insert(const sim_record *record);
/* Copies the record of the live allocation starting at addr; false if none. */
bool sim_ptrtable_find(uintptr_t addr, sim_record *out);
/* Removes the record of addr if its kind is in accept, copying it to *out. */
sim_take_result sim_ptrtable_take(uintptr_t addr, unsigned accept, sim_record *out);

#endif
