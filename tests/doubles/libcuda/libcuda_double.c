/*
 * libcuda_double.c: libcuda.so.1 (the CUDA driver) for machines without a GPU.
 *
 * The driver's allocation API on the same simulated devices as the runtime
 * doubles (libstormlog_double_core.so), so a process has one ground truth
 * whichever API allocated. What a profiler must get right is modelled:
 *   - cuInit first: every other call fails with CUDA_ERROR_NOT_INITIALIZED
 *     before it (except the version and entry-point queries);
 *   - contexts are per thread: cuMemAlloc & co. allocate on the device of the
 *     calling thread's current context and fail with
 *     CUDA_ERROR_INVALID_CONTEXT on a thread that has none (cuCtxGetDevice
 *     too), while the virtual memory API (cuMemCreate ... cuMemRelease) names
 *     its device in its arguments and needs no context;
 *   - cuMemCreate counts physical memory at create and cuMemRelease gives it
 *     back; reserving, mapping and unmapping address ranges allocate nothing,
 *     but are checked as the driver checks them: cuMemMap needs a live
 *     handle and an unmapped range, cuMemUnmap a range that is mapped end to
 *     end (one mapping or several laid side by side).
 * Entry points are looked up by cuGetProcAddress (libcuda_procaddress.c).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "../sim/sim.h"
#include "libcuda_internal.h"

static atomic_bool initialized;

/* One primary context per device; a context handle is its slot's address. */
struct CUctx_st {
    int device;
};
static struct CUctx_st primary_contexts[SIM_MAX_DEVICES];
static _Thread_local struct CUctx_st *current_context;

CUresult cu_result(sim_status status)
{
    switch (status) {
    case SIM_OK: return SL_CUDA_SUCCESS_;
    case SIM_INVALID_VALUE: return SL_CU_ERROR_INVALID_VALUE;
    case SIM_OUT_OF_MEMORY: return SL_CU_ERROR_OUT_OF_MEMORY;
    case SIM_INVALID_DEVICE: return SL_CU_ERROR_INVALID_DEVICE;
    case SIM_INVALID_HANDLE: return SL_CU_ERROR_INVALID_HANDLE;
    }
    return SL_CU_ERROR_INVALID_VALUE;
}

static bool is_initialized(void)
{
    return atomic_load_explicit(&initialized, memory_order_acquire);
}

/* The device of the thread's current context, or an error code: not
 * initialised, or no context. */
static CUresult context_device(int *device)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (current_context == NULL)
        return SL_CU_ERROR_INVALID_CONTEXT;
    *device = current_context->device;
    return SL_CUDA_SUCCESS_;
}

/* An allocation call refused before it reached a device still counts as a
 * failed allocation call in the ground truth, as in the runtime doubles. */
static CUresult refuse_alloc(CUresult why)
{
    stormlog_sim_reject_alloc(SIM_INVALID_VALUE);
    return why;
}

/* ---- initialisation, devices, contexts ---------------------------------- */

CUresult cuInit(unsigned int Flags)
{
    if (Flags != 0)
        return SL_CU_ERROR_INVALID_VALUE;
    for (int d = 0; d < SIM_MAX_DEVICES; d++)
        primary_contexts[d].device = d;
    atomic_store_explicit(&initialized, true, memory_order_release);
    return SL_CUDA_SUCCESS_;
}

CUresult cuDriverGetVersion(int *driverVersion)
{
    if (driverVersion == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    *driverVersion = SL_CU_DRIVER_VERSION;
    return SL_CUDA_SUCCESS_;
}

CUresult cuDeviceGetCount(int *count)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (count == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    *count = stormlog_sim_device_count();
    return SL_CUDA_SUCCESS_;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (device == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    if (stormlog_sim_check_device(ordinal) != SIM_OK)
        return SL_CU_ERROR_INVALID_DEVICE;
    *device = ordinal;
    return SL_CUDA_SUCCESS_;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (pctx == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    if (stormlog_sim_check_device(dev) != SIM_OK)
        return SL_CU_ERROR_INVALID_DEVICE;
    *pctx = &primary_contexts[dev];
    return SL_CUDA_SUCCESS_;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    return stormlog_sim_check_device(dev) == SIM_OK ? SL_CUDA_SUCCESS_ : SL_CU_ERROR_INVALID_DEVICE;
}

CUresult cuCtxSetCurrent(CUcontext ctx)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (ctx != NULL && (ctx < &primary_contexts[0] || ctx >= &primary_contexts[stormlog_sim_device_count()]))
        return SL_CU_ERROR_INVALID_CONTEXT;
    current_context = ctx;
    return SL_CUDA_SUCCESS_;
}

CUresult cuCtxGetCurrent(CUcontext *pctx)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (pctx == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    *pctx = current_context;
    return SL_CUDA_SUCCESS_;
}

CUresult cuCtxGetDevice(CUdevice *device)
{
    int dev = 0;
    CUresult rc = context_device(&dev);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    if (device == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    *device = dev;
    return SL_CUDA_SUCCESS_;
}

/* The device an allocation was made on, for any live allocation of the
 * double (base addresses only); other attributes are not simulated. Like
 * the driver, it needs no current context. */
CUresult cuPointerGetAttribute(void *data, unsigned int attribute, CUdeviceptr ptr)
{
    if (data == NULL || stormlog_sim_queries_fail())
        return SL_CU_ERROR_INVALID_VALUE;
    if (attribute != SL_CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL)
        return SL_CU_ERROR_NOT_SUPPORTED;
    int device = 0;
    if (stormlog_sim_ptr_device((const void *)(uintptr_t)ptr, &device) != SIM_OK)
        return SL_CU_ERROR_INVALID_VALUE;
    *(int *)data = device;
    return SL_CUDA_SUCCESS_;
}

/* ---- device memory ------------------------------------------------------ */

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    /* Unlike cudaMalloc, the driver refuses an empty allocation. */
    if (dptr == NULL || bytesize == 0) {
        if (dptr != NULL)
            *dptr = 0;
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    }
    void *ptr = NULL;
    rc = cu_result(stormlog_sim_device_alloc(device, bytesize, &ptr));
    *dptr = (CUdeviceptr)(uintptr_t)ptr;
    return rc;
}

CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,
                            unsigned int ElementSizeBytes)
{
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    /* As documented: elements of 4, 8 or 16 bytes. */
    if (dptr == NULL || pPitch == NULL || (ElementSizeBytes != 4 && ElementSizeBytes != 8 && ElementSizeBytes != 16)
        || WidthInBytes > SIZE_MAX - SIM_PITCH_ALIGNMENT) {
        if (dptr != NULL)
            *dptr = 0;
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    }
    size_t pitch = (WidthInBytes + SIM_PITCH_ALIGNMENT - 1) & ~(size_t)(SIM_PITCH_ALIGNMENT - 1);
    if (Height != 0 && pitch > SIZE_MAX / Height) {
        *dptr = 0;
        stormlog_sim_reject_alloc(SIM_OUT_OF_MEMORY);
        return SL_CU_ERROR_OUT_OF_MEMORY;
    }
    void *ptr = NULL;
    rc = cu_result(stormlog_sim_device_alloc(device, (uint64_t)pitch * Height, &ptr));
    *dptr = (CUdeviceptr)(uintptr_t)ptr;
    if (rc == SL_CUDA_SUCCESS_)
        *pPitch = pitch;
    return rc;
}

CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    if (dptr == NULL || bytesize == 0 || (flags != SL_CU_MEM_ATTACH_GLOBAL && flags != SL_CU_MEM_ATTACH_HOST)) {
        if (dptr != NULL)
            *dptr = 0;
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    }
    void *ptr = NULL;
    rc = cu_result(stormlog_sim_device_alloc(device, bytesize, &ptr));
    *dptr = (CUdeviceptr)(uintptr_t)ptr;
    return rc;
}

CUresult cuMemFree_v2(CUdeviceptr dptr)
{
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    return cu_result(stormlog_sim_free((void *)(uintptr_t)dptr, SIM_FREE_DEVICE));
}

/* ---- streams ------------------------------------------------------------ */

/* A stream belongs to the device of the context it was created in; the
 * stream-ordered allocations made on it land there. */
CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags)
{
    (void)Flags;
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    if (phStream == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    sim_stream *stream = NULL;
    rc = cu_result(stormlog_sim_stream_create(device, &stream));
    if (rc == SL_CUDA_SUCCESS_)
        *phStream = (CUstream)stream;
    return rc;
}

CUresult cuStreamDestroy_v2(CUstream hStream)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    return cu_result(stormlog_sim_stream_destroy((sim_stream *)hStream));
}

/* ---- stream-ordered allocation ------------------------------------------ */

/* The device of a stream: NULL, legacy and per-thread handles mean the
 * current context's device; other streams carry their own. */
static CUresult stream_device(CUstream stream, int *device)
{
    CUresult rc = context_device(device);
    if ((uintptr_t)stream <= 2)
        return rc;
    if (rc == SL_CU_ERROR_NOT_INITIALIZED)
        return rc;
    *device = stormlog_sim_stream_device((const sim_stream *)stream);
    return SL_CUDA_SUCCESS_;
}

static CUresult alloc_async(CUdeviceptr *dptr, size_t bytesize, CUstream stream)
{
    int device = 0;
    CUresult rc = stream_device(stream, &device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    if (dptr == NULL)
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    void *ptr = NULL;
    rc = cu_result(stormlog_sim_pool_alloc(stormlog_sim_default_pool(device), bytesize, &ptr));
    *dptr = (CUdeviceptr)(uintptr_t)ptr;
    return rc;
}

CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
    return alloc_async(dptr, bytesize, hStream);
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
    return alloc_async(dptr, bytesize, hStream);
}

static CUresult alloc_from_pool(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (dptr == NULL)
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    void *ptr = NULL;
    CUresult rc = cu_result(stormlog_sim_pool_alloc((sim_pool *)pool, bytesize, &ptr));
    *dptr = (CUdeviceptr)(uintptr_t)ptr;
    return rc;
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool, CUstream hStream)
{
    (void)hStream;
    return alloc_from_pool(dptr, bytesize, pool);
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool, CUstream hStream)
{
    (void)hStream;
    return alloc_from_pool(dptr, bytesize, pool);
}

static CUresult free_async(CUdeviceptr dptr)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    return cu_result(stormlog_sim_free((void *)(uintptr_t)dptr, SIM_FREE_DEVICE));
}

CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream)
{
    (void)hStream;
    return free_async(dptr);
}

CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream)
{
    (void)hStream;
    return free_async(dptr);
}

CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool_out, CUdevice dev)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (pool_out == NULL)
        return SL_CU_ERROR_INVALID_VALUE;
    sim_pool *pool = stormlog_sim_default_pool(dev);
    if (pool == NULL)
        return SL_CU_ERROR_INVALID_DEVICE;
    *pool_out = (CUmemoryPool)pool;
    return SL_CUDA_SUCCESS_;
}

/* ---- virtual memory management ------------------------------------------
 * A physical allocation is a simulated device allocation; its handle is the
 * simulated address (never dereferenced, unique while live). Address ranges
 * come from a range of their own and cost no device memory. */

/* The live handles and mappings, for the checks cuMemMap and cuMemUnmap
 * make. Few and rarely touched: arrays under one mutex. */
typedef struct vmm_handle {
    uintptr_t handle;
    size_t size;
} vmm_handle;

typedef struct vmm_mapping {
    CUdeviceptr ptr;
    size_t size;
} vmm_mapping;

static struct {
    pthread_mutex_t lock;
    vmm_handle *handles;
    size_t handle_count, handle_capacity;
    vmm_mapping *mappings;
    size_t mapping_count, mapping_capacity;
} vmm = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool grow(void **array, size_t *capacity, size_t count, size_t item)
{
    if (count < *capacity)
        return true;
    size_t wanted = *capacity ? *capacity * 2 : 16;
    void *bigger = realloc(*array, wanted * item);
    if (bigger == NULL)
        return false;
    *array = bigger;
    *capacity = wanted;
    return true;
}

static bool vmm_note_handle(uintptr_t handle, size_t size)
{
    pthread_mutex_lock(&vmm.lock);
    bool ok = grow((void **)&vmm.handles, &vmm.handle_capacity, vmm.handle_count, sizeof *vmm.handles);
    if (ok)
        vmm.handles[vmm.handle_count++] = (vmm_handle){handle, size};
    pthread_mutex_unlock(&vmm.lock);
    return ok;
}

static void vmm_forget_handle(CUmemGenericAllocationHandle handle)
{
    pthread_mutex_lock(&vmm.lock);
    for (size_t i = 0; i < vmm.handle_count; i++) {
        if (vmm.handles[i].handle == (uintptr_t)handle) {
            vmm.handles[i] = vmm.handles[--vmm.handle_count];
            break;
        }
    }
    pthread_mutex_unlock(&vmm.lock);
}

/* Under vmm.lock: the live handle's size, or 0 for an unknown handle. */
static size_t handle_size(CUmemGenericAllocationHandle handle)
{
    for (size_t i = 0; i < vmm.handle_count; i++)
        if (vmm.handles[i].handle == (uintptr_t)handle)
            return vmm.handles[i].size;
    return 0;
}

/* Under vmm.lock: the mapping that starts at ptr, or -1. */
static ptrdiff_t mapping_at(CUdeviceptr ptr)
{
    for (size_t i = 0; i < vmm.mapping_count; i++)
        if (vmm.mappings[i].ptr == ptr)
            return (ptrdiff_t)i;
    return -1;
}

static bool overlaps_a_mapping(CUdeviceptr ptr, size_t size)
{
    for (size_t i = 0; i < vmm.mapping_count; i++)
        if (ptr < vmm.mappings[i].ptr + vmm.mappings[i].size && vmm.mappings[i].ptr < ptr + size)
            return true;
    return false;
}

CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size, const CUmemAllocationProp *prop,
                     unsigned long long flags)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (handle == NULL || prop == NULL || flags != 0 || size == 0 || prop->type != SL_CU_MEM_ALLOCATION_TYPE_PINNED
        || prop->location.type != SL_CU_MEM_LOCATION_TYPE_DEVICE)
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    void *ptr = NULL;
    CUresult rc = cu_result(stormlog_sim_device_alloc(prop->location.id, size, &ptr));
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    if (!vmm_note_handle((uintptr_t)ptr, size)) {
        stormlog_sim_free(ptr, SIM_KIND_DEVICE);
        return SL_CU_ERROR_OUT_OF_MEMORY;
    }
    *handle = (CUmemGenericAllocationHandle)(uintptr_t)ptr;
    return rc;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (handle == 0)
        return SL_CU_ERROR_INVALID_VALUE;
    /* Released while still mapped is allowed (the driver keeps the memory
     * until the unmap); the simulated device gives it back now, which is
     * what the shim counts too. */
    vmm_forget_handle(handle);
    return cu_result(stormlog_sim_free((void *)(uintptr_t)handle, SIM_KIND_DEVICE));
}

#define VA_BASE 0x500000000000ull
#define VA_ALIGNMENT (2ull << 20) /* the real driver's usual granularity: 2 MiB */
static _Atomic unsigned long long va_next = VA_BASE;

CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment, CUdeviceptr addr,
                             unsigned long long flags)
{
    (void)addr; /* a hint only */
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (ptr == NULL || size == 0 || flags != 0 || (alignment & (alignment - 1)) != 0 || alignment > VA_ALIGNMENT)
        return SL_CU_ERROR_INVALID_VALUE;
    unsigned long long span = (size + VA_ALIGNMENT - 1) & ~(VA_ALIGNMENT - 1);
    *ptr = atomic_fetch_add(&va_next, span);
    return SL_CUDA_SUCCESS_;
}

CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    return ptr == 0 || size == 0 ? SL_CU_ERROR_INVALID_VALUE : SL_CUDA_SUCCESS_;
}

CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (ptr == 0 || size == 0 || offset != 0 || flags != 0 || size > ~(CUdeviceptr)0 - ptr)
        return SL_CU_ERROR_INVALID_VALUE;
    CUresult rc = SL_CUDA_SUCCESS_;
    pthread_mutex_lock(&vmm.lock);
    size_t physical = handle_size(handle);
    if (physical == 0)
        rc = SL_CU_ERROR_INVALID_HANDLE;
    else if (size > physical || overlaps_a_mapping(ptr, size))
        rc = SL_CU_ERROR_INVALID_VALUE;
    else if (!grow((void **)&vmm.mappings, &vmm.mapping_capacity, vmm.mapping_count, sizeof *vmm.mappings))
        rc = SL_CU_ERROR_OUT_OF_MEMORY;
    else
        vmm.mappings[vmm.mapping_count++] = (vmm_mapping){ptr, size};
    pthread_mutex_unlock(&vmm.lock);
    return rc;
}

/* The range must be mapped end to end: mappings side by side from ptr to
 * ptr + size, each taken whole. Anything else unmaps nothing. */
CUresult cuMemUnmap(CUdeviceptr ptr, size_t size)
{
    if (!is_initialized())
        return SL_CU_ERROR_NOT_INITIALIZED;
    if (ptr == 0 || size == 0 || size > ~(CUdeviceptr)0 - ptr)
        return SL_CU_ERROR_INVALID_VALUE;
    CUdeviceptr end = ptr + size;
    pthread_mutex_lock(&vmm.lock);
    CUdeviceptr at = ptr;
    ptrdiff_t i;
    while (at < end && (i = mapping_at(at)) >= 0 && vmm.mappings[i].size <= end - at)
        at += vmm.mappings[i].size;
    bool covered = at == end;
    for (at = ptr; covered && at < end;) {
        i = mapping_at(at);
        at += vmm.mappings[i].size;
        vmm.mappings[i] = vmm.mappings[--vmm.mapping_count];
    }
    pthread_mutex_unlock(&vmm.lock);
    return covered ? SL_CUDA_SUCCESS_ : SL_CU_ERROR_INVALID_VALUE;
}

/* ---- pinned host memory and totals -------------------------------------- */

CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags)
{
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    unsigned known = SL_CU_MEMHOSTALLOC_PORTABLE | SL_CU_MEMHOSTALLOC_DEVICEMAP | SL_CU_MEMHOSTALLOC_WRITECOMBINED;
    if (pp == NULL || (Flags & ~known) != 0) {
        if (pp != NULL)
            *pp = NULL;
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    }
    return cu_result(stormlog_sim_host_alloc(bytesize, pp));
}

CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
{
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    if (pp == NULL)
        return refuse_alloc(SL_CU_ERROR_INVALID_VALUE);
    return cu_result(stormlog_sim_host_alloc(bytesize, pp));
}

CUresult cuMemFreeHost(void *p)
{
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    return cu_result(stormlog_sim_free(p, SIM_FREE_HOST));
}

CUresult cuMemGetInfo_v2(size_t *free, size_t *total)
{
    if (stormlog_sim_queries_fail())
        return SL_CU_ERROR_INVALID_VALUE;
    int device = 0;
    CUresult rc = context_device(&device);
    if (rc != SL_CUDA_SUCCESS_)
        return rc;
    return cu_result(stormlog_sim_mem_info(device, free, total));
}
