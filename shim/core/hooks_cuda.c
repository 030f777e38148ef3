/* The CUDA runtime hooks. Every wrapper has the same three steps:
 *   1. resolve the real function (NULL: no runtime loaded anywhere yet, so
 *      the call fails as the runtime itself would before initialisation,
 *      with cudaErrorInitializationError);
 *   2. call it (directly, untouched, when disabled or nested in another hook);
 *   3. record what happened (record_alloc / record_free), which keeps the
 *      real call's return value and errno as they were.
 * A free also claims its pointer-table entry just before step 2 (see
 * sl_account_claim_free for why it cannot wait until after the call).
 * Device of an allocation: the calling thread's current device; pinned host
 * memory: device -1; a free: the device its allocation was charged to. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "accounting.h"
#include "config.h"
#include "driver_api.h"
#include "gpu_api.h"
#include "guard.h"
#include "resolve.h"

#define SL_EXPORT __attribute__((visibility("default")))

#define SLOT(sym) static sl_real_slot real_##sym = SL_REAL_SLOT_INIT(sym, SL_RUNTIME_CUDA)
SLOT(cudaGetDevice);
SLOT(cudaDeviceGetMemPool);
SLOT(cudaPointerGetAttributes);
SLOT(cudaPeekAtLastError);
SLOT(cudaGetLastError);
SLOT(cudaMemPoolGetAttribute);
#undef SLOT
/* The driver's pointer query: it keeps no error state (hooks_driver.c owns
 * the driver hooks; this is only a helper). */
static sl_real_slot real_cuPointerGetAttribute = SL_REAL_SLOT_INIT(cuPointerGetAttribute, SL_RUNTIME_CUDA_DRIVER);

/* Step 1 and the pass-through half of step 2. */
#define PROLOGUE(sym, ...)                                                    \
    __typeof__(&sym) real = (__typeof__(&sym))sl_resolve_bound(SL_HOOK_SLOT(sym)); \
    if (real == NULL)                                                         \
        return SL_CUDA_ERROR_INITIALIZATION;                                  \
    if (sl_config()->disabled || !sl_hook_enter())                           \
    return real(__VA_ARGS__)

#define HELPER(sym) ((__typeof__(&sym))sl_resolve_helper(&real_##sym))

/* The runtime keeps the thread's last error, which the program reads with
 * cudaGetLastError() (PyTorch checks it after every kernel launch), and
 * every failed runtime call sets it. The queries the shim makes behind the
 * program's back must not leave an error there that the program did not
 * cause: query_begin() notes whether one was pending, query_failed() clears
 * the one our query left when none was. With one already pending, a failed
 * query of ours would replace it, which cannot be undone: optional queries
 * are then skipped, and only an OOM's own MemGetInfo takes that risk. */
static bool query_begin(void)
{
    __typeof__(&cudaPeekAtLastError) peek = HELPER(cudaPeekAtLastError);
    return peek != NULL && peek() != SL_CUDA_SUCCESS;
}

static void query_failed(bool was_pending)
{
    __typeof__(&cudaGetLastError) take = HELPER(cudaGetLastError);
    if (!was_pending && take != NULL)
        take();
}

/* On every allocation's path, so without the peek: cudaGetDevice fails only when
 * the runtime itself cannot start, and then with the error the program's own
 * call has just left (35 here, without a driver), so its state is unchanged. */
static int32_t current_device(void)
{
    int device = 0;
    __typeof__(&cudaGetDevice) get = HELPER(cudaGetDevice);
    if (get == NULL || get(&device) != SL_CUDA_SUCCESS)
        return 0; /* the runtime's default device */
    return device;
}

/* The device a stream-ordered allocation landed on. It comes from the
 * stream's device (or the pool's), which need not be the current one: a
 * program may allocate on a stream of device 1 while device 0 is current.
 * The returned pointer knows. The driver is asked first: a failed driver
 * query leaves no trace, while a failed runtime query would become the error
 * the program's next cudaGetLastError() returns (PyTorch checks it after
 * every kernel launch). So the runtime is asked only when the driver cannot
 * be reached and no error of the program's is pending, and an error of ours
 * is cleared. Where neither can say: the current device. */
static int32_t allocation_device(const void *ptr)
{
    if (ptr == NULL)
        return current_device();
    __typeof__(&cuPointerGetAttribute) drv = HELPER(cuPointerGetAttribute);
    if (drv != NULL) {
        int device = -1;
        if (drv(&device, SL_CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, (CUdeviceptr)(uintptr_t)ptr) == SL_CU_SUCCESS &&
            device >= 0)
            return device;
        return current_device();
    }
    __typeof__(&cudaPointerGetAttributes) get = HELPER(cudaPointerGetAttributes);
    /* Not with an error of the program's pending: it is the one case a
     * failed query could not be undone, and the current device is a fair
     * answer. */
    if (get == NULL || HELPER(cudaPeekAtLastError) == NULL || query_begin())
        return current_device();
    struct cudaPointerAttributes attr;
    memset(&attr, 0, sizeof attr);
    if (get(&attr, ptr) != SL_CUDA_SUCCESS) {
        query_failed(false);
        return current_device();
    }
    return attr.device >= 0 ? attr.device : current_device();
}

static void refresh_device_info(int32_t device, bool force)
{
    if (device < 0 || (!force && !sl_account_device_info_due(device)))
        return;
    __typeof__(&cudaMemGetInfo) get_info = ((__typeof__(&cudaMemGetInfo))sl_resolve_helper(SL_HOOK_SLOT(cudaMemGetInfo)));
    if (get_info == NULL)
        return;
    size_t free_bytes = 0, total_bytes = 0;
    /* With an error of the program's pending, only the OOM's own refresh
     * (force) is worth the risk of replacing it. */
    bool pending = query_begin();
    if (pending && !force)
        return;
    if (get_info(&free_bytes, &total_bytes) == SL_CUDA_SUCCESS)
        sl_account_device_info(device, free_bytes, total_bytes);
    else
        query_failed(pending);
}

/* What the device's memory pool keeps beyond its use (async APIs only). */
static void refresh_pool_slack(int32_t device, cudaMemPool_t pool)
{
    __typeof__(&cudaMemPoolGetAttribute) get_attr = HELPER(cudaMemPoolGetAttribute);
    if (get_attr == NULL)
        return;
    if (query_begin())
        return; /* an error of the program's pending: our query must not replace it */
    if (pool == NULL) {
        __typeof__(&cudaDeviceGetMemPool) get_pool = HELPER(cudaDeviceGetMemPool);
        if (get_pool == NULL)
            return;
        if (get_pool(&pool, device) != SL_CUDA_SUCCESS || pool == NULL) {
            query_failed(false);
            return;
        }
    }
    uint64_t reserved = 0, used = 0;
    if (get_attr(pool, SL_CUDA_MEMPOOL_ATTR_RESERVED_CURRENT, &reserved) != SL_CUDA_SUCCESS ||
        get_attr(pool, SL_CUDA_MEMPOOL_ATTR_USED_CURRENT, &used) != SL_CUDA_SUCCESS) {
        query_failed(false);
        return;
    }
    sl_account_pool_slack(device, (uint64_t)(uintptr_t)pool, reserved > used ? (int64_t)(reserved - used) : 0);
}

/* Step 3 for allocations. ptr is what the call wrote (read only on success). */
static void record_alloc(sl_api api, cudaError_t rc, void *const *ptr, uint64_t size, sl_stream_ref stream,
                         bool async, cudaMemPool_t pool)
{
    int saved_errno = errno;
    bool host = sl_api_table[api].kind == SL_KIND_HOST_ALLOC;
    int32_t device = host ? SL_HOST_DEVICE : current_device();
    if (rc == SL_CUDA_SUCCESS) {
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
        bool oom = rc == SL_CUDA_ERROR_MEMORY_ALLOCATION;
        if (oom)
            refresh_device_info(device, true);
        sl_account_failure(api, device, rc, oom, size, stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

/* Step 3 for frees. A NULL free is a no-op for the runtime and for us. */
static void record_free(sl_api api, cudaError_t rc, const sl_free_claim *claim, sl_stream_ref stream, bool async)
{
    int saved_errno = errno;
    bool host = api == SL_API_CUDA_FREE_HOST;
    if (rc == SL_CUDA_SUCCESS && claim->ptr != 0) {
        if (async)
            refresh_pool_slack(claim->found ? claim->info.device_id : current_device(), NULL);
        if (!sl_account_free(api, claim, stream))
            sl_account_unmatched_free(api, host ? SL_HOST_DEVICE : current_device());
    } else if (rc != SL_CUDA_SUCCESS) {
        sl_account_unclaim_free(claim);
        sl_account_failure(api, host ? SL_HOST_DEVICE : current_device(), rc, false, 0, stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

/* ---- device memory ------------------------------------------------------ */

SL_EXPORT cudaError_t cudaMalloc(void **devPtr, size_t size)
{
    PROLOGUE(cudaMalloc, devPtr, size);
    cudaError_t rc = real(devPtr, size);
    record_alloc(SL_API_CUDA_MALLOC, rc, devPtr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaFree(void *devPtr)
{
    PROLOGUE(cudaFree, devPtr);
    sl_free_claim claim;
    sl_account_claim_free(devPtr, &claim);
    cudaError_t rc = real(devPtr);
    record_free(SL_API_CUDA_FREE, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags)
{
    PROLOGUE(cudaMallocManaged, devPtr, size, flags);
    cudaError_t rc = real(devPtr, size, flags);
    record_alloc(SL_API_CUDA_MALLOC_MANAGED, rc, devPtr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height)
{
    PROLOGUE(cudaMallocPitch, devPtr, pitch, width, height);
    cudaError_t rc = real(devPtr, pitch, width, height);
    uint64_t size = rc == SL_CUDA_SUCCESS ? (uint64_t)*pitch * height : (uint64_t)width * height;
    record_alloc(SL_API_CUDA_MALLOC_PITCH, rc, devPtr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMalloc3D(struct cudaPitchedPtr *pitchedDevPtr, struct cudaExtent extent)
{
    PROLOGUE(cudaMalloc3D, pitchedDevPtr, extent);
    cudaError_t rc = real(pitchedDevPtr, extent);
    uint64_t row = rc == SL_CUDA_SUCCESS ? pitchedDevPtr->pitch : extent.width;
    void *ptr = rc == SL_CUDA_SUCCESS ? pitchedDevPtr->ptr : NULL;
    record_alloc(SL_API_CUDA_MALLOC_3D, rc, &ptr, row * extent.height * extent.depth, SL_NO_STREAM, false, NULL);
    return rc;
}

/* ---- stream-ordered allocation (and the per-thread-default-stream twins) -- */

SL_EXPORT cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream)
{
    PROLOGUE(cudaMallocAsync, devPtr, size, hStream);
    cudaError_t rc = real(devPtr, size, hStream);
    record_alloc(SL_API_CUDA_MALLOC_ASYNC, rc, devPtr, size, SL_STREAM(hStream), true, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocAsync_ptsz(void **devPtr, size_t size, cudaStream_t hStream)
{
    PROLOGUE(cudaMallocAsync_ptsz, devPtr, size, hStream);
    cudaError_t rc = real(devPtr, size, hStream);
    record_alloc(SL_API_CUDA_MALLOC_ASYNC_PTSZ, rc, devPtr, size, SL_STREAM(hStream), true, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream)
{
    PROLOGUE(cudaMallocFromPoolAsync, ptr, size, memPool, stream);
    cudaError_t rc = real(ptr, size, memPool, stream);
    record_alloc(SL_API_CUDA_MALLOC_FROM_POOL_ASYNC, rc, ptr, size, SL_STREAM(stream), true, memPool);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocFromPoolAsync_ptsz(void **ptr, size_t size, cudaMemPool_t memPool,
                                                   cudaStream_t stream)
{
    PROLOGUE(cudaMallocFromPoolAsync_ptsz, ptr, size, memPool, stream);
    cudaError_t rc = real(ptr, size, memPool, stream);
    record_alloc(SL_API_CUDA_MALLOC_FROM_POOL_ASYNC_PTSZ, rc, ptr, size, SL_STREAM(stream), true, memPool);
    return rc;
}

SL_EXPORT cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream)
{
    PROLOGUE(cudaFreeAsync, devPtr, hStream);
    sl_free_claim claim;
    sl_account_claim_free(devPtr, &claim);
    cudaError_t rc = real(devPtr, hStream);
    record_free(SL_API_CUDA_FREE_ASYNC, rc, &claim, SL_STREAM(hStream), true);
    return rc;
}

SL_EXPORT cudaError_t cudaFreeAsync_ptsz(void *devPtr, cudaStream_t hStream)
{
    PROLOGUE(cudaFreeAsync_ptsz, devPtr, hStream);
    sl_free_claim claim;
    sl_account_claim_free(devPtr, &claim);
    cudaError_t rc = real(devPtr, hStream);
    record_free(SL_API_CUDA_FREE_ASYNC_PTSZ, rc, &claim, SL_STREAM(hStream), true);
    return rc;
}

/* ---- pinned host memory (device -1) -------------------------------------- */

SL_EXPORT cudaError_t cudaMallocHost(void **ptr, size_t size)
{
    PROLOGUE(cudaMallocHost, ptr, size);
    cudaError_t rc = real(ptr, size);
    record_alloc(SL_API_CUDA_MALLOC_HOST, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaHostAlloc(void **pHost, size_t size, unsigned int flags)
{
    PROLOGUE(cudaHostAlloc, pHost, size, flags);
    cudaError_t rc = real(pHost, size, flags);
    record_alloc(SL_API_CUDA_HOST_ALLOC, rc, pHost, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaFreeHost(void *ptr)
{
    PROLOGUE(cudaFreeHost, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    cudaError_t rc = real(ptr);
    record_free(SL_API_CUDA_FREE_HOST, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

/* ---- device totals: passed through, and remembered ------------------------ */

SL_EXPORT cudaError_t cudaMemGetInfo(size_t *free, size_t *total)
{
    PROLOGUE(cudaMemGetInfo, free, total);
    cudaError_t rc = real(free, total);
    int saved_errno = errno;
    if (rc == SL_CUDA_SUCCESS && free != NULL && total != NULL)
        sl_account_device_info(current_device(), *free, *total);
    else if (rc != SL_CUDA_SUCCESS)
        sl_account_failure(SL_API_CUDA_MEM_GET_INFO, current_device(), rc, false, 0, SL_NO_STREAM);
    sl_hook_leave();
    errno = saved_errno;
    return rc;
}
