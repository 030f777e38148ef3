/*
 * cudart_driver.c: the memory functions of the driver-backed variant of the
 * cudart double (built with STORMLOG_CUDART_VIA_DRIVER; target
 * stormlog_cudart_double_drv and the static archive stormlog_cudart_static_double).
 *
 * Like NVIDIA's runtime, this variant never links the driver: on first use it
 * dlopens libcuda.so.1, takes cuGetProcAddress_v2 with dlsym, and asks it for
 * each driver entry point by base name and CUDA version ("cuMemAlloc", 3020),
 * per-thread-default-stream variants with
 * CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM. Before each call it makes the
 * primary context of the thread's current device current, as the runtime
 * does. So cudaMalloc reaches cuMemAlloc_v2 of the libcuda double only
 * through a pointer cuGetProcAddress handed out: a profiler that hooks
 * cudaMalloc and the driver sees one allocation through two hooks.
 *
 * cudaMallocManaged (cudart_managed.c) still nests on cudaMalloc; an empty
 * cudaMalloc is answered without the driver (which refuses size 0).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>

#include "../libcuda/cuda_driver_api.h"
#include "cudart_api.h"
#include "cudart_error.h"

#define CUDA_VERSION_ASKED 12000 /* the CUDA version this "runtime" was built for */

typedef CUresult (*get_proc_fn)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);

static struct driver {
    get_proc_fn get_proc;
    CUresult (*init)(unsigned int);
    CUresult (*primary_ctx_retain)(CUcontext *, CUdevice);
    CUresult (*ctx_set_current)(CUcontext);
    CUresult (*mem_alloc)(CUdeviceptr *, size_t);
    CUresult (*mem_free)(CUdeviceptr);
    CUresult (*mem_alloc_pitch)(CUdeviceptr *, size_t *, size_t, size_t, unsigned int);
    CUresult (*mem_alloc_async[2])(CUdeviceptr *, size_t, CUstream);            /* [1]: _ptsz */
    CUresult (*mem_free_async[2])(CUdeviceptr, CUstream);                       /* [1]: _ptsz */
    CUresult (*mem_alloc_from_pool_async[2])(CUdeviceptr *, size_t, CUmemoryPool, CUstream);
    CUresult (*mem_host_alloc)(void **, size_t, unsigned int);
    CUresult (*mem_alloc_host)(void **, size_t);
    CUresult (*mem_free_host)(void *);
    CUresult (*mem_get_info)(size_t *, size_t *);
    cudaError_t error; /* cudaSuccess once every entry point was found */
} drv;
static pthread_once_t drv_once = PTHREAD_ONCE_INIT;

static void *ask(get_proc_fn get_proc, const char *name, cuuint64_t flags)
{
    void *fn = NULL;
    CUdriverProcAddressQueryResult status = 0;
    if (get_proc(name, &fn, CUDA_VERSION_ASKED, flags, &status) != 0 || status != SL_CU_GET_PROC_ADDRESS_SUCCESS)
        return NULL;
    return fn;
}

#define ASK(field, name, flags) ok &= (*(void **)&drv.field = ask(get_proc, name, flags)) != NULL

static void load_driver(void)
{
    drv.error = cudaErrorInsufficientDriver;
    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
#ifdef STORMLOG_DOUBLE_LIBCUDA_PATH
    /* The double's own build, when the search path does not name it. (A
     * sanitiser's dlopen interceptor makes itself the caller, so our RUNPATH
     * is not consulted under ASan/TSan.) */
    if (libcuda == NULL)
        libcuda = dlopen(STORMLOG_DOUBLE_LIBCUDA_PATH, RTLD_NOW | RTLD_LOCAL);
#endif
    if (libcuda == NULL)
        return;
    get_proc_fn get_proc = NULL;
    *(void **)&get_proc = dlsym(libcuda, "cuGetProcAddress_v2");
    if (get_proc == NULL)
        return;
    drv.get_proc = get_proc;
    const cuuint64_t ptds = SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
    int ok = 1;
    ASK(init, "cuInit", 0);
    ASK(primary_ctx_retain, "cuDevicePrimaryCtxRetain", 0);
    ASK(ctx_set_current, "cuCtxSetCurrent", 0);
    ASK(mem_alloc, "cuMemAlloc", 0);
    ASK(mem_free, "cuMemFree", 0);
    ASK(mem_alloc_pitch, "cuMemAllocPitch", 0);
    ASK(mem_alloc_async[0], "cuMemAllocAsync", 0);
    ASK(mem_alloc_async[1], "cuMemAllocAsync", ptds);
    ASK(mem_free_async[0], "cuMemFreeAsync", 0);
    ASK(mem_free_async[1], "cuMemFreeAsync", ptds);
    ASK(mem_alloc_from_pool_async[0], "cuMemAllocFromPoolAsync", 0);
    ASK(mem_alloc_from_pool_async[1], "cuMemAllocFromPoolAsync", ptds);
    ASK(mem_host_alloc, "cuMemHostAlloc", 0);
    ASK(mem_alloc_host, "cuMemAllocHost", 0);
    ASK(mem_free_host, "cuMemFreeHost", 0);
    ASK(mem_get_info, "cuMemGetInfo", 0);
    if (ok && drv.init(0) == 0)
        drv.error = cudaSuccess;
    /* libcuda stays loaded for the life of the process, as with the runtime. */
}

/* Loads the driver once and binds the primary context of the thread's
 * current device. cudaSuccess, or the error the call must return. */
static cudaError_t enter_driver(void)
{
    pthread_once(&drv_once, load_driver);
    if (drv.error != cudaSuccess)
        return drv.error;
    CUcontext ctx = NULL;
    CUresult rc = drv.primary_ctx_retain(&ctx, stormlog_sim_current_device());
    if (rc == 0)
        rc = drv.ctx_set_current(ctx);
    return (cudaError_t)rc;
}

/* CUresult -> cudaError_t: the codes the double produces have the same
 * numbers in both APIs (1, 2, 101, 400). */
static cudaError_t from_driver(CUresult rc)
{
    return cudart_error((cudaError_t)rc);
}

#define ENTER_DRIVER()                                                                                          \
    do {                                                                                                        \
        cudaError_t entered = enter_driver();                                                                   \
        if (entered != cudaSuccess)                                                                             \
            return cudart_error(entered);                                                                       \
    } while (0)

/* ---- device memory ----------------------------------------------------- */

cudaError_t cudaMalloc(void **devPtr, size_t size)
{
    /* The runtime answers an empty request itself; the driver would refuse it. */
    if (size == 0 || devPtr == NULL)
        return cudart_result(stormlog_sim_device_alloc(stormlog_sim_current_device(), size, devPtr));
    ENTER_DRIVER();
    CUdeviceptr ptr = 0;
    CUresult rc = drv.mem_alloc(&ptr, size);
    *devPtr = (void *)(uintptr_t)ptr;
    return from_driver(rc);
}

cudaError_t cudaFree(void *devPtr)
{
    if (devPtr == NULL)
        return cudaSuccess;
    ENTER_DRIVER();
    return from_driver(drv.mem_free((CUdeviceptr)(uintptr_t)devPtr));
}

static cudaError_t malloc_async(int ptsz, void **devPtr, size_t size, cudaStream_t stream)
{
    ENTER_DRIVER();
    CUdeviceptr ptr = 0;
    CUresult rc = drv.mem_alloc_async[ptsz](devPtr != NULL ? &ptr : NULL, size, (CUstream)stream);
    if (devPtr != NULL)
        *devPtr = (void *)(uintptr_t)ptr;
    return from_driver(rc);
}

cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream)
{
    return malloc_async(0, devPtr, size, hStream);
}

cudaError_t cudaMallocAsync_ptsz(void **devPtr, size_t size, cudaStream_t hStream)
{
    return malloc_async(1, devPtr, size, hStream);
}

static cudaError_t free_async(int ptsz, void *devPtr, cudaStream_t stream)
{
    ENTER_DRIVER();
    return from_driver(drv.mem_free_async[ptsz]((CUdeviceptr)(uintptr_t)devPtr, (CUstream)stream));
}

cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream)
{
    return free_async(0, devPtr, hStream);
}

cudaError_t cudaFreeAsync_ptsz(void *devPtr, cudaStream_t hStream)
{
    return free_async(1, devPtr, hStream);
}

static cudaError_t malloc_from_pool(int ptsz, void **ptr, size_t size, cudaMemPool_t pool, cudaStream_t stream)
{
    ENTER_DRIVER();
    CUdeviceptr dptr = 0;
    CUresult rc = drv.mem_alloc_from_pool_async[ptsz](ptr != NULL ? &dptr : NULL, size, (CUmemoryPool)pool,
                                                      (CUstream)stream);
    if (ptr != NULL)
        *ptr = (void *)(uintptr_t)dptr;
    return from_driver(rc);
}

cudaError_t cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream)
{
    return malloc_from_pool(0, ptr, size, memPool, stream);
}

cudaError_t cudaMallocFromPoolAsync_ptsz(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream)
{
    return malloc_from_pool(1, ptr, size, memPool, stream);
}

cudaError_t cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height)
{
    ENTER_DRIVER();
    CUdeviceptr ptr = 0;
    CUresult rc = drv.mem_alloc_pitch(devPtr != NULL ? &ptr : NULL, pitch, width, height, 4);
    if (devPtr != NULL)
        *devPtr = (void *)(uintptr_t)ptr;
    return from_driver(rc);
}

cudaError_t cudaMalloc3D(struct cudaPitchedPtr *pitchedDevPtr, struct cudaExtent extent)
{
    if (pitchedDevPtr == NULL)
        return cudart_result(stormlog_sim_reject_alloc(SIM_INVALID_VALUE));
    size_t rows = extent.height;
    if (extent.depth != 0 && rows > SIZE_MAX / extent.depth)
        return cudart_result(stormlog_sim_reject_alloc(SIM_OUT_OF_MEMORY));
    rows *= extent.depth;
    ENTER_DRIVER();
    CUdeviceptr ptr = 0;
    size_t pitch = 0;
    CUresult rc = drv.mem_alloc_pitch(&ptr, &pitch, extent.width, rows, 4);
    if (rc == 0) {
        pitchedDevPtr->ptr = (void *)(uintptr_t)ptr;
        pitchedDevPtr->pitch = pitch;
        pitchedDevPtr->xsize = extent.width;
        pitchedDevPtr->ysize = extent.height;
    }
    return from_driver(rc);
}

/* ---- pinned host memory ------------------------------------------------ */

cudaError_t cudaMallocHost(void **ptr, size_t size)
{
    ENTER_DRIVER();
    return from_driver(drv.mem_alloc_host(ptr, size));
}

cudaError_t cudaHostAlloc(void **pHost, size_t size, unsigned int flags)
{
    ENTER_DRIVER();
    /* cudaHostAlloc* and CU_MEMHOSTALLOC_* flags have the same values. */
    return from_driver(drv.mem_host_alloc(pHost, size, flags));
}

cudaError_t cudaFreeHost(void *ptr)
{
    if (ptr == NULL)
        return cudaSuccess;
    ENTER_DRIVER();
    return from_driver(drv.mem_free_host(ptr));
}

cudaError_t cudaMemGetInfo(size_t *free, size_t *total)
{
    ENTER_DRIVER();
    return from_driver(drv.mem_get_info(free, total));
}

/* ---- the way to the driver for applications -------------------------------
 * cudaGetDriverEntryPoint asks with the runtime's own version; the _ptsz
 * exports (code built with per-thread default streams) turn the default
 * flag into the per-thread one. A name the driver does not have is not an
 * error of the call: cudaSuccess, *funcPtr NULL, the status says why. */

cudaError_t cudaRuntimeGetVersion(int *runtimeVersion)
{
    if (runtimeVersion == NULL)
        return cudart_error(cudaErrorInvalidValue);
    *runtimeVersion = CUDA_VERSION_ASKED;
    return cudaSuccess;
}

static cudaError_t entry_point(const char *symbol, void **funcPtr, unsigned int cudaVersion, unsigned long long flags,
                               int ptsz, enum cudaDriverEntryPointQueryResult *driverStatus)
{
    if (symbol == NULL || funcPtr == NULL || (flags & ~3ull) != 0)
        return cudart_error(cudaErrorInvalidValue);
    pthread_once(&drv_once, load_driver);
    if (drv.error != cudaSuccess)
        return cudart_error(drv.error);
    if (ptsz && (flags & 3u) == 0)
        flags |= SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
    CUdriverProcAddressQueryResult status = 0;
    CUresult rc = drv.get_proc(symbol, funcPtr, (int)cudaVersion, flags, &status);
    if (driverStatus != NULL)
        *driverStatus = (enum cudaDriverEntryPointQueryResult)status;
    if (rc == SL_CU_ERROR_NOT_FOUND)
        return cudaSuccess;
    return from_driver(rc);
}

cudaError_t cudaGetDriverEntryPoint(const char *symbol, void **funcPtr, unsigned long long flags,
                                    enum cudaDriverEntryPointQueryResult *driverStatus)
{
    return entry_point(symbol, funcPtr, CUDA_VERSION_ASKED, flags, 0, driverStatus);
}

cudaError_t cudaGetDriverEntryPoint_ptsz(const char *symbol, void **funcPtr, unsigned long long flags,
                                         enum cudaDriverEntryPointQueryResult *driverStatus)
{
    return entry_point(symbol, funcPtr, CUDA_VERSION_ASKED, flags, 1, driverStatus);
}

cudaError_t cudaGetDriverEntryPointByVersion(const char *symbol, void **funcPtr, unsigned int cudaVersion,
                                             unsigned long long flags,
                                             enum cudaDriverEntryPointQueryResult *driverStatus)
{
    return entry_point(symbol, funcPtr, cudaVersion, flags, 0, driverStatus);
}

cudaError_t cudaGetDriverEntryPointByVersion_ptsz(const char *symbol, void **funcPtr, unsigned int cudaVersion,
                                                  unsigned long long flags,
                                                  enum cudaDriverEntryPointQueryResult *driverStatus)
{
    return entry_point(symbol, funcPtr, cudaVersion, flags, 1, driverStatus);
}
