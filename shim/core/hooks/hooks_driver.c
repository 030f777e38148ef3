/* The CUDA driver hooks: cuMemAlloc_v2 and the rest of the driver's
 * allocation API, as JAX, PyTorch's expandable segments, CuPy, RAPIDS and
 * every statically linked runtime reach the GPU. Same three steps as the
 * runtime hooks (hooks_cuda.c), with these differences:
 *   - the device is the calling thread's context's (cuCtxGetDevice), except
 *     for cuMemCreate, which names its device in prop->location and needs no
 *     context; pinned host memory is device -1;
 *   - a driver hook entered inside another hook (the runtime's cudaMalloc
 *     implemented on cuMemAlloc_v2) counts nothing: the runtime hook counts
 *     the allocation and its event names this driver API (driver_hooks.h);
 *   - cuMemCreate counts the physical allocation (keyed by its handle) and
 *     cuMemRelease gives it back; cuMemMap / cuMemUnmap allocate nothing:
 *     they change no counter and leave a memory_map / memory_unmap event on
 *     the physical allocation's device (accounting.h, map_table.h). */
#include <errno.h>
#include <stdint.h>

#include "accounting.h"
#include "config.h"
#include "driver_api.h"
#include "driver_hooks.h"
#include "guard.h"

#define SL_EXPORT __attribute__((visibility("default")))

#define SLOT(sym) static sl_real_slot real_##sym = SL_REAL_SLOT_INIT(sym, SL_RUNTIME_CUDA_DRIVER);
SLOT(cuCtxGetDevice)
SLOT(cuPointerGetAttribute)
#undef SLOT

/* A nested call: the outer hook counts it; remember which driver API it
 * reached (allocations and frees only: the outer hook's own queries, such as
 * MemGetInfo, are not what its event is about). */
static void note_nested(sl_api api)
{
    sl_api_kind kind = sl_api_table[api].kind;
    if (kind != SL_KIND_QUERY && kind != SL_KIND_MAP && sl_nested_driver_api == NULL)
        sl_nested_driver_api = sl_api_table[api].name;
}

#define PROLOGUE(sym, api, ...)                                               \
    __typeof__(&sym) real = (__typeof__(&sym))sl_resolve(SL_HOOK_SLOT(sym));   \
    if (real == NULL)                                                         \
        return SL_CU_ERROR_NOT_INITIALIZED;                                   \
    if (sl_config()->disabled)                                                \
        return real(__VA_ARGS__);                                             \
    if (!sl_hook_enter()) {                                                   \
        note_nested(api);                                                     \
        return real(__VA_ARGS__);                                             \
    }

#define HELPER(sym) ((__typeof__(&sym))sl_resolve_helper(&real_##sym))

#define PTR(dptr) ((void *)(uintptr_t)(dptr))

/* The device of the calling thread's context; 0 (the runtime's default
 * device) on a thread without one. */
static int32_t context_device(void)
{
    CUdevice device = 0;
    __typeof__(&cuCtxGetDevice) get = HELPER(cuCtxGetDevice);
    if (get == NULL || get(&device) != SL_CU_SUCCESS)
        return 0;
    return device;
}

/* The device a stream-ordered allocation landed on: the stream's or the
 * pool's, not necessarily the context's (hooks_cuda.c says more). */
static int32_t allocation_device(CUdeviceptr ptr)
{
    __typeof__(&cuPointerGetAttribute) get = HELPER(cuPointerGetAttribute);
    int device = -1;
    if (ptr != 0 && get != NULL && get(&device, SL_CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, ptr) == SL_CU_SUCCESS &&
        device >= 0)
        return device;
    return context_device();
}

static void refresh_device_info(int32_t device, bool force)
{
    if (device < 0 || (!force && !sl_account_device_info_due(device)))
        return;
    __typeof__(&cuMemGetInfo_v2) get_info = ((__typeof__(&cuMemGetInfo_v2))sl_resolve_helper(SL_HOOK_SLOT(cuMemGetInfo_v2)));
    size_t free_bytes = 0, total_bytes = 0;
    if (get_info != NULL && get_info(&free_bytes, &total_bytes) == SL_CU_SUCCESS)
        sl_account_device_info(device, free_bytes, total_bytes);
}

/* Step 3 for allocations. device CONTEXT_DEVICE: the context's device;
 * ALLOCATION_DEVICE (stream-ordered): where the pointer landed, else the
 * context's. MemGetInfo answers for the context's device only, so it is asked
 * only when that is the allocation's device. */
#define CONTEXT_DEVICE (-2)
#define ALLOCATION_DEVICE (-3)
static void record_alloc(sl_api api, CUresult rc, void *ptr, uint64_t size, sl_stream_ref stream, int32_t device)
{
    int saved_errno = errno;
    bool on_context = device == CONTEXT_DEVICE || device == ALLOCATION_DEVICE;
    if (device == ALLOCATION_DEVICE && rc == SL_CU_SUCCESS) {
        int32_t context = context_device();
        device = allocation_device((CUdeviceptr)(uintptr_t)ptr);
        on_context = device == context;
    } else if (on_context) {
        device = sl_api_table[api].kind == SL_KIND_HOST_ALLOC ? SL_HOST_DEVICE : context_device();
    }
    if (rc == SL_CU_SUCCESS) {
        if (on_context)
            refresh_device_info(device, false);
        sl_account_alloc(api, device, ptr, size, stream);
    } else {
        bool oom = rc == SL_CU_ERROR_OUT_OF_MEMORY;
        if (oom && on_context)
            refresh_device_info(device, true);
        sl_account_failure(api, device, rc, oom, size, stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

/* Step 3 for frees; the pointer table knows the device. The claim was made
 * before the real call (sl_account_claim_free says why). */
static void record_free(sl_api api, CUresult rc, const sl_free_claim *claim, sl_stream_ref stream,
                        int32_t fallback_device)
{
    int saved_errno = errno;
    if (rc == SL_CU_SUCCESS && claim->ptr != 0) {
        if (!sl_account_free(api, claim, stream))
            sl_account_unmatched_free(api, fallback_device == CONTEXT_DEVICE ? context_device() : fallback_device);
    } else if (rc != SL_CU_SUCCESS) {
        sl_account_unclaim_free(claim);
        sl_account_failure(api, fallback_device == CONTEXT_DEVICE ? context_device() : fallback_device, rc, false, 0,
                           stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

/* ---- device memory ------------------------------------------------------ */

SL_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
    PROLOGUE(cuMemAlloc_v2, SL_API_CU_MEM_ALLOC, dptr, bytesize);
    CUresult rc = real(dptr, bytesize);
    record_alloc(SL_API_CU_MEM_ALLOC, rc, rc == SL_CU_SUCCESS ? PTR(*dptr) : NULL, bytesize, SL_NO_STREAM,
                 CONTEXT_DEVICE);
    return rc;
}

SL_EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,
                                      unsigned int ElementSizeBytes)
{
    PROLOGUE(cuMemAllocPitch_v2, SL_API_CU_MEM_ALLOC_PITCH, dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
    CUresult rc = real(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
    uint64_t size = rc == SL_CU_SUCCESS ? (uint64_t)*pPitch * Height : (uint64_t)WidthInBytes * Height;
    record_alloc(SL_API_CU_MEM_ALLOC_PITCH, rc, rc == SL_CU_SUCCESS ? PTR(*dptr) : NULL, size, SL_NO_STREAM,
                 CONTEXT_DEVICE);
    return rc;
}

SL_EXPORT CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
    PROLOGUE(cuMemAllocManaged, SL_API_CU_MEM_ALLOC_MANAGED, dptr, bytesize, flags);
    CUresult rc = real(dptr, bytesize, flags);
    record_alloc(SL_API_CU_MEM_ALLOC_MANAGED, rc, rc == SL_CU_SUCCESS ? PTR(*dptr) : NULL, bytesize, SL_NO_STREAM,
                 CONTEXT_DEVICE);
    return rc;
}

SL_EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr)
{
    PROLOGUE(cuMemFree_v2, SL_API_CU_MEM_FREE, dptr);
    sl_free_claim claim;
    sl_account_claim_free(PTR(dptr), &claim);
    CUresult rc = real(dptr);
    record_free(SL_API_CU_MEM_FREE, rc, &claim, SL_NO_STREAM, CONTEXT_DEVICE);
    return rc;
}

/* ---- stream-ordered allocation ------------------------------------------- */

#define ALLOC_ASYNC(sym, api)                                                                          \
    SL_EXPORT CUresult sym(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)                      \
    {                                                                                                  \
        PROLOGUE(sym, api, dptr, bytesize, hStream);                                                   \
        CUresult rc = real(dptr, bytesize, hStream);                                                   \
        record_alloc(api, rc, rc == SL_CU_SUCCESS ? PTR(*dptr) : NULL, bytesize, SL_STREAM(hStream),   \
                     ALLOCATION_DEVICE);                                                               \
        return rc;                                                                                     \
    }
ALLOC_ASYNC(cuMemAllocAsync, SL_API_CU_MEM_ALLOC_ASYNC)
ALLOC_ASYNC(cuMemAllocAsync_ptsz, SL_API_CU_MEM_ALLOC_ASYNC_PTSZ)

#define ALLOC_FROM_POOL(sym, api)                                                                      \
    SL_EXPORT CUresult sym(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool, CUstream hStream)   \
    {                                                                                                  \
        PROLOGUE(sym, api, dptr, bytesize, pool, hStream);                                             \
        CUresult rc = real(dptr, bytesize, pool, hStream);                                             \
        record_alloc(api, rc, rc == SL_CU_SUCCESS ? PTR(*dptr) : NULL, bytesize, SL_STREAM(hStream),   \
                     ALLOCATION_DEVICE);                                                               \
        return rc;                                                                                     \
    }
ALLOC_FROM_POOL(cuMemAllocFromPoolAsync, SL_API_CU_MEM_ALLOC_FROM_POOL_ASYNC)
ALLOC_FROM_POOL(cuMemAllocFromPoolAsync_ptsz, SL_API_CU_MEM_ALLOC_FROM_POOL_ASYNC_PTSZ)

#define FREE_ASYNC(sym, api)                                                                           \
    SL_EXPORT CUresult sym(CUdeviceptr dptr, CUstream hStream)                                         \
    {                                                                                                  \
        PROLOGUE(sym, api, dptr, hStream);                                                             \
        sl_free_claim claim;                                                                           \
        sl_account_claim_free(PTR(dptr), &claim);                                                      \
        CUresult rc = real(dptr, hStream);                                                             \
        record_free(api, rc, &claim, SL_STREAM(hStream), CONTEXT_DEVICE);                              \
        return rc;                                                                                     \
    }
FREE_ASYNC(cuMemFreeAsync, SL_API_CU_MEM_FREE_ASYNC)
FREE_ASYNC(cuMemFreeAsync_ptsz, SL_API_CU_MEM_FREE_ASYNC_PTSZ)

/* ---- virtual memory management: physical allocations ---------------------- */

SL_EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size, const CUmemAllocationProp *prop,
                               unsigned long long flags)
{
    PROLOGUE(cuMemCreate, SL_API_CU_MEM_CREATE, handle, size, prop, flags);
    CUresult rc = real(handle, size, prop, flags);
    /* The device the memory lives on, never the calling thread's: VMM
     * calls are commonly made from threads with no context at all. */
    int32_t device = SL_HOST_DEVICE;
    if (prop != NULL && prop->location.type == SL_CU_MEM_LOCATION_TYPE_DEVICE)
        device = prop->location.id;
    record_alloc(SL_API_CU_MEM_CREATE, rc, rc == SL_CU_SUCCESS ? PTR(*handle) : NULL, size, SL_NO_STREAM, device);
    return rc;
}

SL_EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle handle)
{
    PROLOGUE(cuMemRelease, SL_API_CU_MEM_RELEASE, handle);
    sl_free_claim claim;
    sl_account_claim_free(PTR(handle), &claim);
    CUresult rc = real(handle);
    /* An unknown handle cannot be charged to any device: -1. */
    record_free(SL_API_CU_MEM_RELEASE, rc, &claim, SL_NO_STREAM, SL_HOST_DEVICE);
    return rc;
}

/* ---- virtual memory management: mappings (metadata only) ----------------- */

SL_EXPORT CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                            unsigned long long flags)
{
    PROLOGUE(cuMemMap, SL_API_CU_MEM_MAP, ptr, size, offset, handle, flags);
    CUresult rc = real(ptr, size, offset, handle, flags);
    int saved_errno = errno;
    /* The device is the physical allocation's, never the calling thread's. */
    sl_mapping m = {(uintptr_t)ptr, size, offset, handle,
                    sl_account_handle_device(SL_API_CU_MEM_CREATE, handle)};
    if (rc == SL_CU_SUCCESS)
        sl_account_map(SL_API_CU_MEM_MAP, &m);
    else /* counted in the stop summary's failed_calls; not an allocation, no error event */
        sl_account_failure(SL_API_CU_MEM_MAP, m.device_id, rc, false, 0, SL_NO_STREAM);
    sl_hook_leave();
    errno = saved_errno;
    return rc;
}

SL_EXPORT CUresult cuMemUnmap(CUdeviceptr ptr, size_t size)
{
    PROLOGUE(cuMemUnmap, SL_API_CU_MEM_UNMAP, ptr, size);
    sl_unmap_claim claim;
    sl_account_claim_unmap((uintptr_t)ptr, size, &claim);
    CUresult rc = real(ptr, size);
    int saved_errno = errno;
    if (rc == SL_CU_SUCCESS) {
        sl_account_unmap(SL_API_CU_MEM_UNMAP, &claim);
    } else {
        int32_t device = claim.count != 0 ? claim.list[0].device_id : SL_HOST_DEVICE;
        sl_account_unclaim_unmap(&claim);
        sl_account_failure(SL_API_CU_MEM_UNMAP, device, rc, false, 0, SL_NO_STREAM);
    }
    sl_hook_leave();
    errno = saved_errno;
    return rc;
}

/* ---- pinned host memory (device -1) --------------------------------------- */

SL_EXPORT CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags)
{
    PROLOGUE(cuMemHostAlloc, SL_API_CU_MEM_HOST_ALLOC, pp, bytesize, Flags);
    CUresult rc = real(pp, bytesize, Flags);
    record_alloc(SL_API_CU_MEM_HOST_ALLOC, rc, rc == SL_CU_SUCCESS ? *pp : NULL, bytesize, SL_NO_STREAM,
                 SL_HOST_DEVICE);
    return rc;
}

SL_EXPORT CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
{
    PROLOGUE(cuMemAllocHost_v2, SL_API_CU_MEM_ALLOC_HOST, pp, bytesize);
    CUresult rc = real(pp, bytesize);
    record_alloc(SL_API_CU_MEM_ALLOC_HOST, rc, rc == SL_CU_SUCCESS ? *pp : NULL, bytesize, SL_NO_STREAM,
                 SL_HOST_DEVICE);
    return rc;
}

SL_EXPORT CUresult cuMemFreeHost(void *p)
{
    PROLOGUE(cuMemFreeHost, SL_API_CU_MEM_FREE_HOST, p);
    sl_free_claim claim;
    sl_account_claim_free(p, &claim);
    CUresult rc = real(p);
    record_free(SL_API_CU_MEM_FREE_HOST, rc, &claim, SL_NO_STREAM, SL_HOST_DEVICE);
    return rc;
}

/* ---- device totals --------------------------------------------------------- */

SL_EXPORT CUresult cuMemGetInfo_v2(size_t *free, size_t *total)
{
    PROLOGUE(cuMemGetInfo_v2, SL_API_CU_MEM_GET_INFO, free, total);
    CUresult rc = real(free, total);
    int saved_errno = errno;
    if (rc == SL_CU_SUCCESS && free != NULL && total != NULL)
        sl_account_device_info(context_device(), *free, *total);
    else if (rc != SL_CU_SUCCESS)
        sl_account_failure(SL_API_CU_MEM_GET_INFO, context_device(), rc, false, 0, SL_NO_STREAM);
    sl_hook_leave();
    errno = saved_errno;
    return rc;
}
