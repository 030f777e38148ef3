/*
 * sim_state.h: the core's state, shared by its own files only.
 *
 * Ownership: each sim_device (and the host slot) is guarded by its lock, which
 * also guards the pools of that device. The pointer table has its own shard
 * locks. No code path holds a device lock and a shard lock at once: an
 * allocation reserves capacity and an address under the device lock, then
 * inserts its record; a free removes the record, then returns capacity and
 * address under the device lock. created_pools_lock is only ever taken last.
 * Counters are atomics.
 */
#ifndef STORMLOG_SIM_STATE_H
#define STORMLOG_SIM_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim.h"
#include "sim_addr.h"
#include "sim_config.h"

struct sim_pool {
    int device;
    bool is_default;
    bool destroyed;        /* destroyed while allocations were still live */
    uint64_t cached;       /* freed into the pool, not yet released */
    uint64_t live_allocs;
    sim_pool *next_created;   /* list of created pools, for reset */
    sim_pool *prev_created;
};

struct sim_stream {
    int device;
};

typedef struct sim_device {
    pthread_mutex_t lock;
    uint64_t capacity;     /* 0 for the host slot: unlimited */
    uint64_t live;         /* bytes of live allocations */
    uint64_t live_count;
    uint64_t reserved;     /* sum of the device's pools' cached bytes */
    sim_addr_space space;  /* unused for the host slot */
    sim_pool default_pool;
} sim_device;

typedef struct sim_counters {
    atomic_ullong alloc_calls;
    atomic_ullong allocs;
    atomic_ullong zero_allocs;
    atomic_ullong failed;
    atomic_ullong frees;
    atomic_ullong bad_frees;
    atomic_ullong injection_calls; /* calls that the failure injection counts */
} sim_counters;

typedef struct sim_state {
    sim_config config;
    sim_device devices[SIM_MAX_DEVICES];
    sim_device host;
    sim_counters counters;
    pthread_mutex_t created_pools_lock;
    sim_pool *created_pools;
} sim_state;

extern sim_state sim_g;

/* Initialise on first use (thread-safe); every entry point calls it. */
void sim_ensure_init(void);
bool sim_is_initialized(void);
/* The slot of device (SIM_HOST_DEVICE: host), or NULL when out of range. */
sim_device *sim_device_slot(int device);

#endif
