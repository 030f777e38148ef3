/*
 * sim_core.c: devices, allocation and free, pools and streams.
 *
 * Every allocation goes through reserve_on_device() (capacity + address under
 * the device lock) and publish() (pointer table + counters); every free
 * through stormlog_sim_free(). Counters move only after the state they
 * describe, so at a quiescent point they are exact.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../stormlog_double.h"
#include "sim.h"
#include "sim_ptrtable.h"
#include "sim_state.h"

sim_state sim_g;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool initialized;
static _Thread_local int current_device;

/* ---- lifecycle --------------------------------------------------------- */

static void init_device(sim_device *device, int id, uint64_t capacity)
{
    pthread_mutex_init(&device->lock, NULL);
    device->capacity = capacity;
    device->live = 0;
    device->live_count = 0;
    device->reserved = 0;
    sim_addr_init(&device->space, id < 0 ? 0 : id);
    memset(&device->default_pool, 0, sizeof device->default_pool);
    device->default_pool.device = id;
    device->default_pool.is_default = true;
}

static void init_state(void)
{
    sim_config_from_env(&sim_g.config);
    for (int id = 0; id < SIM_MAX_DEVICES; id++)
        init_device(&sim_g.devices[id], id, sim_g.config.capacity[id]);
    init_device(&sim_g.host, SIM_HOST_DEVICE, sim_g.config.host_capacity);
    atomic_store(&sim_g.counters.alloc_calls, 0);
    atomic_store(&sim_g.counters.allocs, 0);
    atomic_store(&sim_g.counters.zero_allocs, 0);
    atomic_store(&sim_g.counters.failed, 0);
    atomic_store(&sim_g.counters.frees, 0);
    atomic_store(&sim_g.counters.bad_frees, 0);
    atomic_store(&sim_g.counters.injection_calls, 0);
    pthread_mutex_init(&sim_g.created_pools_lock, NULL);
    sim_g.created_pools = NULL;
    sim_ptrtable_init();
}

void sim_ensure_init(void)
{
    if (atomic_load_explicit(&initialized, memory_order_acquire))
        return;
    pthread_mutex_lock(&init_lock);
    if (!atomic_load_explicit(&initialized, memory_order_relaxed)) {
        init_state();
        atomic_store_explicit(&initialized, true, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
}

bool sim_is_initialized(void)
{
    return atomic_load_explicit(&initialized, memory_order_acquire);
}

/* Reset: release what the records own (pinned host memory, the last
 * reference to a destroyed pool), then everything the state owns. */
static void release_record(const sim_record *record)
{
    if (record->kind == SIM_KIND_HOST) {
        free((void *)record->addr);
    } else if (record->kind == SIM_KIND_POOL && record->pool->destroyed) {
        if (--record->pool->live_allocs == 0)
            free(record->pool);
    }
}

SIM_API void stormlog_double_reset(void)
{
    pthread_mutex_lock(&init_lock);
    if (atomic_load_explicit(&initialized, memory_order_relaxed)) {
        sim_ptrtable_clear(release_record);
        for (sim_pool *pool = sim_g.created_pools, *next; pool != NULL; pool = next) {
            next = pool->next_created;
            free(pool);
        }
        for (int id = 0; id < SIM_MAX_DEVICES; id++) {
            sim_addr_destroy(&sim_g.devices[id].space);
            pthread_mutex_destroy(&sim_g.devices[id].lock);
        }
        pthread_mutex_destroy(&sim_g.host.lock);
        pthread_mutex_destroy(&sim_g.created_pools_lock);
        init_state();
    } else {
        init_state();
        atomic_store_explicit(&initialized, true, memory_order_release);
    }
    current_device = 0;
    pthread_mutex_unlock(&init_lock);
}

/* ---- devices ----------------------------------------------------------- */

sim_device *sim_device_slot(int device)
{
    if (device == SIM_HOST_DEVICE)
        return &sim_g.host;
    if (device < 0 || device >= sim_g.config.devices)
        return NULL;
    return &sim_g.devices[device];
}

int stormlog_sim_device_count(void)
{
    sim_ensure_init();
    return sim_g.config.devices;
}

sim_status stormlog_sim_check_device(int device)
{
    sim_ensure_init();
    return device >= 0 && device < sim_g.config.devices ? SIM_OK : SIM_INVALID_DEVICE;
}

int stormlog_sim_current_device(void)
{
    return current_device;
}

sim_status stormlog_sim_set_current_device(int device)
{
    sim_status status = stormlog_sim_check_device(device);
    if (status == SIM_OK)
        current_device = device;
    return status;
}

sim_status stormlog_sim_mem_info(int device, size_t *free_bytes, size_t *total_bytes)
{
    sim_status status = stormlog_sim_check_device(device);
    if (status != SIM_OK)
        return status;
    if (free_bytes == NULL || total_bytes == NULL)
        return SIM_INVALID_VALUE;
    sim_device *slot = &sim_g.devices[device];
    pthread_mutex_lock(&slot->lock);
    uint64_t used = slot->live + slot->reserved;
    *free_bytes = (size_t)(used >= slot->capacity ? 0 : slot->capacity - used);
    *total_bytes = (size_t)slot->capacity;
    pthread_mutex_unlock(&slot->lock);
    return SIM_OK;
}

/* ---- allocation -------------------------------------------------------- */

static sim_status count_failure(sim_status why)
{
    atomic_fetch_add(&sim_g.counters.failed, 1);
    return why;
}

sim_status stormlog_sim_reject_alloc(sim_status why)
{
    sim_ensure_init();
    atomic_fetch_add(&sim_g.counters.alloc_calls, 1);
    return count_failure(why);
}

/* STORMLOG_DOUBLE_FAIL_*: does this call on device fail? */
static bool injected_failure(int device)
{
    const sim_config *config = &sim_g.config;
    if (config->fail_device_set && device != config->fail_device)
        return false;
    if (config->fail_at == 0 && config->fail_every == 0)
        return config->fail_device_set;
    unsigned long long n = atomic_fetch_add(&sim_g.counters.injection_calls, 1) + 1;
    return (config->fail_at != 0 && n == config->fail_at)
        || (config->fail_every != 0 && n % config->fail_every == 0);
}

/* Common start of every allocation: count the call, check the arguments and
 * the injection. Returns SIM_OK when the allocation should go ahead; *done is
 * set when the call is already complete (error, or size 0). */
static sim_status begin_alloc(int device, uint64_t size, void **out, bool *done)
{
    sim_ensure_init();
    atomic_fetch_add(&sim_g.counters.alloc_calls, 1);
    *done = true;
    if (out == NULL)
        return count_failure(SIM_INVALID_VALUE);
    *out = NULL;
    if (sim_device_slot(device) == NULL)
        return count_failure(SIM_INVALID_DEVICE);
    if (injected_failure(device))
        return count_failure(SIM_OUT_OF_MEMORY);
    if (size == 0) {
        atomic_fetch_add(&sim_g.counters.zero_allocs, 1);
        return SIM_OK;
    }
    *done = false;
    return SIM_OK;
}

/* Takes capacity (beyond what pool can give back from its reserve) and an
 * address on a device. Caller holds slot->lock. */
static uintptr_t reserve_on_device(sim_device *slot, sim_pool *pool, uint64_t size)
{
    uint64_t from_pool = 0;
    if (pool != NULL)
        from_pool = pool->cached < size ? pool->cached : size;
    uint64_t grow = size - from_pool;
    uint64_t used = slot->live + slot->reserved;
    if (grow > slot->capacity || used > slot->capacity - grow)
        return 0;
    uint64_t span = sim_addr_span(size);
    uintptr_t addr = span == UINT64_MAX ? 0 : sim_addr_take(&slot->space, span);
    if (addr == 0)
        return 0;
    if (pool != NULL) {
        pool->cached -= from_pool;
        pool->live_allocs++;
        slot->reserved -= from_pool;
    }
    slot->live += size;
    slot->live_count++;
    return addr;
}

/* Undo of reserve_on_device when the record could not be published: the
 * capacity goes back to the device (not to the pool: a failed allocation
 * must leave no trace, and the pool's reserve never grows by itself). */
static void unreserve_on_device(sim_device *slot, sim_pool *pool, uintptr_t addr, uint64_t size)
{
    slot->live -= size;
    slot->live_count--;
    if (pool != NULL)
        pool->live_allocs--;
    sim_addr_give_back(&slot->space, addr, sim_addr_span(size));
}

static sim_status publish(const sim_record *record, void **out)
{
    if (!sim_ptrtable_insert(record))
        return SIM_OUT_OF_MEMORY;
    atomic_fetch_add(&sim_g.counters.allocs, 1);
    *out = (void *)record->addr;
    return SIM_OK;
}

static sim_status device_or_pool_alloc(int device, sim_pool *pool, uint64_t size, void **out)
{
    bool done = false;
    sim_status status = begin_alloc(device, size, out, &done);
    if (done)
        return status;
    sim_device *slot = &sim_g.devices[device];
    pthread_mutex_lock(&slot->lock);
    uintptr_t addr = reserve_on_device(slot, pool, size);
    pthread_mutex_unlock(&slot->lock);
    if (addr == 0)
        return count_failure(SIM_OUT_OF_MEMORY);
    sim_record record = {
        .addr = addr, .size = size, .span = sim_addr_span(size), .device = device,
        .kind = pool != NULL ? SIM_KIND_POOL : SIM_KIND_DEVICE, .pool = pool,
    };
    status = publish(&record, out);
    if (status != SIM_OK) {
        pthread_mutex_lock(&slot->lock);
        unreserve_on_device(slot, pool, addr, size);
        pthread_mutex_unlock(&slot->lock);
        return count_failure(status);
    }
    return SIM_OK;
}

sim_status stormlog_sim_device_alloc(int device, uint64_t size, void **out)
{
    return device_or_pool_alloc(device, NULL, size, out);
}

sim_status stormlog_sim_pool_alloc(sim_pool *pool, uint64_t size, void **out)
{
    if (pool == NULL) {
        sim_ensure_init();
        atomic_fetch_add(&sim_g.counters.alloc_calls, 1);
        if (out != NULL)
            *out = NULL;
        return count_failure(SIM_INVALID_HANDLE);
    }
    return device_or_pool_alloc(pool->device, pool, size, out);
}

sim_status stormlog_sim_host_alloc(uint64_t size, void **out)
{
    bool done = false;
    sim_status status = begin_alloc(SIM_HOST_DEVICE, size, out, &done);
    if (done)
        return status;
    sim_device *host = &sim_g.host;
    pthread_mutex_lock(&host->lock);
    bool fits = host->capacity == 0 || (size <= host->capacity && host->live <= host->capacity - size);
    if (fits) {
        host->live += size;
        host->live_count++;
    }
    pthread_mutex_unlock(&host->lock);
    if (!fits)
        return count_failure(SIM_OUT_OF_MEMORY);
    /* Pinned host memory is real: programs write to it. Page-aligned, as
     * the real runtimes hand it out. */
    void *memory = NULL;
    if (size > SIZE_MAX || posix_memalign(&memory, 4096, (size_t)size) != 0)
        memory = NULL;
    sim_record record = {
        .addr = (uintptr_t)memory, .size = size, .span = size,
        .device = SIM_HOST_DEVICE, .kind = SIM_KIND_HOST, .pool = NULL,
    };
    status = memory == NULL ? SIM_OUT_OF_MEMORY : publish(&record, out);
    if (status != SIM_OK) {
        free(memory);
        pthread_mutex_lock(&host->lock);
        host->live -= size;
        host->live_count--;
        pthread_mutex_unlock(&host->lock);
        return count_failure(status);
    }
    return SIM_OK;
}

/* ---- free -------------------------------------------------------------- */

/* A pool allocation comes home: its bytes stay reserved by the pool until a
 * trim, unless the pool was destroyed meanwhile. Caller holds the lock. */
static void return_to_pool(sim_device *slot, sim_pool *pool, uint64_t size)
{
    pool->live_allocs--;
    if (pool->destroyed) {
        if (pool->live_allocs == 0)
            free(pool);
        return;
    }
    pool->cached += size;
    slot->reserved += size;
}

sim_status stormlog_sim_free(void *ptr, unsigned accept)
{
    sim_ensure_init();
    if (ptr == NULL)
        return SIM_OK;
    sim_record record;
    if (sim_ptrtable_take((uintptr_t)ptr, accept, &record) != SIM_TAKE_OK) {
        atomic_fetch_add(&sim_g.counters.bad_frees, 1);
        return SIM_INVALID_VALUE;
    }
    sim_device *slot = sim_device_slot(record.device);
    pthread_mutex_lock(&slot->lock);
    slot->live -= record.size;
    slot->live_count--;
    if (record.kind == SIM_KIND_HOST) {
        pthread_mutex_unlock(&slot->lock);
        free(ptr);
    } else {
        if (record.kind == SIM_KIND_POOL)
            return_to_pool(slot, record.pool, record.size);
        sim_addr_give_back(&slot->space, record.addr, record.span);
        pthread_mutex_unlock(&slot->lock);
    }
    atomic_fetch_add(&sim_g.counters.frees, 1);
    return SIM_OK;
}

/* ---- pools ------------------------------------------------------------- */

sim_pool *stormlog_sim_default_pool(int device)
{
    if (stormlog_sim_check_device(device) != SIM_OK)
        return NULL;
    return &sim_g.devices[device].default_pool;
}

int stormlog_sim_pool_device(const sim_pool *pool)
{
    return pool->device;
}

sim_status stormlog_sim_pool_create(int device, sim_pool **out)
{
    if (out == NULL)
        return SIM_INVALID_VALUE;
    sim_status status = stormlog_sim_check_device(device);
    if (status != SIM_OK)
        return status;
    sim_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return SIM_OUT_OF_MEMORY;
    pool->device = device;
    pthread_mutex_lock(&sim_g.created_pools_lock);
    pool->next_created = sim_g.created_pools;
    if (pool->next_created != NULL)
        pool->next_created->prev_created = pool;
    sim_g.created_pools = pool;
    pthread_mutex_unlock(&sim_g.created_pools_lock);
    *out = pool;
    return SIM_OK;
}

sim_status stormlog_sim_pool_trim(sim_pool *pool, uint64_t keep_bytes)
{
    sim_ensure_init();
    if (pool == NULL)
        return SIM_INVALID_HANDLE;
    sim_device *slot = &sim_g.devices[pool->device];
    pthread_mutex_lock(&slot->lock);
    if (pool->cached > keep_bytes) {
        slot->reserved -= pool->cached - keep_bytes;
        pool->cached = keep_bytes;
    }
    pthread_mutex_unlock(&slot->lock);
    return SIM_OK;
}

sim_status stormlog_sim_pool_destroy(sim_pool *pool)
{
    sim_ensure_init();
    if (pool == NULL)
        return SIM_INVALID_HANDLE;
    if (pool->is_default)
        return SIM_INVALID_VALUE;
    sim_device *slot = &sim_g.devices[pool->device];
    pthread_mutex_lock(&slot->lock);
    slot->reserved -= pool->cached;
    pool->cached = 0;
    pthread_mutex_lock(&sim_g.created_pools_lock);
    if (pool->prev_created != NULL)
        pool->prev_created->next_created = pool->next_created;
    else
        sim_g.created_pools = pool->next_created;
    if (pool->next_created != NULL)
        pool->next_created->prev_created = pool->prev_created;
    pthread_mutex_unlock(&sim_g.created_pools_lock);
    /* Like cudaMemPoolDestroy: returns at once; the pool goes away with its
     * last allocation. */
    bool last = pool->live_allocs == 0;
    pool->destroyed = true;
    pthread_mutex_unlock(&slot->lock);
    if (last)
        free(pool);
    return SIM_OK;
}

/* ---- streams ----------------------------------------------------------- */

static bool is_special_stream(const sim_stream *stream)
{
    return (uintptr_t)stream <= 2; /* NULL, legacy (0x1), per-thread (0x2) */
}

sim_status stormlog_sim_stream_create(int device, sim_stream **out)
{
    if (out == NULL)
        return SIM_INVALID_VALUE;
    sim_status status = stormlog_sim_check_device(device);
    if (status != SIM_OK)
        return status;
    sim_stream *stream = malloc(sizeof *stream);
    if (stream == NULL)
        return SIM_OUT_OF_MEMORY;
    stream->device = device;
    *out = stream;
    return SIM_OK;
}

sim_status stormlog_sim_stream_destroy(sim_stream *stream)
{
    if (is_special_stream(stream))
        return SIM_INVALID_HANDLE;
    free(stream);
    return SIM_OK;
}

bool stormlog_sim_queries_fail(void)
{
    sim_ensure_init();
    return sim_g.config.fail_queries;
}

sim_status stormlog_sim_ptr_device(const void *ptr, int *device)
{
    sim_record record;
    if (ptr == NULL || device == NULL || !sim_ptrtable_find((uintptr_t)ptr, &record))
        return SIM_INVALID_VALUE;
    *device = record.device;
    return SIM_OK;
}

int stormlog_sim_stream_device(const sim_stream *stream)
{
    return is_special_stream(stream) ? current_device : stream->device;
}
