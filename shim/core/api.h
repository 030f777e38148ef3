/* The interposed entry points, one row each: what the record calls them, which
 * collector speaks for them, and what kind of operation they are. The hook
 * tables (hooks_cuda.c, hooks_hip.c) and the accounting share this list. */
#ifndef STORMLOG_SHIM_API_H
#define STORMLOG_SHIM_API_H

#include "event.h"

typedef enum sl_api_kind {
    SL_KIND_DEVICE_ALLOC = 0, /* counted on the calling thread's current device */
    SL_KIND_HOST_ALLOC,       /* pinned host memory: device_id -1 */
    SL_KIND_FREE,             /* device found through the pointer table */
    SL_KIND_QUERY,            /* passed through (MemGetInfo) */
    SL_KIND_MAP,              /* maps or unmaps memory counted elsewhere: an event, no bytes */
} sl_api_kind;

/* X(enumerator, name in the record, collector, kind) */
#define SL_API_LIST(X)                                                                    \
    X(CUDA_MALLOC, "cudaMalloc", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)                 \
    X(CUDA_FREE, "cudaFree", SL_COLLECTOR_CUDA, SL_KIND_FREE)                             \
    X(CUDA_MALLOC_ASYNC, "cudaMallocAsync", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)      \
    X(CUDA_MALLOC_ASYNC_PTSZ, "cudaMallocAsync_ptsz", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CUDA_FREE_ASYNC, "cudaFreeAsync", SL_COLLECTOR_CUDA, SL_KIND_FREE)                  \
    X(CUDA_FREE_ASYNC_PTSZ, "cudaFreeAsync_ptsz", SL_COLLECTOR_CUDA, SL_KIND_FREE)        \
    X(CUDA_MALLOC_FROM_POOL_ASYNC, "cudaMallocFromPoolAsync", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CUDA_MALLOC_FROM_POOL_ASYNC_PTSZ, "cudaMallocFromPoolAsync_ptsz", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CUDA_MALLOC_MANAGED, "cudaMallocManaged", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)  \
    X(CUDA_MALLOC_PITCH, "cudaMallocPitch", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)      \
    X(CUDA_MALLOC_3D, "cudaMalloc3D", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)            \
    X(CUDA_MALLOC_HOST, "cudaMallocHost", SL_COLLECTOR_CUDA, SL_KIND_HOST_ALLOC)          \
    X(CUDA_HOST_ALLOC, "cudaHostAlloc", SL_COLLECTOR_CUDA, SL_KIND_HOST_ALLOC)            \
    X(CUDA_FREE_HOST, "cudaFreeHost", SL_COLLECTOR_CUDA, SL_KIND_FREE)                    \
    X(CUDA_MEM_GET_INFO, "cudaMemGetInfo", SL_COLLECTOR_CUDA, SL_KIND_QUERY)              \
    X(HIP_MALLOC, "hipMalloc", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC)                    \
    X(HIP_FREE, "hipFree", SL_COLLECTOR_HIP, SL_KIND_FREE)                                \
    X(HIP_MALLOC_ASYNC, "hipMallocAsync", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC)         \
    X(HIP_FREE_ASYNC, "hipFreeAsync", SL_COLLECTOR_HIP, SL_KIND_FREE)                     \
    X(HIP_MALLOC_FROM_POOL_ASYNC, "hipMallocFromPoolAsync", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC) \
    X(HIP_MALLOC_MANAGED, "hipMallocManaged", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC)     \
    X(HIP_EXT_MALLOC_WITH_FLAGS, "hipExtMallocWithFlags", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC) \
    X(HIP_MALLOC_PITCH, "hipMallocPitch", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC)         \
    X(HIP_MEM_ALLOC_PITCH, "hipMemAllocPitch", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC)    \
    X(HIP_HOST_MALLOC, "hipHostMalloc", SL_COLLECTOR_HIP, SL_KIND_HOST_ALLOC)             \
    X(HIP_MALLOC_HOST, "hipMallocHost", SL_COLLECTOR_HIP, SL_KIND_HOST_ALLOC)             \
    X(HIP_MEM_ALLOC_HOST, "hipMemAllocHost", SL_COLLECTOR_HIP, SL_KIND_HOST_ALLOC)        \
    X(HIP_HOST_FREE, "hipHostFree", SL_COLLECTOR_HIP, SL_KIND_FREE)                       \
    X(HIP_FREE_HOST, "hipFreeHost", SL_COLLECTOR_HIP, SL_KIND_FREE)                       \
    X(HIP_MEM_GET_INFO, "hipMemGetInfo", SL_COLLECTOR_HIP, SL_KIND_QUERY)                \
    /* the CUDA driver (hooks_driver.c), by the names it exports */                      \
    X(CU_MEM_ALLOC, "cuMemAlloc_v2", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)            \
    X(CU_MEM_ALLOC_PITCH, "cuMemAllocPitch_v2", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CU_MEM_ALLOC_MANAGED, "cuMemAllocManaged", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CU_MEM_FREE, "cuMemFree_v2", SL_COLLECTOR_CUDA, SL_KIND_FREE)                      \
    X(CU_MEM_ALLOC_ASYNC, "cuMemAllocAsync", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)    \
    X(CU_MEM_ALLOC_ASYNC_PTSZ, "cuMemAllocAsync_ptsz", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CU_MEM_ALLOC_FROM_POOL_ASYNC, "cuMemAllocFromPoolAsync", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CU_MEM_ALLOC_FROM_POOL_ASYNC_PTSZ, "cuMemAllocFromPoolAsync_ptsz", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC) \
    X(CU_MEM_FREE_ASYNC, "cuMemFreeAsync", SL_COLLECTOR_CUDA, SL_KIND_FREE)              \
    X(CU_MEM_FREE_ASYNC_PTSZ, "cuMemFreeAsync_ptsz", SL_COLLECTOR_CUDA, SL_KIND_FREE)    \
    X(CU_MEM_CREATE, "cuMemCreate", SL_COLLECTOR_CUDA, SL_KIND_DEVICE_ALLOC)             \
    X(CU_MEM_RELEASE, "cuMemRelease", SL_COLLECTOR_CUDA, SL_KIND_FREE)                   \
    X(CU_MEM_MAP, "cuMemMap", SL_COLLECTOR_CUDA, SL_KIND_MAP)                            \
    X(CU_MEM_UNMAP, "cuMemUnmap", SL_COLLECTOR_CUDA, SL_KIND_MAP)                        \
    X(CU_MEM_HOST_ALLOC, "cuMemHostAlloc", SL_COLLECTOR_CUDA, SL_KIND_HOST_ALLOC)        \
    X(CU_MEM_ALLOC_HOST, "cuMemAllocHost_v2", SL_COLLECTOR_CUDA, SL_KIND_HOST_ALLOC)     \
    X(CU_MEM_FREE_HOST, "cuMemFreeHost", SL_COLLECTOR_CUDA, SL_KIND_FREE)                \
    X(CU_MEM_GET_INFO, "cuMemGetInfo_v2", SL_COLLECTOR_CUDA, SL_KIND_QUERY) \
    X(HIP_MEM_CREATE, "hipMemCreate", SL_COLLECTOR_HIP, SL_KIND_DEVICE_ALLOC)            \
    X(HIP_MEM_RELEASE, "hipMemRelease", SL_COLLECTOR_HIP, SL_KIND_FREE)

typedef enum sl_api {
#define SL_API_ENUM(e, name, collector, kind) SL_API_##e,
    SL_API_LIST(SL_API_ENUM)
#undef SL_API_ENUM
    SL_API_COUNT
} sl_api;

typedef struct sl_api_info {
    const char *name;
    sl_collector collector;
    sl_api_kind kind;
} sl_api_info;

extern const sl_api_info sl_api_table[SL_API_COUNT] __attribute__((visibility("hidden")));

#endif
