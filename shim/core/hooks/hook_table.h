/* The one place where a hook exists. Every interposed entry point is one row;
 * everything else that must know about it is generated from these rows:
 *   - the sl_api enumerators and the record's names (api.h, api.c);
 *   - the real-function slots and the wrapper addresses (api.c);
 *   - the driver variants the dlsym hook tracks (dlsym_hook.c) and the
 *     cuGetProcAddress routes (procaddress.c);
 *   - the runtime and HIP names a dlsym'ed runtime is bound for
 *     (runtime_bind.c);
 *   - the exported symbols (exports.map.in, expanded by the build).
 * Adding a hook is one row here, its prototype in gpu_api.h or driver_api.h
 * (where the signature check compares it with the SDK) and its wrapper in
 * the runtime's hooks file; docs/adding-a-hook.md walks through it.
 *
 * X(enumerator, exported symbol, runtime, kind, lookup name, version, ptsz twin)
 *   runtime      CUDA (libcudart), HIP (libamdhip64) or CUDA_DRIVER (libcuda);
 *                the record's collector follows from it.
 *   kind         sl_api_kind without its SL_KIND_ prefix.
 *   lookup name  driver rows: the name cuGetProcAddress is asked for ("cuMemAlloc"
 *                for cuMemAlloc_v2); none where the row is only reached as
 *                another row's _ptsz twin, and for the runtimes.
 *   version      the lowest CUDA version cuGetProcAddress hands this variant
 *                out for; 0 with no lookup name.
 *   ptsz twin    the enumerator of the variant handed out with
 *                CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM; NONE if the
 *                same variant serves both.
 * This file includes nothing, so that the build can expand it alone. */
#ifndef STORMLOG_SHIM_HOOK_TABLE_H
#define STORMLOG_SHIM_HOOK_TABLE_H

/* The hooks the accounting counts (sl_api). */
#define SL_API_LIST(X)                                                                                     \
    X(CUDA_MALLOC, cudaMalloc, CUDA, DEVICE_ALLOC, none, 0, NONE)                                          \
    X(CUDA_FREE, cudaFree, CUDA, FREE, none, 0, NONE)                                                      \
    X(CUDA_MALLOC_ASYNC, cudaMallocAsync, CUDA, DEVICE_ALLOC, none, 0, NONE)                               \
    X(CUDA_MALLOC_ASYNC_PTSZ, cudaMallocAsync_ptsz, CUDA, DEVICE_ALLOC, none, 0, NONE)                     \
    X(CUDA_FREE_ASYNC, cudaFreeAsync, CUDA, FREE, none, 0, NONE)                                           \
    X(CUDA_FREE_ASYNC_PTSZ, cudaFreeAsync_ptsz, CUDA, FREE, none, 0, NONE)                                 \
    X(CUDA_MALLOC_FROM_POOL_ASYNC, cudaMallocFromPoolAsync, CUDA, DEVICE_ALLOC, none, 0, NONE)             \
    X(CUDA_MALLOC_FROM_POOL_ASYNC_PTSZ, cudaMallocFromPoolAsync_ptsz, CUDA, DEVICE_ALLOC, none, 0, NONE)   \
    X(CUDA_MALLOC_MANAGED, cudaMallocManaged, CUDA, DEVICE_ALLOC, none, 0, NONE)                           \
    X(CUDA_MALLOC_PITCH, cudaMallocPitch, CUDA, DEVICE_ALLOC, none, 0, NONE)                               \
    X(CUDA_MALLOC_3D, cudaMalloc3D, CUDA, DEVICE_ALLOC, none, 0, NONE)                                     \
    X(CUDA_MALLOC_HOST, cudaMallocHost, CUDA, HOST_ALLOC, none, 0, NONE)                                   \
    X(CUDA_HOST_ALLOC, cudaHostAlloc, CUDA, HOST_ALLOC, none, 0, NONE)                                     \
    X(CUDA_FREE_HOST, cudaFreeHost, CUDA, HOST_FREE, none, 0, NONE)                                             \
    X(CUDA_MEM_GET_INFO, cudaMemGetInfo, CUDA, QUERY, none, 0, NONE)                                       \
    X(HIP_MALLOC, hipMalloc, HIP, DEVICE_ALLOC, none, 0, NONE)                                             \
    X(HIP_FREE, hipFree, HIP, FREE, none, 0, NONE)                                                         \
    X(HIP_MALLOC_ASYNC, hipMallocAsync, HIP, DEVICE_ALLOC, none, 0, NONE)                                  \
    X(HIP_FREE_ASYNC, hipFreeAsync, HIP, FREE, none, 0, NONE)                                              \
    X(HIP_MALLOC_FROM_POOL_ASYNC, hipMallocFromPoolAsync, HIP, DEVICE_ALLOC, none, 0, NONE)                \
    X(HIP_MALLOC_MANAGED, hipMallocManaged, HIP, DEVICE_ALLOC, none, 0, NONE)                              \
    X(HIP_EXT_MALLOC_WITH_FLAGS, hipExtMallocWithFlags, HIP, DEVICE_ALLOC, none, 0, NONE)                  \
    X(HIP_MALLOC_PITCH, hipMallocPitch, HIP, DEVICE_ALLOC, none, 0, NONE)                                  \
    X(HIP_MEM_ALLOC_PITCH, hipMemAllocPitch, HIP, DEVICE_ALLOC, none, 0, NONE)                             \
    X(HIP_HOST_MALLOC, hipHostMalloc, HIP, HOST_ALLOC, none, 0, NONE)                                      \
    X(HIP_MALLOC_HOST, hipMallocHost, HIP, HOST_ALLOC, none, 0, NONE)                                      \
    X(HIP_MEM_ALLOC_HOST, hipMemAllocHost, HIP, HOST_ALLOC, none, 0, NONE)                                 \
    X(HIP_HOST_FREE, hipHostFree, HIP, HOST_FREE, none, 0, NONE)                                                \
    X(HIP_FREE_HOST, hipFreeHost, HIP, HOST_FREE, none, 0, NONE)                                                \
    X(HIP_MEM_GET_INFO, hipMemGetInfo, HIP, QUERY, none, 0, NONE)                                          \
    X(CU_MEM_ALLOC, cuMemAlloc_v2, CUDA_DRIVER, DEVICE_ALLOC, cuMemAlloc, 3020, NONE)                      \
    X(CU_MEM_ALLOC_PITCH, cuMemAllocPitch_v2, CUDA_DRIVER, DEVICE_ALLOC, cuMemAllocPitch, 3020, NONE)      \
    X(CU_MEM_ALLOC_MANAGED, cuMemAllocManaged, CUDA_DRIVER, DEVICE_ALLOC, cuMemAllocManaged, 6000, NONE)   \
    X(CU_MEM_FREE, cuMemFree_v2, CUDA_DRIVER, FREE, cuMemFree, 3020, NONE)                                 \
    X(CU_MEM_ALLOC_ASYNC, cuMemAllocAsync, CUDA_DRIVER, DEVICE_ALLOC, cuMemAllocAsync, 11020,              \
      CU_MEM_ALLOC_ASYNC_PTSZ)                                                                             \
    X(CU_MEM_ALLOC_ASYNC_PTSZ, cuMemAllocAsync_ptsz, CUDA_DRIVER, DEVICE_ALLOC, none, 0, NONE)             \
    X(CU_MEM_ALLOC_FROM_POOL_ASYNC, cuMemAllocFromPoolAsync, CUDA_DRIVER, DEVICE_ALLOC,                    \
      cuMemAllocFromPoolAsync, 11020, CU_MEM_ALLOC_FROM_POOL_ASYNC_PTSZ)                                   \
    X(CU_MEM_ALLOC_FROM_POOL_ASYNC_PTSZ, cuMemAllocFromPoolAsync_ptsz, CUDA_DRIVER, DEVICE_ALLOC, none, 0, \
      NONE)                                                                                                \
    X(CU_MEM_FREE_ASYNC, cuMemFreeAsync, CUDA_DRIVER, FREE, cuMemFreeAsync, 11020, CU_MEM_FREE_ASYNC_PTSZ) \
    X(CU_MEM_FREE_ASYNC_PTSZ, cuMemFreeAsync_ptsz, CUDA_DRIVER, FREE, none, 0, NONE)                       \
    X(CU_MEM_CREATE, cuMemCreate, CUDA_DRIVER, DEVICE_ALLOC, cuMemCreate, 10020, NONE)                     \
    X(CU_MEM_RELEASE, cuMemRelease, CUDA_DRIVER, FREE, cuMemRelease, 10020, NONE)                          \
    X(CU_MEM_MAP, cuMemMap, CUDA_DRIVER, MAP, cuMemMap, 10020, NONE)                                       \
    X(CU_MEM_UNMAP, cuMemUnmap, CUDA_DRIVER, MAP, cuMemUnmap, 10020, NONE)                                 \
    X(CU_MEM_HOST_ALLOC, cuMemHostAlloc, CUDA_DRIVER, HOST_ALLOC, cuMemHostAlloc, 2020, NONE)              \
    X(CU_MEM_ALLOC_HOST, cuMemAllocHost_v2, CUDA_DRIVER, HOST_ALLOC, cuMemAllocHost, 3020, NONE)           \
    X(CU_MEM_FREE_HOST, cuMemFreeHost, CUDA_DRIVER, HOST_FREE, cuMemFreeHost, 2000, NONE)                       \
    X(CU_MEM_GET_INFO, cuMemGetInfo_v2, CUDA_DRIVER, QUERY, cuMemGetInfo, 3020, NONE)                      \
    X(HIP_MEM_CREATE, hipMemCreate, HIP, DEVICE_ALLOC, none, 0, NONE)                                      \
    X(HIP_MEM_RELEASE, hipMemRelease, HIP, FREE, none, 0, NONE)

/* The ways to the driver (procaddress.c): hooked so that what they hand out
 * for the driver rows above is our wrapper; nothing to count. */
#define SL_LOOKUP_LIST(X)                                                                                \
    X(CU_GET_PROC_ADDRESS, cuGetProcAddress, CUDA_DRIVER, LOOKUP, cuGetProcAddress, 11030, NONE)         \
    X(CU_GET_PROC_ADDRESS_V2, cuGetProcAddress_v2, CUDA_DRIVER, LOOKUP, cuGetProcAddress, 12000, NONE)   \
    X(CUDA_GET_DRIVER_ENTRY_POINT, cudaGetDriverEntryPoint, CUDA, LOOKUP, none, 0, NONE)                 \
    X(CUDA_GET_DRIVER_ENTRY_POINT_PTSZ, cudaGetDriverEntryPoint_ptsz, CUDA, LOOKUP, none, 0, NONE)       \
    X(CUDA_GET_DRIVER_ENTRY_POINT_BY_VERSION, cudaGetDriverEntryPointByVersion, CUDA, LOOKUP, none, 0,   \
      NONE)                                                                                              \
    X(CUDA_GET_DRIVER_ENTRY_POINT_BY_VERSION_PTSZ, cudaGetDriverEntryPointByVersion_ptsz, CUDA, LOOKUP,  \
      none, 0, NONE)

/* Every hooked symbol. */
#define SL_HOOK_LIST(X) SL_API_LIST(X) SL_LOOKUP_LIST(X)

/* SL_IF_RUNTIME(rt, WANTED, ...): the rest where a row's runtime is WANTED,
 * nothing otherwise (a filter for the X macros above). */
#define SL_IF_RUNTIME(rt, wanted, ...) SL_IF_RUNTIME_##rt##_##wanted(__VA_ARGS__)
#define SL_IF_RUNTIME_CUDA_CUDA(...) __VA_ARGS__
#define SL_IF_RUNTIME_CUDA_HIP(...)
#define SL_IF_RUNTIME_CUDA_CUDA_DRIVER(...)
#define SL_IF_RUNTIME_HIP_CUDA(...)
#define SL_IF_RUNTIME_HIP_HIP(...) __VA_ARGS__
#define SL_IF_RUNTIME_HIP_CUDA_DRIVER(...)
#define SL_IF_RUNTIME_CUDA_DRIVER_CUDA(...)
#define SL_IF_RUNTIME_CUDA_DRIVER_HIP(...)
#define SL_IF_RUNTIME_CUDA_DRIVER_CUDA_DRIVER(...) __VA_ARGS__

#endif
