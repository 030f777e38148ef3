/* Compile-time check of driver_api.h against the SDK's cuda.h and
 * cuda_runtime_api.h (see signature_check_cuda.c). With
 * __CUDA_API_VERSION_INTERNAL cuda.h declares every variant under the name
 * the driver exports (cuMemAlloc_v2, cuMemAllocAsync_ptsz, ...), so our
 * declarations are redeclarations, which C requires to be compatible. The
 * runtime header declares cudaGetDriverEntryPoint as deprecated; declaring it
 * again is not a use. Never linked. */
#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>
#undef __CUDA_API_VERSION_INTERNAL
#include <cuda_runtime_api.h>

#define SL_REAL_DRIVER_HEADERS_INCLUDED 1
#define SL_REAL_CUDA_HEADERS_INCLUDED 1
#include "driver_api.h"
_Static_assert(CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL == SL_CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, "pointer attribute");
