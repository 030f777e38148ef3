/* Compile-only: every code of runtime_codes.h against the real HIP headers.
 * Built where they are installed; a mismatch fails the build. */
#ifndef __HIP_PLATFORM_AMD__
#define __HIP_PLATFORM_AMD__ 1
#endif
#include <hip/hip_runtime_api.h>

#include "runtime_codes.h"

#define CHECK_CODE(name, value) _Static_assert((long long)(name) == (value), #name " is " #value);
STORMLOG_HIP_RUNTIME_CODES(CHECK_CODE)
