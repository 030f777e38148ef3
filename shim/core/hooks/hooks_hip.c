/* The HIP hooks: the same three steps as hooks_cuda.c (resolve, call,
 * record), with HIP's names. A call before any HIP runtime is loaded fails
 * with hipErrorNotInitialized. The older spellings (hipMallocHost,
 * hipMemAllocHost, hipMemAllocPitch, hipFreeHost) are hooked too: programs
 * built against older ROCm still call them, and the runtime still exports
 * them. */
#include <stdint.h>

#include "accounting.h"
#include "config.h"
#include "gpu_api.h"
#include "guard.h"
#include "prologue.h"
#include "resolve.h"
#include "runtime_record.h"

#define SL_EXPORT __attribute__((visibility("default")))

#define SLOT(sym) static sl_real_slot real_##sym = SL_REAL_SLOT_INIT(sym, SL_RUNTIME_HIP)
SLOT(hipGetDevice);
SLOT(hipDeviceGetMemPool);
SLOT(hipMemPoolGetAttribute);
SLOT(hipPointerGetAttribute);
SLOT(hipPeekAtLastError);
SLOT(hipGetLastError);
#undef SLOT

#define PROLOGUE(sym, ...) SL_HOOK_PROLOGUE(sym, SL_HIP_ERROR_NOT_INITIALIZED, __VA_ARGS__)

#define HELPER(sym) ((__typeof__(&sym))sl_resolve_helper(&real_##sym))

/* The operations the record half (runtime_record.c) asks of the runtime. */
static int32_t hip_current_device(void)
{
    int device = 0;
    __typeof__(&hipGetDevice) get = HELPER(hipGetDevice);
    if (get == NULL || get(&device) != SL_HIP_SUCCESS)
        return 0;
    return device;
}

static sl_query hip_peek_error(void)
{
    __typeof__(&hipPeekAtLastError) peek = HELPER(hipPeekAtLastError);
    if (peek == NULL)
        return SL_QUERY_ABSENT;
    return peek() != SL_HIP_SUCCESS ? SL_QUERY_FAILED : SL_QUERY_OK;
}

static void hip_take_error(void)
{
    __typeof__(&hipGetLastError) take = HELPER(hipGetLastError);
    if (take != NULL)
        take();
}

static sl_query hip_mem_get_info(size_t *free_bytes, size_t *total_bytes)
{
    __typeof__(&hipMemGetInfo) get = (__typeof__(&hipMemGetInfo))sl_resolve_helper(SL_HOOK_SLOT(hipMemGetInfo));
    if (get == NULL)
        return SL_QUERY_ABSENT;
    return get(free_bytes, total_bytes) == SL_HIP_SUCCESS ? SL_QUERY_OK : SL_QUERY_FAILED;
}

/* The attribute query has one layout on every ROCm that has the
 * stream-ordered allocators. */
static sl_query hip_pointer_device(const void *ptr, int *device)
{
    __typeof__(&hipPointerGetAttribute) get = HELPER(hipPointerGetAttribute);
    if (get == NULL)
        return SL_QUERY_ABSENT;
    return get(device, SL_HIP_POINTER_ATTR_DEVICE_ORDINAL, (hipDeviceptr_t)(uintptr_t)ptr) == SL_HIP_SUCCESS
               ? SL_QUERY_OK
               : SL_QUERY_FAILED;
}

static bool hip_has_pool_usage(void)
{
    return HELPER(hipMemPoolGetAttribute) != NULL;
}

static sl_query hip_default_pool(int32_t device, void **pool)
{
    __typeof__(&hipDeviceGetMemPool) get = HELPER(hipDeviceGetMemPool);
    if (get == NULL)
        return SL_QUERY_ABSENT;
    hipMemPool_t found = NULL;
    if (get(&found, device) != SL_HIP_SUCCESS || found == NULL)
        return SL_QUERY_FAILED;
    *pool = found;
    return SL_QUERY_OK;
}

static sl_query hip_pool_usage(void *pool, uint64_t *reserved, uint64_t *used)
{
    __typeof__(&hipMemPoolGetAttribute) get = HELPER(hipMemPoolGetAttribute);
    if (get == NULL)
        return SL_QUERY_ABSENT;
    if (get(pool, SL_HIP_MEMPOOL_ATTR_RESERVED_CURRENT, reserved) != SL_HIP_SUCCESS ||
        get(pool, SL_HIP_MEMPOOL_ATTR_USED_CURRENT, used) != SL_HIP_SUCCESS)
        return SL_QUERY_FAILED;
    return SL_QUERY_OK;
}

static const sl_runtime_ops hip_ops = {
    .success = SL_HIP_SUCCESS,
    .out_of_memory = SL_HIP_ERROR_OUT_OF_MEMORY,
    .current_device = hip_current_device,
    .peek_error = hip_peek_error,
    .take_error = hip_take_error,
    .mem_get_info = hip_mem_get_info,
    .quiet_pointer_device = NULL,
    .pointer_device = hip_pointer_device,
    .has_pool_usage = hip_has_pool_usage,
    .default_pool = hip_default_pool,
    .pool_usage = hip_pool_usage,
};


/* ---- device memory ------------------------------------------------------ */

SL_EXPORT hipError_t hipMalloc(void **ptr, size_t size)
{
    PROLOGUE(hipMalloc, ptr, size);
    hipError_t rc = real(ptr, size);
    sl_record_alloc(&hip_ops, SL_API_HIP_MALLOC, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipExtMallocWithFlags(void **ptr, size_t sizeBytes, unsigned int flags)
{
    PROLOGUE(hipExtMallocWithFlags, ptr, sizeBytes, flags);
    hipError_t rc = real(ptr, sizeBytes, flags);
    sl_record_alloc(&hip_ops, SL_API_HIP_EXT_MALLOC_WITH_FLAGS, rc, ptr, sizeBytes, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocManaged(void **dev_ptr, size_t size, unsigned int flags)
{
    PROLOGUE(hipMallocManaged, dev_ptr, size, flags);
    hipError_t rc = real(dev_ptr, size, flags);
    sl_record_alloc(&hip_ops, SL_API_HIP_MALLOC_MANAGED, rc, dev_ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocPitch(void **ptr, size_t *pitch, size_t width, size_t height)
{
    PROLOGUE(hipMallocPitch, ptr, pitch, width, height);
    hipError_t rc = real(ptr, pitch, width, height);
    uint64_t size = rc == SL_HIP_SUCCESS ? (uint64_t)*pitch * height : (uint64_t)width * height;
    sl_record_alloc(&hip_ops, SL_API_HIP_MALLOC_PITCH, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMemAllocPitch(hipDeviceptr_t *dptr, size_t *pitch, size_t widthInBytes, size_t height,
                                      unsigned int elementSizeBytes)
{
    PROLOGUE(hipMemAllocPitch, dptr, pitch, widthInBytes, height, elementSizeBytes);
    hipError_t rc = real(dptr, pitch, widthInBytes, height, elementSizeBytes);
    uint64_t size = rc == SL_HIP_SUCCESS ? (uint64_t)*pitch * height : (uint64_t)widthInBytes * height;
    sl_record_alloc(&hip_ops, SL_API_HIP_MEM_ALLOC_PITCH, rc, dptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipFree(void *ptr)
{
    PROLOGUE(hipFree, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    hipError_t rc = real(ptr);
    sl_record_free(&hip_ops, SL_API_HIP_FREE, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

/* ---- stream-ordered allocation -------------------------------------------- */

SL_EXPORT hipError_t hipMallocAsync(void **dev_ptr, size_t size, hipStream_t stream)
{
    PROLOGUE(hipMallocAsync, dev_ptr, size, stream);
    hipError_t rc = real(dev_ptr, size, stream);
    sl_record_alloc(&hip_ops, SL_API_HIP_MALLOC_ASYNC, rc, dev_ptr, size, SL_STREAM(stream), true, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocFromPoolAsync(void **dev_ptr, size_t size, hipMemPool_t mem_pool, hipStream_t stream)
{
    PROLOGUE(hipMallocFromPoolAsync, dev_ptr, size, mem_pool, stream);
    hipError_t rc = real(dev_ptr, size, mem_pool, stream);
    sl_record_alloc(&hip_ops, SL_API_HIP_MALLOC_FROM_POOL_ASYNC, rc, dev_ptr, size, SL_STREAM(stream), true, mem_pool);
    return rc;
}

SL_EXPORT hipError_t hipFreeAsync(void *dev_ptr, hipStream_t stream)
{
    PROLOGUE(hipFreeAsync, dev_ptr, stream);
    sl_free_claim claim;
    sl_account_claim_free(dev_ptr, &claim);
    hipError_t rc = real(dev_ptr, stream);
    sl_record_free(&hip_ops, SL_API_HIP_FREE_ASYNC, rc, &claim, SL_STREAM(stream), true);
    return rc;
}

/* ---- pinned host memory (device -1) -------------------------------------- */

SL_EXPORT hipError_t hipHostMalloc(void **ptr, size_t size, unsigned int flags)
{
    PROLOGUE(hipHostMalloc, ptr, size, flags);
    hipError_t rc = real(ptr, size, flags);
    sl_record_alloc(&hip_ops, SL_API_HIP_HOST_MALLOC, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMallocHost(void **ptr, size_t size)
{
    PROLOGUE(hipMallocHost, ptr, size);
    hipError_t rc = real(ptr, size);
    sl_record_alloc(&hip_ops, SL_API_HIP_MALLOC_HOST, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipMemAllocHost(void **ptr, size_t size)
{
    PROLOGUE(hipMemAllocHost, ptr, size);
    hipError_t rc = real(ptr, size);
    sl_record_alloc(&hip_ops, SL_API_HIP_MEM_ALLOC_HOST, rc, ptr, size, SL_NO_STREAM, false, NULL);
    return rc;
}

SL_EXPORT hipError_t hipHostFree(void *ptr)
{
    PROLOGUE(hipHostFree, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    hipError_t rc = real(ptr);
    sl_record_free(&hip_ops, SL_API_HIP_HOST_FREE, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

SL_EXPORT hipError_t hipFreeHost(void *ptr)
{
    PROLOGUE(hipFreeHost, ptr);
    sl_free_claim claim;
    sl_account_claim_free(ptr, &claim);
    hipError_t rc = real(ptr);
    sl_record_free(&hip_ops, SL_API_HIP_FREE_HOST, rc, &claim, SL_NO_STREAM, false);
    return rc;
}

/* ---- device totals: passed through, and remembered ------------------------ */

SL_EXPORT hipError_t hipMemGetInfo(size_t *free, size_t *total)
{
    PROLOGUE(hipMemGetInfo, free, total);
    hipError_t rc = real(free, total);
    sl_record_mem_get_info(&hip_ops, SL_API_HIP_MEM_GET_INFO, rc, free, total);
    return rc;
}
