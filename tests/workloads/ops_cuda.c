/*
 * ops_cuda.c: the workload's CUDA runtime table.
 *
 * Compiled twice. Plainly, every call is a direct call into the linked
 * libcudart (the PLT: what an LD_PRELOAD shim interposes). With
 * WL_CUDA_VIA_DLSYM, the library is dlopen()ed at run time and every call
 * goes through a pointer from dlsym(handle, ...), as frameworks that load
 * the runtime lazily do; such calls bypass symbol interposition.
 */
#include <stdbool.h>
#include <string.h>

#include "cudart_api.h"
#include "stormlog_double.h"
#include "wl.h"

#ifdef WL_CUDA_VIA_DLSYM
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define WL_CUDA_FUNCTIONS(X)                                                                                  \
    X(cudaMalloc) X(cudaFree) X(cudaMallocAsync) X(cudaFreeAsync) X(cudaMallocAsync_ptsz) X(cudaFreeAsync_ptsz) \
    X(cudaMallocFromPoolAsync) X(cudaMallocFromPoolAsync_ptsz) X(cudaMallocManaged) X(cudaMallocPitch)          \
    X(cudaMalloc3D) X(cudaMallocHost) X(cudaHostAlloc) X(cudaFreeHost) X(cudaMemGetInfo) X(cudaGetDevice)       \
    X(cudaSetDevice) X(cudaGetDeviceCount) X(cudaGetLastError) X(cudaDeviceSynchronize) X(cudaStreamCreate)     \
    X(cudaStreamDestroy) X(cudaMemPoolCreate) X(cudaMemPoolDestroy) X(cudaDeviceGetDefaultMemPool)              \
    X(cudaMemPoolTrimTo) X(stormlog_double_live_bytes) X(stormlog_double_reserved_bytes)                       \
    X(stormlog_double_allocs) X(stormlog_double_zero_allocs) X(stormlog_double_failed) X(stormlog_double_frees) \
    X(stormlog_double_bad_frees)

/* One pointer per function, typed from the real declaration. */
static struct {
#define WL_POINTER(name) __typeof__(&name) name;
    WL_CUDA_FUNCTIONS(WL_POINTER)
#undef WL_POINTER
} via;

#define CALL(name) (via.name)
#else
#define CALL(name) name
#endif

/* ---- allocation entry points ------------------------------------------- */

static int c_malloc(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)CALL(cudaMalloc)(out, c->size);
}

static int c_malloc_async(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)CALL(cudaMallocAsync)(out, c->size, (cudaStream_t)c->stream);
}

static int c_malloc_async_ptsz(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)CALL(cudaMallocAsync_ptsz)(out, c->size, (cudaStream_t)c->stream);
}

static int c_from_pool(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)CALL(cudaMallocFromPoolAsync)(out, c->size, (cudaMemPool_t)c->pool, (cudaStream_t)c->stream);
}

static int c_from_pool_ptsz(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)CALL(cudaMallocFromPoolAsync_ptsz)(out, c->size, (cudaMemPool_t)c->pool, (cudaStream_t)c->stream);
}

static int c_managed(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    unsigned flags = (c->shape >> 16) % 2 ? cudaMemAttachGlobal : cudaMemAttachHost;
    return (int)CALL(cudaMallocManaged)(out, c->size, flags);
}

static int c_pitch(const wl_call *c, void **out, uint64_t *bytes)
{
    size_t rows = 1 + (size_t)((c->shape >> 16) % 16);
    size_t width = c->size / rows + 1;
    size_t pitch = 0;
    int code = (int)CALL(cudaMallocPitch)(out, out == NULL ? NULL : &pitch, width, rows);
    *bytes = (uint64_t)pitch * rows;
    return code;
}

static int c_3d(const wl_call *c, void **out, uint64_t *bytes)
{
    if (out == NULL)
        return (int)CALL(cudaMalloc3D)(NULL, (struct cudaExtent){ 1, 1, 1 });
    struct cudaExtent extent = { .height = 1 + (size_t)((c->shape >> 16) % 8),
                                 .depth = 1 + (size_t)((c->shape >> 24) % 4) };
    extent.width = c->size / (extent.height * extent.depth) + 1;
    struct cudaPitchedPtr pitched;
    memset(&pitched, 0, sizeof pitched);
    int code = (int)CALL(cudaMalloc3D)(&pitched, extent);
    *out = pitched.ptr;
    *bytes = (uint64_t)pitched.pitch * extent.height * extent.depth;
    return code;
}

static int c_malloc_host(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    return (int)CALL(cudaMallocHost)(out, c->size);
}

static int c_host_alloc(const wl_call *c, void **out, uint64_t *bytes)
{
    *bytes = c->size;
    unsigned flags = (c->shape >> 16) % 2 ? cudaHostAllocMapped : cudaHostAllocDefault;
    return (int)CALL(cudaHostAlloc)(out, c->size, flags);
}

/* allocs[0] must be the plain allocation (the engine's edge cases use it). */
static const wl_alloc_api cuda_allocs[] = {
    { "cudaMalloc", WL_DEVICE, c_malloc },
    { "cudaMallocAsync", WL_POOL, c_malloc_async },
    { "cudaMallocAsync_ptsz", WL_POOL, c_malloc_async_ptsz },
    { "cudaMallocFromPoolAsync", WL_POOL, c_from_pool },
    { "cudaMallocFromPoolAsync_ptsz", WL_POOL, c_from_pool_ptsz },
    { "cudaMallocManaged", WL_DEVICE, c_managed },
    { "cudaMallocPitch", WL_DEVICE, c_pitch },
    { "cudaMalloc3D", WL_DEVICE, c_3d },
    { "cudaMallocHost", WL_HOST, c_malloc_host },
    { "cudaHostAlloc", WL_HOST, c_host_alloc },
};

/* ---- frees ------------------------------------------------------------- */

static int c_free(void *ptr, void *stream) { return (int)CALL(cudaFree)(ptr); }
static int c_free_async(void *ptr, void *stream) { return (int)CALL(cudaFreeAsync)(ptr, (cudaStream_t)stream); }
static int c_free_async_ptsz(void *ptr, void *stream)
{
    return (int)CALL(cudaFreeAsync_ptsz)(ptr, (cudaStream_t)stream);
}
static int c_free_host(void *ptr, void *stream) { return (int)CALL(cudaFreeHost)(ptr); }

/* frees[0] must accept device memory and NULL (the engine's edge cases). */
static const wl_free_api cuda_frees[] = {
    { "cudaFree", WL_DEVICE | WL_POOL, c_free },
    { "cudaFreeAsync", WL_POOL, c_free_async },
    { "cudaFreeAsync_ptsz", WL_POOL, c_free_async_ptsz },
    { "cudaFreeHost", WL_HOST, c_free_host },
};

/* ---- devices, streams, pools -------------------------------------------- */

static int c_device_count(int *count) { return (int)CALL(cudaGetDeviceCount)(count); }
static int c_set_device(int device) { return (int)CALL(cudaSetDevice)(device); }
static int c_get_device(int *device) { return (int)CALL(cudaGetDevice)(device); }
static int c_mem_get_info(size_t *f, size_t *t) { return (int)CALL(cudaMemGetInfo)(f, t); }
static int c_get_last_error(void) { return (int)CALL(cudaGetLastError)(); }
static int c_synchronize(void) { return (int)CALL(cudaDeviceSynchronize)(); }
static int c_stream_create(void **stream) { return (int)CALL(cudaStreamCreate)((cudaStream_t *)stream); }
static int c_stream_destroy(void *stream) { return (int)CALL(cudaStreamDestroy)((cudaStream_t)stream); }

static int c_default_pool(void **pool, int device)
{
    return (int)CALL(cudaDeviceGetDefaultMemPool)((cudaMemPool_t *)pool, device);
}

static int c_pool_create(void **pool, int device)
{
    struct cudaMemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = device;
    return (int)CALL(cudaMemPoolCreate)((cudaMemPool_t *)pool, &props);
}

static int c_pool_destroy(void *pool) { return (int)CALL(cudaMemPoolDestroy)((cudaMemPool_t)pool); }
static int c_pool_trim(void *pool, size_t keep) { return (int)CALL(cudaMemPoolTrimTo)((cudaMemPool_t)pool, keep); }

static long long t_live(int device) { return CALL(stormlog_double_live_bytes)(device); }
static long long t_reserved(int device) { return CALL(stormlog_double_reserved_bytes)(device); }
static unsigned long long t_allocs(void) { return CALL(stormlog_double_allocs)(); }
static unsigned long long t_zero_allocs(void) { return CALL(stormlog_double_zero_allocs)(); }
static unsigned long long t_failed(void) { return CALL(stormlog_double_failed)(); }
static unsigned long long t_frees(void) { return CALL(stormlog_double_frees)(); }
static unsigned long long t_bad_frees(void) { return CALL(stormlog_double_bad_frees)(); }

static const wl_runtime cuda_runtime = {
    .name = "cuda",
    .success = cudaSuccess,
    .out_of_memory = cudaErrorMemoryAllocation,
    .invalid_value = cudaErrorInvalidValue,
    .allocs = cuda_allocs,
    .alloc_count = sizeof cuda_allocs / sizeof cuda_allocs[0],
    .frees = cuda_frees,
    .free_count = sizeof cuda_frees / sizeof cuda_frees[0],
    .device_count = c_device_count,
    .set_device = c_set_device,
    .get_device = c_get_device,
    .mem_get_info = c_mem_get_info,
    .get_last_error = c_get_last_error,
    .synchronize = c_synchronize,
    .stream_create = c_stream_create,
    .stream_destroy = c_stream_destroy,
    .default_pool = c_default_pool,
    .pool_create = c_pool_create,
    .pool_destroy = c_pool_destroy,
    .pool_trim = c_pool_trim,
    .per_thread_stream = cudaStreamPerThread,
    .truth = { t_live, t_reserved, t_allocs, t_zero_allocs, t_failed, t_frees, t_bad_frees },
};

#ifdef WL_CUDA_VIA_DLSYM
/* STORMLOG_WORKLOAD_CUDART names the library; the build's double otherwise. */
const wl_runtime *wl_selected_runtime(void)
{
    const char *path = getenv("STORMLOG_WORKLOAD_CUDART");
    if (path == NULL || path[0] == '\0')
        path = WL_CUDART_DOUBLE_PATH;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        fprintf(stderr, "workload_dlsym: dlopen(%s): %s\n", path, dlerror());
        return NULL;
    }
    bool complete = true;
#define WL_LOOKUP(name)                                                                  \
    via.name = (__typeof__(via.name))dlsym(handle, #name);                              \
    if (via.name == NULL) {                                                              \
        fprintf(stderr, "workload_dlsym: %s has no %s\n", path, #name);                  \
        complete = false;                                                                \
    }
    WL_CUDA_FUNCTIONS(WL_LOOKUP)
#undef WL_LOOKUP
    return complete ? &cuda_runtime : NULL;
}
#else
const wl_runtime *wl_selected_runtime(void)
{
    return &cuda_runtime;
}
#endif
