/* Compile-only: the real hip/hip_runtime_api.h first, then our declarations;
 * see signature_check_cuda.c for why a redeclaration is the check. */
#ifndef __HIP_PLATFORM_AMD__
#define __HIP_PLATFORM_AMD__ 1
#endif
#include <hip/hip_runtime_api.h>

#define SL_REAL_HIP_HEADERS_INCLUDED 1
#include "gpu_api.h"

_Static_assert(__builtin_types_compatible_p(hipError_t, unsigned int),
               "gpu_api.h declares hipError_t as unsigned int");
_Static_assert(__builtin_types_compatible_p(hipDeviceptr_t, void *), "hipDeviceptr_t");
_Static_assert(hipErrorOutOfMemory == SL_HIP_ERROR_OUT_OF_MEMORY, "OOM code");
_Static_assert(hipErrorNotInitialized == SL_HIP_ERROR_NOT_INITIALIZED, "not-initialised code");
_Static_assert(hipMemPoolAttrReservedMemCurrent == SL_HIP_MEMPOOL_ATTR_RESERVED_CURRENT &&
                   hipMemPoolAttrUsedMemCurrent == SL_HIP_MEMPOOL_ATTR_USED_CURRENT,
               "pool attributes");
_Static_assert(HIP_POINTER_ATTRIBUTE_DEVICE_ORDINAL == SL_HIP_POINTER_ATTR_DEVICE_ORDINAL, "pointer attribute");
