/* The CUDA driver entry points the shim interposes (and the runtime's
 * cudaGetDriverEntryPoint family, which hands them out), declared by us with
 * the names the driver really exports (cuda.h renames cuMemAlloc to
 * cuMemAlloc_v2 with a macro), so that the shim builds without the SDK.
 * signature_check_driver.c compares them with the real cuda.h where it is
 * installed. Result codes are enums without negative values: unsigned int. */
#ifndef STORMLOG_SHIM_DRIVER_API_H
#define STORMLOG_SHIM_DRIVER_API_H

#include <stddef.h>
#include <stdint.h>

#ifndef SL_REAL_DRIVER_HEADERS_INCLUDED
typedef unsigned int CUresult;
typedef unsigned long long CUdeviceptr;
typedef int CUdevice;
typedef struct CUstream_st *CUstream;
typedef struct CUmemPoolHandle_st *CUmemoryPool;
typedef unsigned long long CUmemGenericAllocationHandle;
typedef uint64_t cuuint64_t;
typedef unsigned int CUdriverProcAddressQueryResult;
typedef struct CUmemLocation_st {
    unsigned int type;
    int id;
} CUmemLocation;
typedef struct CUmemAllocationProp_st {
    unsigned int type;
    unsigned int requestedHandleTypes;
    CUmemLocation location;
    void *win32HandleMetaData;
    struct {
        unsigned char compressionType;
        unsigned char gpuDirectRDMACapable;
        unsigned short usage;
        unsigned char reserved[4];
    } allocFlags;
} CUmemAllocationProp;
#endif
#ifndef SL_REAL_DRIVER_HEADERS_INCLUDED
typedef unsigned int sl_cu_pointer_attr; /* enum CUpointer_attribute */
#else
typedef CUpointer_attribute sl_cu_pointer_attr;
#endif
#ifndef SL_REAL_CUDA_HEADERS_INCLUDED
typedef unsigned int sl_cuda_driver_entry_point_query_result; /* enum cudaDriverEntryPointQueryResult */
#else
typedef enum cudaDriverEntryPointQueryResult sl_cuda_driver_entry_point_query_result;
#endif

#define SL_CU_SUCCESS 0
#define SL_CU_ERROR_OUT_OF_MEMORY 2
#define SL_CU_ERROR_NOT_INITIALIZED 3
#define SL_CU_MEM_LOCATION_TYPE_DEVICE 1
#define SL_CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL 9
/* cuGetProcAddress flags; cudaGetDriverEntryPoint's cudaEnable* have the same values. */
#define SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM 2

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);
CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,
                            unsigned int ElementSizeBytes);
CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags);
CUresult cuMemFree_v2(CUdeviceptr dptr);
CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream);
CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream);
CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool, CUstream hStream);
CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool, CUstream hStream);
CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream);
CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream);
CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size, const CUmemAllocationProp *prop,
                     unsigned long long flags);
CUresult cuMemRelease(CUmemGenericAllocationHandle handle);
CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags);
CUresult cuMemUnmap(CUdeviceptr ptr, size_t size);
CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags);
CUresult cuMemAllocHost_v2(void **pp, size_t bytesize);
CUresult cuMemFreeHost(void *p);
CUresult cuMemGetInfo_v2(size_t *free, size_t *total);
CUresult cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags);
CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *symbolStatus);
/* Called (never hooked): the device of the calling thread's context, and
 * the device a stream-ordered allocation landed on. */
CUresult cuCtxGetDevice(CUdevice *device);
CUresult cuPointerGetAttribute(void *data, sl_cu_pointer_attr attribute, CUdeviceptr ptr);

/* The runtime's way to the driver (CUDA 11.3+ / 12.5+), and their
 * per-thread-default-stream exports. */
unsigned int cudaGetDriverEntryPoint(const char *symbol, void **funcPtr, unsigned long long flags,
                                     sl_cuda_driver_entry_point_query_result *driverStatus);
unsigned int cudaGetDriverEntryPoint_ptsz(const char *symbol, void **funcPtr, unsigned long long flags,
                                          sl_cuda_driver_entry_point_query_result *driverStatus);
unsigned int cudaGetDriverEntryPointByVersion(const char *symbol, void **funcPtr, unsigned int cudaVersion,
                                              unsigned long long flags,
                                              sl_cuda_driver_entry_point_query_result *driverStatus);
unsigned int cudaGetDriverEntryPointByVersion_ptsz(const char *symbol, void **funcPtr, unsigned int cudaVersion,
                                                   unsigned long long flags,
                                                   sl_cuda_driver_entry_point_query_result *driverStatus);

#endif
