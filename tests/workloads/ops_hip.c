/*
 * ops_hip.c: the workload's HIP runtime table: direct calls into the linked
 * libamdhip64, every spelling of device, pitched and host allocation
 * (the deprecated ones included, as old code still calls them).
 */
#include <string.h>

#include "hip_api.h"
#include "stormlog_double.h"
#include "wl.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int h_malloc(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)hipMalloc(out, c->size);
}

static int h_ext_malloc(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    unsigned flags = (c->shape >> 16) % 2 ? hipDeviceMallocFinegrained : hipDeviceMallocDefault;
    return (int)hipExtMallocWithFlags(out, c->size, flags);
}

static int h_managed(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)hipMallocManaged(out, c->size, hipMemAttachGlobal);
}

static int h_async(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)hipMallocAsync(out, c->size, (hipStream_t)c->stream);
}

static int h_from_pool(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)hipMallocFromPoolAsync(out, c->size, (hipMemPool_t)c->pool, (hipStream_t)c->stream);
}

static size_t rows_of(const wl_call *c)
{
    return 1 + (size_t)((c->shape >> 16) % 16);
}

static int h_pitch(const wl_call *c, void **out, uint64_t *bytes)
{
    size_t rows = rows_of(c), pitch = 0;
    int code = (int)hipMallocPitch(out, out == NULL ? NULL : &pitch, c->size / rows + 1, rows);
    *bytes = (uint64_t)pitch * rows;
    return code;
}

static int h_mem_alloc_pitch(const wl_call *c, void **out, uint64_t *bytes)
{
    size_t rows = rows_of(c), pitch = 0;
    int code = (int)hipMemAllocPitch((hipDeviceptr_t *)out, out == NULL ? NULL : &pitch, c->size / rows + 1, rows, 4);
    *bytes = (uint64_t)pitch * rows;
    return code;
}

static int h_host_malloc(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    unsigned flags = (c->shape >> 16) % 2 ? hipHostMallocMapped : hipHostMallocDefault;
    return (int)hipHostMalloc(out, c->size, flags);
}

static int h_malloc_host(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)hipMallocHost(out, c->size);
}

static int h_mem_alloc_host(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)hipMemAllocHost(out, c->size);
}

/* allocs[0] must be the plain allocation (the engine's edge cases use it). */
static const wl_alloc_api hip_allocs[] = {
    { "hipMalloc", WL_DEVICE, h_malloc },
    { "hipExtMallocWithFlags", WL_DEVICE, h_ext_malloc },
    { "hipMallocManaged", WL_DEVICE, h_managed },
    { "hipMallocAsync", WL_POOL, h_async },
    { "hipMallocFromPoolAsync", WL_POOL, h_from_pool },
    { "hipMallocPitch", WL_DEVICE, h_pitch },
    { "hipMemAllocPitch", WL_DEVICE, h_mem_alloc_pitch },
    { "hipHostMalloc", WL_HOST, h_host_malloc },
    { "hipMallocHost", WL_HOST, h_malloc_host },
    { "hipMemAllocHost", WL_HOST, h_mem_alloc_host },
};

static int h_free(void *ptr, void *stream) { return (int)hipFree(ptr); }
static int h_free_async(void *ptr, void *stream) { return (int)hipFreeAsync(ptr, (hipStream_t)stream); }
static int h_host_free(void *ptr, void *stream) { return (int)hipHostFree(ptr); }
static int h_free_host(void *ptr, void *stream) { return (int)hipFreeHost(ptr); }

/* frees[0] must accept device memory and NULL (the engine's edge cases). */
static const wl_free_api hip_frees[] = {
    { "hipFree", WL_DEVICE | WL_POOL, h_free },
    { "hipFreeAsync", WL_POOL, h_free_async },
    { "hipHostFree", WL_HOST, h_host_free },
    { "hipFreeHost", WL_HOST, h_free_host },
};

static int h_device_count(int *count) { return (int)hipGetDeviceCount(count); }
static int h_set_device(int device) { return (int)hipSetDevice(device); }
static int h_get_device(int *device) { return (int)hipGetDevice(device); }
static int h_mem_get_info(size_t *f, size_t *t) { return (int)hipMemGetInfo(f, t); }
static int h_get_last_error(void) { return (int)hipGetLastError(); }
static int h_synchronize(void) { return (int)hipDeviceSynchronize(); }
static int h_stream_create(void **stream) { return (int)hipStreamCreate((hipStream_t *)stream); }
static int h_stream_destroy(void *stream) { return (int)hipStreamDestroy((hipStream_t)stream); }
static int h_default_pool(void **pool, int device) { return (int)hipDeviceGetDefaultMemPool((hipMemPool_t *)pool, device); }

static int h_pool_create(void **pool, int device)
{
    hipMemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = hipMemAllocationTypePinned;
    props.location.type = hipMemLocationTypeDevice;
    props.location.id = device;
    return (int)hipMemPoolCreate((hipMemPool_t *)pool, &props);
}

static int h_pool_destroy(void *pool) { return (int)hipMemPoolDestroy((hipMemPool_t)pool); }
static int h_pool_trim(void *pool, size_t keep) { return (int)hipMemPoolTrimTo((hipMemPool_t)pool, keep); }

static const wl_runtime hip_runtime = {
    .name = "hip",
    .success = hipSuccess,
    .out_of_memory = hipErrorOutOfMemory,
    .invalid_value = hipErrorInvalidValue,
    .allocs = hip_allocs,
    .alloc_count = sizeof hip_allocs / sizeof hip_allocs[0],
    .frees = hip_frees,
    .free_count = sizeof hip_frees / sizeof hip_frees[0],
    .device_count = h_device_count,
    .set_device = h_set_device,
    .get_device = h_get_device,
    .mem_get_info = h_mem_get_info,
    .get_last_error = h_get_last_error,
    .synchronize = h_synchronize,
    .stream_create = h_stream_create,
    .stream_destroy = h_stream_destroy,
    .default_pool = h_default_pool,
    .pool_create = h_pool_create,
    .pool_destroy = h_pool_destroy,
    .pool_trim = h_pool_trim,
    .per_thread_stream = hipStreamPerThread,
    .truth = { stormlog_double_live_bytes, stormlog_double_reserved_bytes, stormlog_double_allocs,
               stormlog_double_zero_allocs, stormlog_double_failed, stormlog_double_frees,
               stormlog_double_bad_frees },
};

const wl_runtime *wl_selected_runtime(void)
{
    return &hip_runtime;
}
