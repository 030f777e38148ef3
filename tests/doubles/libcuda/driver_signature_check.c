/* Compile-time check of cuda_driver_api.h against the real cuda.h: with
 * __CUDA_API_VERSION_INTERNAL the SDK header declares every exported variant
 * under its exported name (cuMemAlloc_v2, cuMemAllocAsync_ptsz, ...); ours are
 * then redeclarations, which C requires to be compatible. Never linked. */
#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>

#define STORMLOG_DRIVER_TYPES_FROM_CUDA_H 1
#include "cuda_driver_api.h"
