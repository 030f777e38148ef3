/*
 * hip_double.c: libamdhip64.so.5 for machines without a GPU.
 *
 * The HIP twin of cudart_double.c on the same simulation core: same
 * devices, same pointer table, same ground truth. Symbol versions follow
 * ROCm's (libamdhip64.map). The old spellings (hipMallocHost,
 * hipMemAllocHost, hipMemAllocPitch, hipFreeHost) are separate entry points
 * that do not go through the new ones, as in ROCm: a profiler that hooks
 * only hipHostMalloc does not see them.
 */
#include <stdint.h>

#include "../sim/sim.h"
#include "hip_api.h"

static _Thread_local hipError_t last_error = hipSuccess;

static hipError_t result(sim_status status)
{
    hipError_t error = hipSuccess;
    switch (status) {
    case SIM_OK: return hipSuccess;
    case SIM_INVALID_VALUE: error = hipErrorInvalidValue; break;
    case SIM_OUT_OF_MEMORY: error = hipErrorOutOfMemory; break;
    case SIM_INVALID_DEVICE: error = hipErrorInvalidDevice; break;
    case SIM_INVALID_HANDLE: error = hipErrorInvalidHandle; break;
    }
    last_error = error;
    return error;
}

static sim_status reject(void **out, sim_status why)
{
    if (out != NULL)
        *out = NULL;
    return stormlog_sim_reject_alloc(why);
}

static int current(void)
{
    return stormlog_sim_current_device();
}

/* ---- device memory ----------------------------------------------------- */

hipError_t hipMalloc(void **ptr, size_t size)
{
    return result(stormlog_sim_device_alloc(current(), size, ptr));
}

hipError_t hipExtMallocWithFlags(void **ptr, size_t sizeBytes, unsigned int flags)
{
    /* Fine-grained, signal and uncached memory are all device memory here. */
    return result(stormlog_sim_device_alloc(current(), sizeBytes, ptr));
}

hipError_t hipMallocManaged(void **dev_ptr, size_t size, unsigned int flags)
{
    if (flags != hipMemAttachGlobal && flags != hipMemAttachHost)
        return result(reject(dev_ptr, SIM_INVALID_VALUE));
    return result(stormlog_sim_device_alloc(current(), size, dev_ptr));
}

hipError_t hipFree(void *ptr)
{
    return result(stormlog_sim_free(ptr, SIM_FREE_DEVICE));
}

hipError_t hipMallocAsync(void **dev_ptr, size_t size, hipStream_t stream)
{
    sim_pool *pool = stormlog_sim_default_pool(stormlog_sim_stream_device((const sim_stream *)stream));
    if (pool == NULL)
        return result(reject(dev_ptr, SIM_INVALID_DEVICE));
    return result(stormlog_sim_pool_alloc(pool, size, dev_ptr));
}

hipError_t hipMallocFromPoolAsync(void **dev_ptr, size_t size, hipMemPool_t mem_pool, hipStream_t stream)
{
    return result(stormlog_sim_pool_alloc((sim_pool *)mem_pool, size, dev_ptr));
}

hipError_t hipFreeAsync(void *dev_ptr, hipStream_t stream)
{
    return result(stormlog_sim_free(dev_ptr, SIM_FREE_DEVICE));
}

static sim_status pitched_alloc(void **ptr, size_t *pitch, size_t width, size_t height)
{
    if (ptr == NULL || pitch == NULL || width > SIZE_MAX - SIM_PITCH_ALIGNMENT)
        return reject(ptr, SIM_INVALID_VALUE);
    size_t padded = (width + SIM_PITCH_ALIGNMENT - 1) & ~(size_t)(SIM_PITCH_ALIGNMENT - 1);
    if (height != 0 && padded > SIZE_MAX / height)
        return reject(ptr, SIM_OUT_OF_MEMORY);
    sim_status status = stormlog_sim_device_alloc(current(), (uint64_t)padded * height, ptr);
    if (status == SIM_OK)
        *pitch = padded;
    return status;
}

hipError_t hipMallocPitch(void **ptr, size_t *pitch, size_t width, size_t height)
{
    return result(pitched_alloc(ptr, pitch, width, height));
}

hipError_t hipMemAllocPitch(hipDeviceptr_t *dptr, size_t *pitch, size_t widthInBytes, size_t height,
                            unsigned int elementSizeBytes)
{
    return result(pitched_alloc((void **)dptr, pitch, widthInBytes, height));
}

/* ---- pinned host memory ------------------------------------------------ */

hipError_t hipHostMalloc(void **ptr, size_t size, unsigned int flags)
{
    /* ROCm refuses memory that is both coherent and non-coherent. */
    unsigned both = hipHostMallocCoherent | hipHostMallocNonCoherent;
    if ((flags & both) == both)
        return result(reject(ptr, SIM_INVALID_VALUE));
    return result(stormlog_sim_host_alloc(size, ptr));
}

hipError_t hipMallocHost(void **ptr, size_t size)
{
    return result(stormlog_sim_host_alloc(size, ptr));
}

hipError_t hipMemAllocHost(void **ptr, size_t size)
{
    return result(stormlog_sim_host_alloc(size, ptr));
}

hipError_t hipHostFree(void *ptr)
{
    return result(stormlog_sim_free(ptr, SIM_FREE_HOST));
}

hipError_t hipFreeHost(void *ptr)
{
    return result(stormlog_sim_free(ptr, SIM_FREE_HOST));
}

/* ---- pointer queries ----------------------------------------------------- */

/* The device an allocation was made on (base addresses only); the double
 * simulates no other attribute. */
hipError_t hipPointerGetAttribute(void *data, hipPointer_attribute attribute, hipDeviceptr_t ptr)
{
    if (data == NULL || stormlog_sim_queries_fail())
        return result(SIM_INVALID_VALUE);
    if (attribute != HIP_POINTER_ATTRIBUTE_DEVICE_ORDINAL)
        return last_error = hipErrorNotSupported;
    int device = 0;
    sim_status status = stormlog_sim_ptr_device(ptr, &device);
    if (status != SIM_OK)
        return result(status);
    *(int *)data = device;
    return hipSuccess;
}

/* ---- devices, errors, streams ------------------------------------------ */

hipError_t hipMemGetInfo(size_t *free, size_t *total)
{
    if (stormlog_sim_queries_fail())
        return result(SIM_INVALID_VALUE);
    return result(stormlog_sim_mem_info(current(), free, total));
}

hipError_t hipGetDevice(int *deviceId)
{
    if (deviceId == NULL)
        return result(SIM_INVALID_VALUE);
    *deviceId = current();
    return hipSuccess;
}

hipError_t hipSetDevice(int deviceId)
{
    return result(stormlog_sim_set_current_device(deviceId));
}

hipError_t hipGetDeviceCount(int *count)
{
    if (count == NULL)
        return result(SIM_INVALID_VALUE);
    *count = stormlog_sim_device_count();
    return hipSuccess;
}

const char *hipGetErrorString(hipError_t hipError)
{
    /* ROCm's wording. */
    switch ((int)hipError) {
    case hipSuccess: return "no error";
    case hipErrorInvalidValue: return "invalid argument";
    case hipErrorOutOfMemory: return "out of memory";
    case hipErrorInvalidDevice: return "invalid device ordinal";
    case hipErrorInvalidHandle: return "invalid resource handle";
    default: return "unknown error";
    }
}

hipError_t hipGetLastError(void)
{
    hipError_t error = last_error;
    last_error = hipSuccess;
    return error;
}

hipError_t hipPeekAtLastError(void)
{
    return last_error;
}

hipError_t hipDeviceSynchronize(void)
{
    return result(stormlog_sim_check_device(current()));
}

hipError_t hipStreamCreate(hipStream_t *stream)
{
    if (stream == NULL)
        return result(SIM_INVALID_VALUE);
    sim_stream *created = NULL;
    sim_status status = stormlog_sim_stream_create(current(), &created);
    if (status == SIM_OK)
        *stream = (hipStream_t)created;
    return result(status);
}

hipError_t hipStreamDestroy(hipStream_t stream)
{
    return result(stormlog_sim_stream_destroy((sim_stream *)stream));
}

/* ---- memory pools ------------------------------------------------------ */

hipError_t hipMemPoolCreate(hipMemPool_t *mem_pool, const hipMemPoolProps *pool_props)
{
    if (mem_pool == NULL || pool_props == NULL || pool_props->location.type != hipMemLocationTypeDevice)
        return result(SIM_INVALID_VALUE);
    sim_pool *pool = NULL;
    sim_status status = stormlog_sim_pool_create(pool_props->location.id, &pool);
    if (status == SIM_OK)
        *mem_pool = (hipMemPool_t)pool;
    return result(status);
}

hipError_t hipMemPoolDestroy(hipMemPool_t mem_pool)
{
    return result(stormlog_sim_pool_destroy((sim_pool *)mem_pool));
}

hipError_t hipDeviceGetDefaultMemPool(hipMemPool_t *mem_pool, int device)
{
    if (mem_pool == NULL)
        return result(SIM_INVALID_VALUE);
    sim_pool *pool = stormlog_sim_default_pool(device);
    if (pool == NULL)
        return result(SIM_INVALID_DEVICE);
    *mem_pool = (hipMemPool_t)pool;
    return hipSuccess;
}

hipError_t hipMemPoolTrimTo(hipMemPool_t mem_pool, size_t min_bytes_to_hold)
{
    return result(stormlog_sim_pool_trim((sim_pool *)mem_pool, min_bytes_to_hold));
}
