/*
 * cudart_double.c: libcudart.so.12 for machines without a GPU.
 *
 * Each entry point checks its arguments the way the real runtime does,
 * hands the work to the simulation core (sim.h) and translates the result.
 * Exported with the real signatures and symbol versions (libcudart.map).
 * cudaMallocManaged lives in cudart_managed.c on purpose.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cudart_api.h"
#include "cudart_error.h"

/* Like the real runtime: an error stays the thread's last error until
 * cudaGetLastError reads it. */
static _Thread_local cudaError_t last_error = cudaSuccess;

cudaError_t cudart_result(sim_status status)
{
    cudaError_t error = cudaSuccess;
    switch (status) {
    case SIM_OK: return cudaSuccess;
    case SIM_INVALID_VALUE: error = cudaErrorInvalidValue; break;
    case SIM_OUT_OF_MEMORY: error = cudaErrorMemoryAllocation; break;
    case SIM_INVALID_DEVICE: error = cudaErrorInvalidDevice; break;
    case SIM_INVALID_HANDLE: error = cudaErrorInvalidResourceHandle; break;
    }
    last_error = error;
    return error;
}

cudaError_t cudart_error(cudaError_t error)
{
    if (error != cudaSuccess)
        last_error = error;
    return error;
}

/* The driver-backed variant (cudart_driver.c) replaces the memory functions
 * guarded like this one. */
#ifndef STORMLOG_CUDART_VIA_DRIVER
static int stream_device(cudaStream_t stream)
{
    return stormlog_sim_stream_device((const sim_stream *)stream);
}

/* ---- device memory ----------------------------------------------------- */

cudaError_t cudaMalloc(void **devPtr, size_t size)
{
    return cudart_result(stormlog_sim_device_alloc(stormlog_sim_current_device(), size, devPtr));
}

cudaError_t cudaFree(void *devPtr)
{
    return cudart_result(stormlog_sim_free(devPtr, SIM_FREE_DEVICE));
}

static cudaError_t malloc_async(void **devPtr, size_t size, cudaStream_t stream)
{
    /* The allocation comes from the default pool of the stream's device. */
    sim_pool *pool = stormlog_sim_default_pool(stream_device(stream));
    if (pool == NULL)
        return cudart_result(stormlog_sim_reject_alloc(SIM_INVALID_DEVICE));
    return cudart_result(stormlog_sim_pool_alloc(pool, size, devPtr));
}

cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream)
{
    return malloc_async(devPtr, size, hStream);
}

cudaError_t cudaMallocAsync_ptsz(void **devPtr, size_t size, cudaStream_t hStream)
{
    return malloc_async(devPtr, size, hStream);
}

cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream)
{
    return cudart_result(stormlog_sim_free(devPtr, SIM_FREE_DEVICE));
}

cudaError_t cudaFreeAsync_ptsz(void *devPtr, cudaStream_t hStream)
{
    return cudart_result(stormlog_sim_free(devPtr, SIM_FREE_DEVICE));
}

static cudaError_t malloc_from_pool(void **ptr, size_t size, cudaMemPool_t memPool)
{
    return cudart_result(stormlog_sim_pool_alloc((sim_pool *)memPool, size, ptr));
}

cudaError_t cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream)
{
    return malloc_from_pool(ptr, size, memPool);
}

cudaError_t cudaMallocFromPoolAsync_ptsz(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream)
{
    return malloc_from_pool(ptr, size, memPool);
}

/* Rows are padded to SIM_PITCH_ALIGNMENT; the allocation is pitch * rows. */
static sim_status pitched_alloc(void **ptr, size_t *pitch, size_t width, size_t rows)
{
    if (ptr == NULL || pitch == NULL)
        return stormlog_sim_reject_alloc(SIM_INVALID_VALUE);
    if (width > SIZE_MAX - SIM_PITCH_ALIGNMENT) {
        *ptr = NULL;
        return stormlog_sim_reject_alloc(SIM_INVALID_VALUE);
    }
    size_t padded = (width + SIM_PITCH_ALIGNMENT - 1) & ~(size_t)(SIM_PITCH_ALIGNMENT - 1);
    if (rows != 0 && padded > SIZE_MAX / rows) {
        *ptr = NULL;
        return stormlog_sim_reject_alloc(SIM_OUT_OF_MEMORY);
    }
    sim_status status = stormlog_sim_device_alloc(stormlog_sim_current_device(), (uint64_t)padded * rows, ptr);
    if (status == SIM_OK)
        *pitch = padded;
    return status;
}

cudaError_t cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height)
{
    return cudart_result(pitched_alloc(devPtr, pitch, width, height));
}

cudaError_t cudaMalloc3D(struct cudaPitchedPtr *pitchedDevPtr, struct cudaExtent extent)
{
    if (pitchedDevPtr == NULL)
        return cudart_result(stormlog_sim_reject_alloc(SIM_INVALID_VALUE));
    size_t rows = extent.height;
    if (extent.depth != 0 && rows > SIZE_MAX / extent.depth)
        return cudart_result(stormlog_sim_reject_alloc(SIM_OUT_OF_MEMORY));
    rows *= extent.depth;
    void *ptr = NULL;
    size_t pitch = 0;
    sim_status status = pitched_alloc(&ptr, &pitch, extent.width, rows);
    if (status == SIM_OK) {
        pitchedDevPtr->ptr = ptr;
        pitchedDevPtr->pitch = pitch;
        pitchedDevPtr->xsize = extent.width;
        pitchedDevPtr->ysize = extent.height;
    }
    return cudart_result(status);
}

/* ---- pointer queries ----------------------------------------------------- */

/* Where an allocation lives. As CUDA 11 and later: a pointer the runtime
 * does not know is cudaSuccess with type cudaMemoryTypeUnregistered (the
 * double reports device -2 then). The double knows base addresses only. */
cudaError_t cudaPointerGetAttributes(struct cudaPointerAttributes *attributes, const void *ptr)
{
    if (attributes == NULL || stormlog_sim_queries_fail())
        return cudart_error(cudaErrorInvalidValue);
    int device = 0;
    if (stormlog_sim_ptr_device(ptr, &device) != SIM_OK) {
        attributes->type = cudaMemoryTypeUnregistered;
        attributes->device = -2;
        attributes->devicePointer = NULL;
        attributes->hostPointer = NULL;
        return cudaSuccess;
    }
    bool host = device == SIM_HOST_DEVICE;
    attributes->type = host ? cudaMemoryTypeHost : cudaMemoryTypeDevice;
    attributes->device = host ? stormlog_sim_current_device() : device;
    attributes->devicePointer = (void *)ptr;
    attributes->hostPointer = host ? (void *)ptr : NULL;
    return cudaSuccess;
}
#endif /* !STORMLOG_CUDART_VIA_DRIVER */

/* ---- pinned host memory ------------------------------------------------ */

#ifndef STORMLOG_CUDART_VIA_DRIVER
cudaError_t cudaMallocHost(void **ptr, size_t size)
{
    return cudart_result(stormlog_sim_host_alloc(size, ptr));
}

cudaError_t cudaHostAlloc(void **pHost, size_t size, unsigned int flags)
{
    unsigned known = cudaHostAllocPortable | cudaHostAllocMapped | cudaHostAllocWriteCombined;
    if ((flags & ~known) != 0) {
        if (pHost != NULL)
            *pHost = NULL;
        return cudart_result(stormlog_sim_reject_alloc(SIM_INVALID_VALUE));
    }
    return cudart_result(stormlog_sim_host_alloc(size, pHost));
}

cudaError_t cudaFreeHost(void *ptr)
{
    return cudart_result(stormlog_sim_free(ptr, SIM_FREE_HOST));
}
#endif /* !STORMLOG_CUDART_VIA_DRIVER */

/* ---- devices, errors, streams ------------------------------------------ */

#ifndef STORMLOG_CUDART_VIA_DRIVER
cudaError_t cudaMemGetInfo(size_t *free, size_t *total)
{
    if (stormlog_sim_queries_fail())
        return cudart_error(cudaErrorInvalidValue);
    return cudart_result(stormlog_sim_mem_info(stormlog_sim_current_device(), free, total));
}
#endif /* !STORMLOG_CUDART_VIA_DRIVER */

cudaError_t cudaGetDevice(int *device)
{
    if (device == NULL)
        return cudart_result(SIM_INVALID_VALUE);
    *device = stormlog_sim_current_device();
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device)
{
    return cudart_result(stormlog_sim_set_current_device(device));
}

cudaError_t cudaGetDeviceCount(int *count)
{
    if (count == NULL)
        return cudart_result(SIM_INVALID_VALUE);
    *count = stormlog_sim_device_count();
    return cudaSuccess;
}

const char *cudaGetErrorString(cudaError_t error)
{
    /* The real runtime's wording. */
    switch ((int)error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    default: return "unrecognized error code";
    }
}

cudaError_t cudaGetLastError(void)
{
    cudaError_t error = last_error;
    last_error = cudaSuccess;
    return error;
}

cudaError_t cudaPeekAtLastError(void)
{
    return last_error;
}

cudaError_t cudaDeviceSynchronize(void)
{
    return cudart_result(stormlog_sim_check_device(stormlog_sim_current_device()));
}

cudaError_t cudaStreamCreate(cudaStream_t *pStream)
{
    sim_stream *stream = NULL;
    sim_status status = stormlog_sim_stream_create(stormlog_sim_current_device(), &stream);
    if (status == SIM_OK && pStream == NULL) {
        stormlog_sim_stream_destroy(stream);
        status = SIM_INVALID_VALUE;
    }
    if (status == SIM_OK)
        *pStream = (cudaStream_t)stream;
    return cudart_result(status);
}

cudaError_t cudaStreamDestroy(cudaStream_t stream)
{
    return cudart_result(stormlog_sim_stream_destroy((sim_stream *)stream));
}

/* ---- memory pools ------------------------------------------------------ */

cudaError_t cudaMemPoolCreate(cudaMemPool_t *memPool, const struct cudaMemPoolProps *poolProps)
{
    if (memPool == NULL || poolProps == NULL || poolProps->location.type != cudaMemLocationTypeDevice)
        return cudart_result(SIM_INVALID_VALUE);
    sim_pool *pool = NULL;
    sim_status status = stormlog_sim_pool_create(poolProps->location.id, &pool);
    if (status == SIM_OK)
        *memPool = (cudaMemPool_t)pool;
    return cudart_result(status);
}

cudaError_t cudaMemPoolDestroy(cudaMemPool_t memPool)
{
    return cudart_result(stormlog_sim_pool_destroy((sim_pool *)memPool));
}

cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t *memPool, int device)
{
    if (memPool == NULL)
        return cudart_result(SIM_INVALID_VALUE);
    sim_pool *pool = stormlog_sim_default_pool(device);
    if (pool == NULL)
        return cudart_result(SIM_INVALID_DEVICE);
    *memPool = (cudaMemPool_t)pool;
    return cudaSuccess;
}

cudaError_t cudaMemPoolTrimTo(cudaMemPool_t memPool, size_t minBytesToKeep)
{
    return cudart_result(stormlog_sim_pool_trim((sim_pool *)memPool, minBytesToKeep));
}
