/* The CUDA runtime and HIP entry points the shim interposes, declared by us so
 * that the shim builds where neither SDK is installed. Where the real headers
 * exist, signature_check_cuda.c and signature_check_hip.c include them and
 * then this file: C requires every redeclaration to be compatible, so a
 * signature of ours that drifts from the SDK's is a compile error, not a
 * silent ABI break.
 *
 * Error types: cudaError_t and hipError_t are enums without negative
 * enumerators, which GCC and Clang make compatible with unsigned int. */
#ifndef STORMLOG_SHIM_GPU_API_H
#define STORMLOG_SHIM_GPU_API_H

#include <stddef.h>

/* ---- CUDA runtime ---------------------------------------------------- */
#ifndef SL_REAL_CUDA_HEADERS_INCLUDED
typedef unsigned int cudaError_t;
typedef struct CUstream_st *cudaStream_t;
typedef struct CUmemPoolHandle_st *cudaMemPool_t;
struct cudaPitchedPtr {
    void *ptr;
    size_t pitch;
    size_t xsize;
    size_t ysize;
};
struct cudaExtent {
    size_t width;
    size_t height;
    size_t depth;
};
typedef unsigned int sl_cuda_mem_pool_attr; /* enum cudaMemPoolAttr */
/* The layout of CUDA 11 and later: every runtime that has the stream-ordered
 * allocator (11.2+), the only callers, has it. */
struct cudaPointerAttributes {
    unsigned int type; /* enum cudaMemoryType */
    int device;
    void *devicePointer;
    void *hostPointer;
};
#else
typedef enum cudaMemPoolAttr sl_cuda_mem_pool_attr;
#endif

#define SL_CUDA_SUCCESS 0
#define SL_CUDA_ERROR_MEMORY_ALLOCATION 2  /* cudaErrorMemoryAllocation: the runtime's OOM */
#define SL_CUDA_ERROR_INITIALIZATION 3     /* cudaErrorInitializationError: returned when no runtime is loaded */
#define SL_CUDA_MEMPOOL_ATTR_RESERVED_CURRENT 5 /* cudaMemPoolAttrReservedMemCurrent */
#define SL_CUDA_MEMPOOL_ATTR_USED_CURRENT 7     /* cudaMemPoolAttrUsedMemCurrent */

cudaError_t cudaMalloc(void **devPtr, size_t size);
cudaError_t cudaFree(void *devPtr);
cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream);
cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream);
cudaError_t cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream);
cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags);
cudaError_t cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height);
cudaError_t cudaMalloc3D(struct cudaPitchedPtr *pitchedDevPtr, struct cudaExtent extent);
cudaError_t cudaMallocHost(void **ptr, size_t size);
cudaError_t cudaHostAlloc(void **pHost, size_t size, unsigned int flags);
cudaError_t cudaFreeHost(void *ptr);
cudaError_t cudaMemGetInfo(size_t *free, size_t *total);
/* Per-thread-default-stream exports (nvcc --default-stream per-thread). The
 * SDK header only declares them inside the runtime's own build, so the
 * signature check compares them with their plain twins instead. */
cudaError_t cudaMallocAsync_ptsz(void **devPtr, size_t size, cudaStream_t hStream);
cudaError_t cudaFreeAsync_ptsz(void *devPtr, cudaStream_t hStream);
cudaError_t cudaMallocFromPoolAsync_ptsz(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream);

/* Called (never hooked) to learn the device and pool state of an event. */
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaDeviceGetMemPool(cudaMemPool_t *memPool, int device);
cudaError_t cudaMemPoolGetAttribute(cudaMemPool_t memPool, sl_cuda_mem_pool_attr attr, void *value);
cudaError_t cudaPointerGetAttributes(struct cudaPointerAttributes *attributes, const void *ptr);
cudaError_t cudaPeekAtLastError(void);
cudaError_t cudaGetLastError(void);

/* ---- HIP ------------------------------------------------------------- */
#ifndef SL_REAL_HIP_HEADERS_INCLUDED
typedef unsigned int hipError_t;
typedef struct ihipStream_t *hipStream_t;
typedef struct ihipMemPoolHandle_t *hipMemPool_t;
typedef void *hipDeviceptr_t;
typedef unsigned int sl_hip_mem_pool_attr; /* enum hipMemPoolAttr */
typedef unsigned int sl_hip_pointer_attr;  /* enum hipPointer_attribute */
typedef struct ihipMemGenericAllocationHandle *hipMemGenericAllocationHandle_t;
#else
typedef hipMemPoolAttr sl_hip_mem_pool_attr;
typedef hipPointer_attribute sl_hip_pointer_attr;
#endif

#define SL_HIP_SUCCESS 0
#define SL_HIP_ERROR_OUT_OF_MEMORY 2   /* hipErrorOutOfMemory == hipErrorMemoryAllocation */
#define SL_HIP_ERROR_NOT_INITIALIZED 3 /* hipErrorNotInitialized: returned when no runtime is loaded */
#define SL_HIP_MEMPOOL_ATTR_RESERVED_CURRENT 5 /* hipMemPoolAttrReservedMemCurrent */
#define SL_HIP_MEMPOOL_ATTR_USED_CURRENT 7     /* hipMemPoolAttrUsedMemCurrent */
#define SL_HIP_POINTER_ATTR_DEVICE_ORDINAL 9   /* HIP_POINTER_ATTRIBUTE_DEVICE_ORDINAL */

hipError_t hipMalloc(void **ptr, size_t size);
hipError_t hipFree(void *ptr);
hipError_t hipMallocAsync(void **dev_ptr, size_t size, hipStream_t stream);
hipError_t hipFreeAsync(void *dev_ptr, hipStream_t stream);
hipError_t hipMallocFromPoolAsync(void **dev_ptr, size_t size, hipMemPool_t mem_pool, hipStream_t stream);
hipError_t hipMallocManaged(void **dev_ptr, size_t size, unsigned int flags);
hipError_t hipExtMallocWithFlags(void **ptr, size_t sizeBytes, unsigned int flags);
hipError_t hipMallocPitch(void **ptr, size_t *pitch, size_t width, size_t height);
hipError_t hipMemAllocPitch(hipDeviceptr_t *dptr, size_t *pitch, size_t widthInBytes, size_t height,
                            unsigned int elementSizeBytes);
hipError_t hipHostMalloc(void **ptr, size_t size, unsigned int flags);
hipError_t hipMallocHost(void **ptr, size_t size);
hipError_t hipMemAllocHost(void **ptr, size_t size);
hipError_t hipHostFree(void *ptr);
hipError_t hipFreeHost(void *ptr);
hipError_t hipMemGetInfo(size_t *free, size_t *total);
/* Virtual memory (hooks_hip_vmm.c): the property's layout is read there. */
struct hipMemAllocationProp;
hipError_t hipMemCreate(hipMemGenericAllocationHandle_t *handle, size_t size, const struct hipMemAllocationProp *prop,
                        unsigned long long flags);
hipError_t hipMemRelease(hipMemGenericAllocationHandle_t handle);

hipError_t hipGetDevice(int *deviceId);
hipError_t hipDeviceGetMemPool(hipMemPool_t *mem_pool, int device);
hipError_t hipMemPoolGetAttribute(hipMemPool_t mem_pool, sl_hip_mem_pool_attr attr, void *value);
hipError_t hipPointerGetAttribute(void *data, sl_hip_pointer_attr attribute, hipDeviceptr_t ptr);
hipError_t hipPeekAtLastError(void);
hipError_t hipGetLastError(void);

#endif
