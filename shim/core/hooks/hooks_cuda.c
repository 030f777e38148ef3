/* The CUDA runtime hooks. Every wrapper has the same three steps:
 *   1. resolve the real function (NULL: no runtime loaded anywhere yet, so
 *      the call fails as the runtime itself would before initialisation,
 *      with cudaErrorInitializationError);
 *   2. call it (directly, untouched, when disabled or nested in another hook);
 *   3. record what happened (runtime_record.c, over cuda_ops below), which
 *      keeps the real call's return value, errno and last error as they were.
 * A free also claims its pointer-table entry just before step 2 (see
 * sl_account_claim_free for why it cannot wait until after the call).
 * Device of an allocation: the calling thread's current device; pinned host
 * memory: device -1; a free: the device its allocation was charged to. */
#include <stdint.h>
#include <string.h>

#include "accounting.h"
#include "config.h"
#include "driver_api.h"
#include "gpu_api.h"
#include "guard.h"
#include "prologue.h"
#include "resolve.h"
#include "runtime_record.h"

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

#define PROLOGUE(sym, ...) SL_HOOK_PROLOGUE(sym, SL_CUDA_ERROR_INITIALIZATION, __VA_ARGS__)

#define HELPER(sym) ((__typeof__(&sym))sl_resolve_helper(&real_##sym))

/* The operations the record half (runtime_record.c) asks of the runtime. */
static int32_t cuda_current_device(void)
{
    int device = 0;
    __typeof__(&cudaGetDevice) get = HELPER(cudaGetDevice);
    if (get == NULL || get(&device) != SL_CUDA_SUCCESS)
        return 0; /* the runtime's default device */
    return device;
}

static sl_query cuda_peek_error(void)
{
    __typeof__(&cudaPeekAtLastError) peek = HELPER(cudaPeekAtLastError);
    if (peek == NULL)
        return SL_QUERY_ABSENT;
    return peek() != SL_CUDA_SUCCESS ? SL_QUERY_FAILED : SL_QUERY_OK;
}

static void cuda_take_error(void)
{
    __typeof__(&cudaGetLastError) take = HELPER(cudaGetLastError);
    if (take != NULL)
        take();
}

static sl_query cuda_mem_get_info(size_t *free_bytes, size_t *total_bytes)
{
    __typeof__(&cudaMemGetInfo) get = (__typeof__(&cudaMemGetInfo))sl_resolve_helper(SL_HOOK_SLOT(cudaMemGetInfo));
    if (get == NULL)
        return SL_QUERY_ABSENT;
    return get(free_bytes, total_bytes) == SL_CUDA_SUCCESS ? SL_QUERY_OK : SL_QUERY_FAILED;
}

/* The driver's pointer query keeps no error state: asked first. */
static sl_query cuda_quiet_pointer_device(const void *ptr, int *device)
{
    __typeof__(&cuPointerGetAttribute) get = HELPER(cuPointerGetAttribute);
    if (get == NULL)
        return SL_QUERY_ABSENT;
    return get(device, SL_CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, (CUdeviceptr)(uintptr_t)ptr) == SL_CU_SUCCESS
               ? SL_QUERY_OK
               : SL_QUERY_FAILED;
}

static sl_query cuda_pointer_device(const void *ptr, int *device)
{
    __typeof__(&cudaPointerGetAttributes) get = HELPER(cudaPointerGetAttributes);
    if (get == NULL)
        return SL_QUERY_ABSENT;
    struct cudaPointerAttributes attr;
    memset(&attr, 0, sizeof attr);
    if (get(&attr, ptr) != SL_CUDA_SUCCESS)
        return SL_QUERY_FAILED;
    *device = attr.device;
    return SL_QUERY_OK;
}

static bool cuda_has_pool_usage(void)
{
    return HELPER(cudaMemPoolGetAttribute) != NULL;
}

static sl_query cuda_default_pool(int32_t device, void **pool)
{
    __typeof__(&cudaDeviceGetMemPool) get = HELPER(cudaDeviceGetMemPool);
    if (get == NULL)
        return SL_QUERY_ABSENT;
    cudaMemPool_t found = NULL;
    if (get(&found, device) != SL_CUDA_SUCCESS || found == NULL)
        return SL_QUERY_FAILED;
    *pool = found;
    return SL_QUERY_OK;
}

static sl_query cuda_pool_usage(void *pool, uint64_t *reserved, uint64_t *used)
{
    __typeof__(&cudaMemPoolGetAttribute) get = HELPER(cudaMemPoolGetAttribute);
    if (get == NULL)
        return SL_QUERY_ABSENT;
    if (get(pool, SL_CUDA_MEMPOOL_ATTR_RESERVED_CURRENT, reserved) != SL_CUDA_SUCCESS ||
        get(pool, SL_CUDA_MEMPOOL_ATTR_USED_CURRENT, used) != SL_CUDA_SUCCESS)
        return SL_QUERY_FAILED;
    return SL_QUERY_OK;
}

static const sl_runtime_ops cuda_ops = {
    .success = SL_CUDA_SUCCESS,
    .out_of_memory = SL_CUDA_ERROR_MEMORY_ALLOCATION,
    .current_device = cuda_current_device,
    .peek_error = cuda_peek_error,
    .take_error = cuda_take_error,
    .mem_get_info = cuda_mem_get_info,
    .quiet_pointer_device = cuda_quiet_pointer_device,
    .pointer_device = cuda_pointer_device,
    .has_pool_usage = cuda_has_pool_usage,
    .default_pool = cuda_default_pool,
    .pool_usage = cuda_pool_usage,
};


/* ---- device memory ------------------------------------------------------ */

SL_EXPORT cudaError_t cudaMalloc(void **devPtr, size_t size)
{
    PROLOGUE(cudaMalloc, devPtr, size);
    cudaError_t rc = real(devPtr, size);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC, rc, devPtr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaFree(void *devPtr)
{
    PROLOGUE(cudaFree, devPtr);
    sl_free_claim claim;
    sl_account_claim_free(devPtr, &claim);
    cudaError_t rc = real(devPtr);
    sl_record_free(&cuda_ops, SL_API_CUDA_FREE, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags)
{
    PROLOGUE(cudaMallocManaged, devPtr, size, flags);
    cudaError_t rc = real(devPtr, size, flags);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_MANAGED, rc, devPtr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height)
{
    PROLOGUE(cudaMallocPitch, devPtr, pitch, width, height);
    cudaError_t rc = real(devPtr, pitch, width, height);
    uint64_t size = rc == SL_CUDA_SUCCESS ? (uint64_t)*pitch * height : (uint64_t)width * height;
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_PITCH, rc, devPtr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMalloc3D(struct cudaPitchedPtr *pitchedDevPtr, struct cudaExtent extent)
{
    PROLOGUE(cudaMalloc3D, pitchedDevPtr, extent);
    cudaError_t rc = real(pitchedDevPtr, extent);
    uint64_t row = rc == SL_CUDA_SUCCESS ? pitchedDevPtr->pitch : extent.width;
    void *ptr = rc == SL_CUDA_SUCCESS ? pitchedDevPtr->ptr : NULL;
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_3D, rc, &ptr, row * extent.height * extent.depth, SL_NO_STREAM,
                    false, NULL);
    return rc;
}

/* ---- stream-ordered allocation (and the per-thread-default-stream twins) -- */

SL_EXPORT cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream)
{
    PROLOGUE(cudaMallocAsync, devPtr, size, hStream);
    cudaError_t rc = real(devPtr, size, hStream);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_ASYNC, rc, devPtr, size, SL_STREAM(hStream), true, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocAsync_ptsz(void **devPtr, size_t size, cudaStream_t hStream)
{
    PROLOGUE(cudaMallocAsync_ptsz, devPtr, size, hStream);
    cudaError_t rc = real(devPtr, size, hStream);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_ASYNC_PTSZ, rc, devPtr, size, SL_STREAM(hStream), true, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream)
{
    PROLOGUE(cudaMallocFromPoolAsync, ptr, size, memPool, stream);
    cudaError_t rc = real(ptr, size, memPool, stream);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_FROM_POOL_ASYNC, rc, ptr, size, SL_STREAM(stream), true, memPool);
    return rc;
}

SL_EXPORT cudaError_t cudaMallocFromPoolAsync_ptsz(void **ptr, size_t size, cudaMemPool_t memPool,
                                                   cudaStream_t stream)
{
    PROLOGUE(cudaMallocFromPoolAsync_ptsz, ptr, size, memPool, stream);
    cudaError_t rc = real(ptr, size, memPool, stream);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_FROM_POOL_ASYNC_PTSZ, rc, ptr, size, SL_STREAM(stream), true,
                    memPool);
    return rc;
}

SL_EXPORT cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream)
{
    PROLOGUE(cudaFreeAsync, devPtr, hStream);
    sl_free_claim claim;
    sl_account_claim_free(devPtr, &claim);
    cudaError_t rc = real(devPtr, hStream);
    sl_record_free(&cuda_ops, SL_API_CUDA_FREE_ASYNC, rc, &claim, SL_STREAM(hStream), true);
    return rc;
}

SL_EXPORT cudaError_t cudaFreeAsync_ptsz(void *devPtr, cudaStream_t hStream)
{
    PROLOGUE(cudaFreeAsync_ptsz, devPtr, hStream);
    sl_free_claim claim;
    sl_account_claim_free(devPtr, &claim);
    cudaError_t rc = real(devPtr, hStream);
    sl_record_free(&cuda_ops, SL_API_CUDA_FREE_ASYNC_PTSZ, rc, &claim, SL_STREAM(hStream), true);
    return rc;
}

/* ---- pinned host memory (device -1) -------------------------------------- */

SL_EXPORT cudaError_t cudaMallocHost(void **ptr, size_t size)
{
    PROLOGUE(cudaMallocHost, ptr, size);
    cudaError_t rc = real(ptr, size);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_MALLOC_HOST, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaHostAlloc(void **pHost, size_t size, unsigned int flags)
{
    PROLOGUE(cudaHostAlloc, pHost, size, flags);
    cudaError_t rc = real(pHost, size, flags);
    sl_record_alloc(&cuda_ops, SL_API_CUDA_HOST_ALLOC, rc, pHost, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT cudaError_t cudaFreeHost(void *ptr)
{
    PROLOGUE(cudaFreeHost, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    cudaError_t rc = real(ptr);
    sl_record_free(&cuda_ops, SL_API_CUDA_FREE_HOST, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

/* ---- device totals: passed through, and remembered ------------------------ */

SL_EXPORT cudaError_t cudaMemGetInfo(size_t *free, size_t *total)
{
    PROLOGUE(cudaMemGetInfo, free, total);
    cudaError_t rc = real(free, total);
    sl_record_mem_get_info(&cuda_ops, SL_API_CUDA_MEM_GET_INFO, rc, free, total);
    return rc;
}
