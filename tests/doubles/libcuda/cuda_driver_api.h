/*
 * cuda_driver_api.h: the part of the CUDA driver API (cuda.h) that the libcuda
 * double implements, declared by us with the real types, values and exported
 * names. cuda.h renames cuMemAlloc to cuMemAlloc_v2 and so on with macros;
 * here every function carries the name the library really exports, so the
 * double, its tests and the drv variant of the cudart double say exactly
 * which variant they mean. driver_signature_check.c compares these
 * declarations with the real cuda.h where the toolkit is installed.
 */
#ifndef STORMLOG_CUDA_DRIVER_API_H
#define STORMLOG_CUDA_DRIVER_API_H

#include <stddef.h>
#include <stdint.h>

#ifndef STORMLOG_DRIVER_TYPES_FROM_CUDA_H
typedef unsigned int CUresult;              /* enum cudaError_enum */
typedef unsigned long long CUdeviceptr;     /* CUdeviceptr_v2 on LP64 */
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUstream_st *CUstream;
typedef struct CUmemPoolHandle_st *CUmemoryPool;
typedef unsigned long long CUmemGenericAllocationHandle;
typedef uint64_t cuuint64_t;
typedef unsigned int CUdriverProcAddressQueryResult;
typedef struct CUuuid_st CUuuid; /* only passed by pointer */

typedef struct CUmemLocation_st {
    unsigned int type; /* CUmemLocationType */
    int id;
} CUmemLocation;

typedef struct CUmemAllocationProp_st {
    unsigned int type;                 /* CUmemAllocationType */
    unsigned int requestedHandleTypes; /* CUmemAllocationHandleType */
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

/* Result codes (same numbers as the runtime's for the ones both have). */
#define SL_CUDA_SUCCESS_ 0
#define SL_CU_ERROR_INVALID_VALUE 1
#define SL_CU_ERROR_OUT_OF_MEMORY 2
#define SL_CU_ERROR_NOT_INITIALIZED 3
#define SL_CU_ERROR_INVALID_DEVICE 101
#define SL_CU_ERROR_INVALID_CONTEXT 201
#define SL_CU_ERROR_INVALID_HANDLE 400
#define SL_CU_ERROR_NOT_FOUND 500
#define SL_CU_ERROR_NOT_SUPPORTED 801

/* cuGetProcAddress flags and query results. */
#define SL_CU_GET_PROC_ADDRESS_DEFAULT 0
#define SL_CU_GET_PROC_ADDRESS_LEGACY_STREAM 1
#define SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM 2
#define SL_CU_GET_PROC_ADDRESS_SUCCESS 0
#define SL_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND 1
#define SL_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT 2

#define SL_CU_MEM_LOCATION_TYPE_DEVICE 1
#define SL_CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL 9
#define SL_CU_MEM_ALLOCATION_TYPE_PINNED 1
#define SL_CU_MEM_ATTACH_GLOBAL 1
#define SL_CU_MEM_ATTACH_HOST 2
#define SL_CU_MEMHOSTALLOC_PORTABLE 1
#define SL_CU_MEMHOSTALLOC_DEVICEMAP 2
#define SL_CU_MEMHOSTALLOC_WRITECOMBINED 4

/* The driver version the double reports (CUDA 13.0). */
#define SL_CU_DRIVER_VERSION 13000

CUresult cuInit(unsigned int Flags);
CUresult cuDriverGetVersion(int *driverVersion);
CUresult cuDeviceGet(CUdevice *device, int ordinal);
CUresult cuDeviceGetCount(int *count);
CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev);
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
CUresult cuCtxSetCurrent(CUcontext ctx);
CUresult cuCtxGetCurrent(CUcontext *pctx);
CUresult cuCtxGetDevice(CUdevice *device);
CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags);
CUresult cuStreamDestroy_v2(CUstream hStream);
/* attribute: enum CUpointer_attribute; the double answers DEVICE_ORDINAL. */
CUresult cuPointerGetAttribute(void *data, unsigned int attribute, CUdeviceptr ptr);

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
CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool_out, CUdevice dev);

CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size, const CUmemAllocationProp *prop,
                     unsigned long long flags);
CUresult cuMemRelease(CUmemGenericAllocationHandle handle);
CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment, CUdeviceptr addr,
                             unsigned long long flags);
CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size);
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
CUresult cuGetExportTable(const void **ppExportTable, const CUuuid *pExportTableId);

#endif
