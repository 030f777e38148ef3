/* The HIP hooks: the same three steps as hooks_cuda.c (resolve, call,
 * record), with HIP's names. A call before any HIP runtime is loaded fails
 * with hipErrorNotInitialized. The older spellings (hipMallocHost,
 * hipMemAllocHost, hipMemAllocPitch, hipFreeHost) are hooked too: programs
 * built against older ROCm still call them, and the runtime still exports
 * them. */
#include <errno.h>
#include <stdint.h>

#include "accounting.h"
#include "config.h"
#include "gpu_api.h"
#include "guard.h"
#include "resolve.h"

#define SL_EXPORT __attribute__((visibility("default")))

#define SLOT(sym) static sl_real_slot real_##sym = SL_REAL_SLOT_INIT(sym, SL_RUNTIME_HIP)
SLOT(hipGetDevice);
SLOT(hipDeviceGetMemPool);
SLOT(hipMemPoolGetAttribute);
SLOT(hipPointerGetAttribute);
SLOT(hipPeekAtLastError);
SLOT(hipGetLastError);
#undef SLOT

#define PROLOGUE(sym, ...)                                                    \
    __typeof__(&sym) real = (__typeof__(&sym))sl_resolve_bound(SL_HOOK_SLOT(sym)); \
    if (real == NULL)                                                         \
        return SL_HIP_ERROR_NOT_INITIALIZED;                                  \
    if (sl_config()->disabled || !sl_hook_enter())                           \
    return real(__VA_ARGS__)

#define HELPER(sym) ((__typeof__(&sym))sl_resolve_helper(&real_##sym))

/* The program's last error (hipGetLastError) must not show a query of
 * ours: hooks_cuda.c explains query_begin / query_failed. */
static bool query_begin(void)
{
    __typeof__(&hipPeekAtLastError) peek = HELPER(hipPeekAtLastError);
    return peek != NULL && peek() != SL_HIP_SUCCESS;
}

static void query_failed(bool was_pending)
{
    __typeof__(&hipGetLastError) take = HELPER(hipGetLastError);
    if (!was_pending && take != NULL)
        take();
}

/* On every allocation's path, so without the peek: hipGetDevice fails only when
 * the runtime itself cannot start, and then with the error the program's own
 * call has just left (101 here, without a GPU), so its state is unchanged. */
static int32_t current_device(void)
{
    int device = 0;
    __typeof__(&hipGetDevice) get = HELPER(hipGetDevice);
    if (get == NULL || get(&device) != SL_HIP_SUCCESS)
        return 0;
    return device;
}

/* The device a stream-ordered allocation landed on: the stream's or the
 * pool's, not necessarily the current one (hooks_cuda.c says more). The
 * attribute query has one layout on every ROCm that has these allocators.
 * A failed query would become the program's next hipGetLastError(): ask only
 * when no error of the program's is pending, and clear one of ours. */
static int32_t allocation_device(void *ptr)
{
    __typeof__(&hipPointerGetAttribute) get = HELPER(hipPointerGetAttribute);
    if (ptr == NULL || get == NULL || HELPER(hipPeekAtLastError) == NULL || query_begin())
        return current_device();
    int device = -1;
    if (get(&device, SL_HIP_POINTER_ATTR_DEVICE_ORDINAL, ptr) != SL_HIP_SUCCESS) {
        query_failed(false);
        return current_device();
    }
    return device >= 0 ? device : current_device();
}

static void refresh_device_info(int32_t device, bool force)
{
    if (device < 0 || (!force && !sl_account_device_info_due(device)))
        return;
    __typeof__(&hipMemGetInfo) get_info = ((__typeof__(&hipMemGetInfo))sl_resolve_helper(SL_HOOK_SLOT(hipMemGetInfo)));
    if (get_info == NULL)
        return;
    size_t free_bytes = 0, total_bytes = 0;
    /* With an error of the program's pending, only the OOM's own refresh
     * (force) is worth the risk of replacing it. */
    bool pending = query_begin();
    if (pending && !force)
        return;
    if (get_info(&free_bytes, &total_bytes) == SL_HIP_SUCCESS)
        sl_account_device_info(device, free_bytes, total_bytes);
    else
        query_failed(pending);
}

static void refresh_pool_slack(int32_t device, hipMemPool_t pool)
{
    __typeof__(&hipMemPoolGetAttribute) get_attr = HELPER(hipMemPoolGetAttribute);
    if (get_attr == NULL)
        return;
    if (query_begin())
        return; /* an error of the program's pending: our query must not replace it */
    if (pool == NULL) {
        __typeof__(&hipDeviceGetMemPool) get_pool = HELPER(hipDeviceGetMemPool);
        if (get_pool == NULL)
            return;
        if (get_pool(&pool, device) != SL_HIP_SUCCESS || pool == NULL) {
            query_failed(false);
            return;
        }
    }
    uint64_t reserved = 0, used = 0;
    if (get_attr(pool, SL_HIP_MEMPOOL_ATTR_RESERVED_CURRENT, &reserved) != SL_HIP_SUCCESS ||
        get_attr(pool, SL_HIP_MEMPOOL_ATTR_USED_CURRENT, &used) != SL_HIP_SUCCESS) {
        query_failed(false);
        return;
    }
    sl_account_pool_slack(device, (uint64_t)(uintptr_t)pool, reserved > used ? (int64_t)(reserved - used) : 0);
}

static void record_alloc(sl_api api, hipError_t rc, void *const *ptr, uint64_t size, sl_stream_ref stream,
                         bool async, hipMemPool_t pool)
{
    int saved_errno = errno;
    bool host = sl_api_table[api].kind == SL_KIND_HOST_ALLOC;
    int32_t device = host ? SL_HOST_DEVICE : current_device();
    if (rc == SL_HIP_SUCCESS) {
        void *got = ptr != NULL ? *ptr : NULL;
        int32_t current = device;
        if (async)
            device = allocation_device(got);
        /* MemGetInfo answers for the current device only. */
        if (device == current)
            refresh_device_info(device, false);
        if (async)
            refresh_pool_slack(device, pool);
        sl_account_alloc(api, device, got, size, stream);
    } else {
        bool oom = rc == SL_HIP_ERROR_OUT_OF_MEMORY;
        if (oom)
            refresh_device_info(device, true);
        sl_account_failure(api, device, rc, oom, size, stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

static void record_free(sl_api api, hipError_t rc, const sl_free_claim *claim, sl_stream_ref stream, bool async)
{
    int saved_errno = errno;
    bool host = api == SL_API_HIP_HOST_FREE || api == SL_API_HIP_FREE_HOST;
    if (rc == SL_HIP_SUCCESS && claim->ptr != 0) {
        if (async)
            refresh_pool_slack(claim->found ? claim->info.device_id : current_device(), NULL);
        if (!sl_account_free(api, claim, stream))
            sl_account_unmatched_free(api, host ? SL_HOST_DEVICE : current_device());
    } else if (rc != SL_HIP_SUCCESS) {
        sl_account_unclaim_free(claim);
        sl_account_failure(api, host ? SL_HOST_DEVICE : current_device(), rc, false, 0, stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

/* ---- device memory ------------------------------------------------------ */

SL_EXPORT hipError_t hipMalloc(void **ptr, size_t size)
{
    PROLOGUE(hipMalloc, ptr, size);
    hipError_t rc = real(ptr, size);
    record_alloc(SL_API_HIP_MALLOC, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipExtMallocWithFlags(void **ptr, size_t sizeBytes, unsigned int flags)
{
    PROLOGUE(hipExtMallocWithFlags, ptr, sizeBytes, flags);
    hipError_t rc = real(ptr, sizeBytes, flags);
    record_alloc(SL_API_HIP_EXT_MALLOC_WITH_FLAGS, rc, ptr, sizeBytes, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocManaged(void **dev_ptr, size_t size, unsigned int flags)
{
    PROLOGUE(hipMallocManaged, dev_ptr, size, flags);
    hipError_t rc = real(dev_ptr, size, flags);
    record_alloc(SL_API_HIP_MALLOC_MANAGED, rc, dev_ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocPitch(void **ptr, size_t *pitch, size_t width, size_t height)
{
    PROLOGUE(hipMallocPitch, ptr, pitch, width, height);
    hipError_t rc = real(ptr, pitch, width, height);
    uint64_t size = rc == SL_HIP_SUCCESS ? (uint64_t)*pitch * height : (uint64_t)width * height;
    record_alloc(SL_API_HIP_MALLOC_PITCH, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMemAllocPitch(hipDeviceptr_t *dptr, size_t *pitch, size_t widthInBytes, size_t height,
                                      unsigned int elementSizeBytes)
{
    PROLOGUE(hipMemAllocPitch, dptr, pitch, widthInBytes, height, elementSizeBytes);
    hipError_t rc = real(dptr, pitch, widthInBytes, height, elementSizeBytes);
    uint64_t size = rc == SL_HIP_SUCCESS ? (uint64_t)*pitch * height : (uint64_t)widthInBytes * height;
    record_alloc(SL_API_HIP_MEM_ALLOC_PITCH, rc, dptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipFree(void *ptr)
{
    PROLOGUE(hipFree, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    hipError_t rc = real(ptr);
    record_free(SL_API_HIP_FREE, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

/* ---- stream-ordered allocation -------------------------------------------- */

SL_EXPORT hipError_t hipMallocAsync(void **dev_ptr, size_t size, hipStream_t stream)
{
    PROLOGUE(hipMallocAsync, dev_ptr, size, stream);
    hipError_t rc = real(dev_ptr, size, stream);
    record_alloc(SL_API_HIP_MALLOC_ASYNC, rc, dev_ptr, size, SL_STREAM(stream), true, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocFromPoolAsync(void **dev_ptr, size_t size, hipMemPool_t mem_pool, hipStream_t stream)
{
    PROLOGUE(hipMallocFromPoolAsync, dev_ptr, size, mem_pool, stream);
    hipError_t rc = real(dev_ptr, size, mem_pool, stream);
    record_alloc(SL_API_HIP_MALLOC_FROM_POOL_ASYNC, rc, dev_ptr, size, SL_STREAM(stream), true, mem_pool);
    return rc;
}

SL_EXPORT hipError_t hipFreeAsync(void *dev_ptr, hipStream_t stream)
{
    PROLOGUE(hipFreeAsync, dev_ptr, stream);
    sl_free_claim claim;
    sl_account_claim_free(dev_ptr, &claim);
    hipError_t rc = real(dev_ptr, stream);
    record_free(SL_API_HIP_FREE_ASYNC, rc, &claim, SL_STREAM(stream), true);
    return rc;
}

/* ---- pinned host memory (device -1) -------------------------------------- */

SL_EXPORT hipError_t hipHostMalloc(void **ptr, size_t size, unsigned int flags)
{
    PROLOGUE(hipHostMalloc, ptr, size, flags);
    hipError_t rc = real(ptr, size, flags);
    record_alloc(SL_API_HIP_HOST_MALLOC, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocHost(void **ptr, size_t size)
{
    PROLOGUE(hipMallocHost, ptr, size);
    hipError_t rc = real(ptr, size);
    record_alloc(SL_API_HIP_MALLOC_HOST, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMemAllocHost(void **ptr, size_t size)
{
    PROLOGUE(hipMemAllocHost, ptr, size);
    hipError_t rc = real(ptr, size);
    record_alloc(SL_API_HIP_MEM_ALLOC_HOST, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipHostFree(void *ptr)
{
    PROLOGUE(hipHostFree, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    hipError_t rc = real(ptr);
    record_free(SL_API_HIP_HOST_FREE, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

SL_EXPORT hipError_t hipFreeHost(void *ptr)
{
    PROLOGUE(hipFreeHost, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    hipError_t rc = real(ptr);
    record_free(SL_API_HIP_FREE_HOST, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

/* ---- device totals: passed through, and remembered ------------------------ */

SL_EXPORT hipError_t hipMemGetInfo(size_t *free, size_t *total)
{
    PROLOGUE(hipMemGetInfo, free, total);
    hipError_t rc = real(free, total);
    int saved_errno = errno;
    if (rc == SL_HIP_SUCCESS && free != NULL && total != NULL)
        sl_account_device_info(current_device(), *free, *total);
    else if (rc != SL_HIP_SUCCESS)
        sl_account_failure(SL_API_HIP_MEM_GET_INFO, current_device(), rc, false, 0, SL_NO_STREAM);
    sl_hook_leave();
    errno = saved_errno;
    return rc;
}
