/* Compile-only: the real cuda_runtime_api.h first, then our declarations
 * (gpu_api.h, whose prototypes the hooks are defined against). C requires
 * each redeclaration to be compatible with the first, so a hook whose
 * signature drifts from the SDK's fails to build here. Built twice: plainly
 * and with CUDA_API_PER_THREAD_DEFAULT_STREAM, where the header declares the
 * *_ptsz exports and our plain names are mapped onto them. */
#include <cuda_runtime_api.h>
#include <stddef.h>

#define SL_REAL_CUDA_HEADERS_INCLUDED 1
#include "gpu_api.h"

/* In this unit gpu_api.h uses the SDK's types; what it uses elsewhere must
 * match them too. */
_Static_assert(__builtin_types_compatible_p(cudaError_t, unsigned int),
               "gpu_api.h declares cudaError_t as unsigned int");
_Static_assert(sizeof(struct cudaPitchedPtr) == sizeof(void *) + 3 * sizeof(size_t) &&
                   offsetof(struct cudaPitchedPtr, ptr) == 0 &&
                   offsetof(struct cudaPitchedPtr, pitch) == sizeof(void *),
               "gpu_api.h's struct cudaPitchedPtr layout");
_Static_assert(sizeof(struct cudaExtent) == 3 * sizeof(size_t) && offsetof(struct cudaExtent, depth) == 2 * sizeof(size_t),
               "gpu_api.h's struct cudaExtent layout");
_Static_assert(offsetof(struct cudaPointerAttributes, device) == sizeof(unsigned int) &&
                   offsetof(struct cudaPointerAttributes, devicePointer) == sizeof(void *) &&
                   offsetof(struct cudaPointerAttributes, hostPointer) == 2 * sizeof(void *),
               "gpu_api.h's struct cudaPointerAttributes layout");
_Static_assert(cudaErrorMemoryAllocation == SL_CUDA_ERROR_MEMORY_ALLOCATION, "OOM code");
_Static_assert(cudaErrorInitializationError == SL_CUDA_ERROR_INITIALIZATION, "not-initialised code");
_Static_assert(cudaMemPoolAttrReservedMemCurrent == SL_CUDA_MEMPOOL_ATTR_RESERVED_CURRENT &&
                   cudaMemPoolAttrUsedMemCurrent == SL_CUDA_MEMPOOL_ATTR_USED_CURRENT,
               "pool attributes");
