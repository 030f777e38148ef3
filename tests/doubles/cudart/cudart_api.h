/*
 * cudart_api.h: the CUDA runtime API as the double (and the workloads that
 * call it) see it: the real cuda_runtime_api.h when the toolkit was found
 * (STORMLOG_DOUBLE_REAL_CUDA_HEADERS), our own copy otherwise.
 *
 * CUDA_API_PER_THREAD_DEFAULT_STREAM must stay unset: with it the real header
 * renames cudaMallocAsync & co. to their _ptsz exports. The _ptsz functions
 * are declared here by hand with the same types; the real library exports
 * both spellings and so does the double.
 */
#ifndef STORMLOG_CUDART_API_H
#define STORMLOG_CUDART_API_H

#ifdef CUDA_API_PER_THREAD_DEFAULT_STREAM
#error "compile the cudart double and its callers without CUDA_API_PER_THREAD_DEFAULT_STREAM"
#endif

#ifdef STORMLOG_DOUBLE_REAL_CUDA_HEADERS
#include <cuda_runtime_api.h>
#else
#include "cudart_fallback.h"
#endif

cudaError_t cudaMallocAsync_ptsz(void **devPtr, size_t size, cudaStream_t hStream);
cudaError_t cudaFreeAsync_ptsz(void *devPtr, cudaStream_t hStream);
cudaError_t cudaMallocFromPoolAsync_ptsz(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream);

/* The way to the driver, exported only by the driver-backed variant
 * (cudart_driver.c). */
#ifndef STORMLOG_DOUBLE_REAL_CUDA_HEADERS
enum cudaGetDriverEntryPointFlags {
    cudaEnableDefault = 0x0,
    cudaEnableLegacyStream = 0x1,
    cudaEnablePerThreadDefaultStream = 0x2
};
enum cudaDriverEntryPointQueryResult {
    cudaDriverEntryPointSuccess = 0,
    cudaDriverEntryPointSymbolNotFound = 1,
    cudaDriverEntryPointVersionNotSufficent = 2
};
cudaError_t cudaRuntimeGetVersion(int *runtimeVersion);
cudaError_t cudaGetDriverEntryPoint(const char *symbol, void **funcPtr, unsigned long long flags,
                                    enum cudaDriverEntryPointQueryResult *driverStatus);
cudaError_t cudaGetDriverEntryPointByVersion(const char *symbol, void **funcPtr, unsigned int cudaVersion,
                                             unsigned long long flags,
                                             enum cudaDriverEntryPointQueryResult *driverStatus);
#endif
cudaError_t cudaGetDriverEntryPoint_ptsz(const char *symbol, void **funcPtr, unsigned long long flags,
                                         enum cudaDriverEntryPointQueryResult *driverStatus);
cudaError_t cudaGetDriverEntryPointByVersion_ptsz(const char *symbol, void **funcPtr, unsigned int cudaVersion,
                                                  unsigned long long flags,
                                                  enum cudaDriverEntryPointQueryResult *driverStatus);

#endif
